"""One changing command at a time per workspace: `.aca-inference/lock` under the workspace.

Two deploys at once would interleave their uploads and their manifest writes, and two config writers would
lose one another's values. The lock is an exclusive `flock` on the file - the kernel drops it when the holder
dies, even by SIGKILL, so a crashed command never blocks the next one - and the file says who holds it (pid,
command, since when) so the refusal can name the other command. A lock file left by a dead process (its pid
is gone) is stale: taken over, and said so.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..errors import OperationFailed

LOCK_PATH = ".aca-inference/lock"


class WorkspaceBusy(OperationFailed):
    """Another command holds the workspace: not bad input, just not now (exit 1)."""


def _holder(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _busy(root: Path, holder: dict[str, object], command: str) -> WorkspaceBusy:
    who = f"`aca-inference {holder.get('command', '?')}` (pid {holder.get('pid', '?')}"
    if holder.get("host") and holder.get("host") != socket.gethostname():
        who += f" on {holder['host']}"
    who += f", running since {holder.get('since', '?')})"
    return WorkspaceBusy(f"Another command is changing workspace {root}: {who}. `aca-inference {command}` did not "
                         "start, so nothing was changed. Wait for it to finish (or stop it), then run this again.")


@contextmanager
def workspace_lock(root: Path, command: str) -> Iterator[str | None]:
    """Hold the workspace for `command`; yields a note when a stale lock was taken over, else None."""
    path = root / LOCK_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "r+", encoding="utf-8", closefd=False) as handle:
            previous = _holder(handle.read())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(root, previous, command) from None
        note = None
        if previous.get("pid") and not _alive(previous.get("pid")):
            note = (f"Took over a stale lock on {root}: `aca-inference {previous.get('command', '?')}` (pid "
                    f"{previous.get('pid')}, since {previous.get('since', '?')}) ended without releasing it.")
        me = {"pid": os.getpid(), "command": command, "host": socket.gethostname(),
              "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        try:
            yield note
        finally:
            os.ftruncate(fd, 0)  # released: a later reader finds no holder
    finally:
        os.close(fd)  # closing drops the flock
