"""What a deploy uploads: the include folders (default `inference/`) of the workspace, minus ignored files.

Paths are POSIX, relative to the workspace root, and land at the same path on the share (the app sees
`/mount/inference/app.py`). Azure Files is case-insensitive and refuses some characters: such names are
reported up front, naming the file, rather than failing half-way through an upload.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError
from .ignore_rules import IGNORE_FILE, IgnoreRules

DEFAULT_INCLUDE = ("inference",)
# The fine-tuning job's outputs on the share: a deploy never writes or deletes there.
PROTECTED_FOLDERS = ("model-cache", "models")
_FORBIDDEN = re.compile(r'["\\:|<>*?\x00-\x1f]')


@dataclass(frozen=True)
class LocalFile:
    path: str  # POSIX, relative to the workspace root == path on the share
    size: int
    mtime_ns: int


def _check_include(root: Path, entry: str) -> str:
    posix = PurePosixPath(entry.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts or str(posix) == ".":
        raise InputError(f"Deploy include '{entry}' must be a folder or file inside the workspace, "
                         f"relative to {root} (for example 'inference').")
    if posix.parts[0] in PROTECTED_FOLDERS:
        raise InputError(f"Deploy include '{entry}' is inside {posix.parts[0]}/, which holds the fine-tuning job's "
                         "outputs on the share; deploys never write there. Remove it from the include list.")
    if not (root / posix).exists():
        raise InputError(f"Deploy include '{entry}' does not exist in {root}. Create it or fix the include list.")
    return str(posix)


def _check_name(path: str) -> None:
    for part in path.split("/"):
        bad = _FORBIDDEN.search(part)
        if bad or part.endswith((".", " ")) or len(part) > 255:
            reason = f"the character {bad.group()!r}" if bad else ("a trailing dot or space" if not len(part) > 255
                                                                   else "more than 255 characters")
            raise InputError(f"'{path}' has {reason}, which Azure Files does not allow in names. Rename it or add it "
                             f"to {IGNORE_FILE}.")


def _rules_down_to(root: Path, directory: str) -> tuple[IgnoreRules, bool]:
    """The rules in force inside `directory` (ignore files of every level above it) and whether it is ignored."""
    rules = IgnoreRules.for_root(root)
    walked = ""
    for part in PurePosixPath(directory).parts:
        walked = f"{walked}/{part}" if walked else part
        if rules.ignores(walked, is_dir=True):
            return rules, True
        rules = rules.child(walked)
    return rules, False


def _walk(root: Path, directory: str, rules: IgnoreRules, out: list[LocalFile]) -> None:
    try:
        entries = list(os.scandir(root / directory))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    for entry in entries:
        path = f"{directory}/{entry.name}" if directory else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir:
                if not rules.ignores(path, is_dir=True) and not os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    _walk(root, path, rules.child(path), out)
                continue
            if rules.ignores(path, is_dir=False):
                continue
            st = entry.stat(follow_symlinks=True)  # a symlinked file uploads its target's content
        except (FileNotFoundError, PermissionError):
            continue
        if stat.S_ISREG(st.st_mode):
            out.append(LocalFile(path, st.st_size, st.st_mtime_ns))


def select_files(root: Path, include: list[str] | tuple[str, ...] | None = None) -> list[LocalFile]:
    """The files to sync, sorted by path. Raises InputError for a bad include entry or a name Azure refuses."""
    root = root.resolve()
    files: list[LocalFile] = []
    for entry in dict.fromkeys(_check_include(root, e) for e in (include or DEFAULT_INCLUDE)):
        target = root / entry
        parent = str(PurePosixPath(entry).parent) if "/" in entry else ""
        rules, ignored = _rules_down_to(root, parent)
        if ignored or rules.ignores(entry, is_dir=target.is_dir()):
            continue
        if target.is_dir():
            _walk(root, entry, rules.child(entry), files)
        elif target.is_file():
            st = target.stat()
            files.append(LocalFile(entry, st.st_size, st.st_mtime_ns))
    if not files:
        folders = ", ".join(f"{entry}/" for entry in (include or DEFAULT_INCLUDE))
        raise InputError(f"Nothing to deploy: {folders} in {root} hold no files once .gitignore, {IGNORE_FILE} and "
                         "the built-in excludes are applied. Add the app's files or fix the ignore rules.")
    unique = {f.path: f for f in files}
    by_folded: dict[str, str] = {}
    for path in sorted(unique):
        _check_name(path)
        other = by_folded.setdefault(path.casefold(), path)
        if other != path:
            raise InputError(f"'{other}' and '{path}' differ only in letter case; Azure Files treats them as the same "
                             f"file. Rename one of them or add it to {IGNORE_FILE}.")
    return [unique[path] for path in sorted(unique)]
