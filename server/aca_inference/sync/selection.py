"""What a deploy uploads: the include folders (default `inference/`) of the workspace, minus ignored files.

Paths are POSIX, relative to the workspace root, and land at the same path on the share (the app sees
`/mount/inference/app.py`). Azure Files is case-insensitive and refuses some characters: such names are
reported up front, all of them at once, naming each file, rather than failing half-way through an upload.

A deploy deletes a file on the share only when the scan has positively seen it is gone locally, so the scan
never guesses: a folder or file it cannot read (permissions, I/O error), or an ignore file it cannot read
(the rules would be wrong), stops the deploy before anything is written. Links that lead nowhere useful (a
loop, a folder, a FIFO or device) are skipped with a warning and their share copies are *kept*: skipping
rather than refusing because such links are often left by tools and have no content to deploy; keeping
because "cannot be followed" is not "gone".
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import InputError
from .ignore_rules import IGNORE_FILE, IgnoreRules, UnreadableIgnoreFile

DEFAULT_INCLUDE = ("inference",)
# The fine-tuning job's outputs on the share: a deploy never writes or deletes there.
PROTECTED_FOLDERS = ("model-cache", "models")
_FORBIDDEN = re.compile(r'["\\:|<>*?\x00-\x1f]')
_SHOWN = 20  # problems listed in one message; the count says how many more


@dataclass(frozen=True)
class LocalFile:
    path: str  # POSIX, relative to the workspace root == path on the share
    size: int
    mtime_ns: int


@dataclass
class Selection:
    """The scan's outcome: files to sync, and paths seen but skipped (never deleted from the share)."""

    files: list[LocalFile] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> why
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> OS error


class UnreadableWorkspace(InputError):
    """The scan could not read part of the workspace: deploying would guess what is there."""


