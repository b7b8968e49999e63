"""Reading and writing the workspace's JSON files.

Reads report malformed JSON with line and column. Writes are atomic (temp file + fsync + rename) and keep
the user's keys and their order - a crash or a bad value never leaves a half-written config behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .problems import Problem, WorkspaceInvalid


def read_json_object(path: Path, display: str) -> dict[str, Any]:
    """Parse `path` as a JSON object, or raise WorkspaceInvalid naming the line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorkspaceInvalid([Problem(display, "", "expected UTF-8 text", f"undecodable byte at offset {exc.start}")]) from None
    except OSError as exc:
        raise WorkspaceInvalid([Problem(display, "", "expected a readable file", exc.strerror or str(exc))]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkspaceInvalid(
            [Problem(display, "", f"expected valid JSON ({exc.msg})", None, line=exc.lineno, column=exc.colno)]
        ) from None
    if not isinstance(data, dict):
        raise WorkspaceInvalid([Problem(display, "$", "expected a JSON object", type(data).__name__)])
    return data


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write `data` so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
