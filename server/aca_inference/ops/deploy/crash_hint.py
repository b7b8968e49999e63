"""What a crash loop's log tail says in the user's terms: when the app stopped with a SyntaxError or NameError at a
line of theirs that still holds a template placeholder (the preflight reads only what the command visibly runs:
a module loaded by importlib, exec or a file deploy did not upload can still hold one), say what to put there."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from .placeholder_values import KNOWN, value_for
from .placeholders import find_placeholders

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_ERROR = re.compile(r"\b(SyntaxError|NameError|IndentationError)\b(?::\s*name '(\w+)')?")
MIGRATE_HINT = ("Or move the project to our inference app, which needs none of these values: `aca-inference "
                "migrate` (VS Code: AI Toolkit: Move inference to the ACA Inference app).")


def _workspace_file(root: Path, path: str) -> str | None:
    """The workspace file a path in the container names: the longest tail of it the workspace has (the app runs
    from /mount/<folder> in place, or from a release's copy on local disk)."""
    parts = [p for p in posixpath.normpath(path).split("/") if p]
    for start in range(len(parts)):
        candidate = "/".join(parts[start:])
        if (root / candidate).is_file():
            return candidate
    return None


def placeholder_crash_hint(root: Path, log_lines: list[str]) -> str | None:
    """One paragraph naming file:line, the placeholder and what to put there, or None (another crash)."""
    frame: tuple[str, int] | None = None
    for line in log_lines:
        if (found := _FRAME.search(line)) is not None:
            frame = (found.group(1), int(found.group(2)))
            continue
        error = _ERROR.search(line)
        if error is None or frame is None:
            continue
        relative = _workspace_file(root, frame[0])
        if relative is None or not relative.endswith(".py"):
            continue
        at_line = [p for p in find_placeholders(root, relative) if p.line == frame[1]]
        named = error.group(2)
        if not at_line and named in KNOWN:
            at_line = [p for p in find_placeholders(root, relative) if p.name == named]
        if at_line:
            fixes = "; ".join(f"{p.written}: {value_for(root, p)}" for p in at_line)
            return (f"The app stopped with a {error.group(1)} at {relative}:{frame[1]}, a template placeholder left "
                    f"unfilled: {fixes}. Fill it in and deploy again. {MIGRATE_HINT}")
    return None
