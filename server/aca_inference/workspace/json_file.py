"""Reading and writing the workspace's JSON files.

Reads report malformed JSON with line and column. Writes are atomic (temp file + fsync + rename) and keep
the user's keys and their order - a crash or a bad value never leaves a half-written config behind - and the
file's form: a UTF-8 BOM, the indentation (spaces, tabs, or all on one line), CRLF line ends, the final
newline. A write that would change no value does not touch the file at all.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
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


_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class JsonStyle:
    """How a JSON file is written, so a rewrite looks like the user's file."""

    bom: bool = False
    indent: str | None = "  "  # None: everything on one line
    newline: str = "\n"
    final_newline: bool = True

    @classmethod
    def of(cls, raw: bytes) -> JsonStyle:
        text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
        newline = "\r\n" if "\r\n" in text else "\n"
        body = text.strip()
        if "\n" not in body:
            return cls(bom=raw.startswith(_BOM), indent=None, newline=newline, final_newline=text.endswith("\n"))
        # The first indented member line sets the indentation ("  ", "    ", a tab...).
        found = re.search(r"\n([ \t]+)\S", body)
        return cls(bom=raw.startswith(_BOM), indent=found.group(1) if found else "  ", newline=newline,
                   final_newline=text.endswith("\n"))

    def render(self, data: dict[str, Any]) -> bytes:
        text = json.dumps(data, indent=self.indent, ensure_ascii=False)
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        if self.final_newline:
            text += self.newline
        return (_BOM if self.bom else b"") + text.encode("utf-8")


def write_json_atomic(path: Path, data: dict[str, Any]) -> bool:
    """Write `data` so that readers see either the old file or the whole new one, in the old file's style.
    Returns False (and leaves the file alone) when the file already holds exactly these values."""
    style = JsonStyle()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = None
    if raw is not None:
        style = JsonStyle.of(raw)
        try:
            current = json.loads(raw.decode("utf-8-sig"))
        except ValueError:
            current = None  # unreadable before: replaced by the values we were given
        if current == data and list(current) == list(data):  # same values, same order: nothing to write
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(style.render(data))
            handle.flush()
            os.fsync(handle.fileno())
        if raw is not None:
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
    return True