def _listing(items: list[str]) -> str:
    shown = "".join(f"\n  - {item}" for item in items[:_SHOWN])
    return shown + (f"\n  ... and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def unreadable_error(root: Path, unreadable: dict[str, str]) -> UnreadableWorkspace:
    items = [f"{printable(path)}: {why}" for path, why in sorted(unreadable.items())]
    return UnreadableWorkspace(
        f"Deploy stopped before changing anything: {len(items)} path(s) in {root} could not be read, so what the "
        f"share should hold is unknown:{_listing(items)}\n  Fix: fix their permissions (e.g. `chmod -R u+rX <path>`), "
        f"or add them to {IGNORE_FILE} if they are not part of the app.")


def _why(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _check_include(root: Path, entry: str) -> str:
    posix = PurePosixPath(entry.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts or str(posix) == ".":
        raise InputError(f"Deploy include '{entry}' must be a folder or file inside the workspace, "
                         f"relative to {root} (for example 'inference').")
    if posix.parts[0] in PROTECTED_FOLDERS:
        raise InputError(f"Deploy include '{entry}' is inside {posix.parts[0]}/, which holds the fine-tuning job's "
                         "outputs on the share; deploys never write there. Remove it from the include list.")
    try:
        os.stat(root / posix)
    except FileNotFoundError:
        raise InputError(f"Deploy include '{entry}' does not exist in {root}. Create it or fix the include list.") from None
    except OSError as error:
        raise unreadable_error(root, {str(posix): _why(error)}) from None
    return str(posix)


def printable(path: str) -> str:
    """A path as it can be shown: control characters escaped (a terminal would swallow them)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)


def name_problem(path: str) -> str | None:
    """Why Azure Files cannot hold `path`, or None."""
    shown = printable(path)
    for part in path.split("/"):
        bad = _FORBIDDEN.search(part)
        if bad:
            return f"'{shown}' has the character {bad.group()!r}"
        if part.endswith((".", " ")):
            return f"'{shown}' has a name ending in a dot or space"
        if len(part) > 255:
            return f"'{shown}' has a name of more than 255 characters"
    return None


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


def _readable(path: str) -> OSError | None:
    """Opening is the real test (root ignores mode bits, ACLs and LSMs may not): non-blocking, nothing read."""
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC))
    except OSError as error:
        return error
    return None


def _add_file(out: Selection, path: str, full: str, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        out.skipped[path] = "not a regular file (a FIFO, socket or device)" if not stat.S_ISDIR(st.st_mode) \
            else "a link to a folder (links to folders are not followed)"
        return
    error = _readable(full)
    if error is not None:
        out.unreadable[path] = _why(error)
    else:
        out.files.append(LocalFile(path, st.st_size, st.st_mtime_ns))


def _walk(root: Path, directory: str, parent_rules: IgnoreRules, out: Selection) -> None:
    try:
        entries = list(os.scandir(root / directory))
    except (FileNotFoundError, NotADirectoryError):
        return  # removed while we walked: positively gone
    except OSError as error:
        out.unreadable[directory + "/"] = _why(error)
        return
    try:  # the folder's own ignore files, read once we know the folder itself can be read
        rules = parent_rules.child(directory)
    except UnreadableIgnoreFile as error:
        out.unreadable[error.relative] = error.why
        return
    for entry in entries:
        path = f"{directory}/{entry.name}" if directory else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir:
                if rules.ignores(path, is_dir=True):
                    continue
                if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                    continue  # a virtual environment under another name
                _walk(root, path, rules, out)
                continue
            if rules.ignores(path, is_dir=False):
                continue
            st = entry.stat(follow_symlinks=True)  # a symlinked file uploads its target's content
        except FileNotFoundError:
            if entry.is_symlink():
                out.skipped[path] = "a link whose target does not exist"
            continue  # otherwise removed while we walked: positively gone
        except OSError as error:
            if error.errno == errno.ELOOP:
                out.skipped[path] = "a symbolic link loop"
            else:
                out.unreadable[path] = _why(error)
            continue
        _add_file(out, path, entry.path, st)


def scan(root: Path, include: list[str] | tuple[str, ...] | None = None) -> Selection:
    """Walk the include entries. Raises InputError for a bad include entry, unreadable paths (all of them),
    names Azure refuses (all of them) and names differing only in case."""
    root = root.resolve()
    out = Selection()
    try:
        for entry in dict.fromkeys(_check_include(root, e) for e in (include or DEFAULT_INCLUDE)):
            _scan_entry(root, entry, out)
    except UnreadableIgnoreFile as error:
        out.unreadable[error.relative] = error.why
    if out.unreadable:
        raise unreadable_error(root, out.unreadable)
    if not out.files:
        folders = ", ".join(f"{entry}/" for entry in (include or DEFAULT_INCLUDE))
        raise InputError(f"Nothing to deploy: {folders} in {root} hold no files once .gitignore, {IGNORE_FILE} and "
                         "the built-in excludes are applied. Add the app's files or fix the ignore rules.")
    unique = {f.path: f for f in out.files}
    problems = [p for path in sorted(unique) if (p := name_problem(path)) is not None]
    by_folded: dict[str, str] = {}
    for path in sorted(unique):
        other = by_folded.setdefault(path.casefold(), path)
        if other != path:
            problems.append(f"'{printable(other)}' and '{printable(path)}' differ only in letter case (Azure Files "
                            "treats them as one file)")
    if problems:
        raise InputError(f"{len(problems)} name(s) in {root} cannot be stored on an Azure Files share:"
                         f"{_listing(problems)}\n  Fix: rename them, or add them to {IGNORE_FILE}. Azure Files "
                         'refuses the characters " \\ : | < > * ? and control characters, names ending in a dot or '
                         "space, and names longer than 255 characters.")
    out.files = [unique[path] for path in sorted(unique)]
    return out


def _scan_entry(root: Path, entry: str, out: Selection) -> None:
    target = root / entry
    parent = str(PurePosixPath(entry).parent) if "/" in entry else ""
    rules, ignored = _rules_down_to(root, parent)
    if ignored or rules.ignores(entry, is_dir=target.is_dir()):
        return
    if target.is_dir():
        _walk(root, entry, rules, out)
        return
    try:
        st = target.stat()
    except FileNotFoundError:
        return
    except OSError as error:
        out.unreadable[entry] = _why(error)
        return
    _add_file(out, entry, str(target), st)


def select_files(root: Path, include: list[str] | tuple[str, ...] | None = None) -> list[LocalFile]:
    """The files to sync, sorted by path (see `scan`)."""
    return scan(root, include).files
