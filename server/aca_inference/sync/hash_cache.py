"""Local cache of content hashes keyed by (path, size, mtime_ns): an unchanged file is never read again.

One JSON file per workspace under the cache dir. Like git's index, an entry whose mtime is too close to the
moment it was hashed is not trusted later (the file could change again within the clock's resolution).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import anyio

from .selection import LocalFile, unreadable_error

_RACY_NS = 2_000_000_000
_FORMAT = 1


class LocalHashCache:
    def __init__(self, cache_dir: Path | None, root: Path) -> None:
        digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]
        self._file = cache_dir / f"hashes-{digest}.json" if cache_dir else None
        self._entries: dict[str, tuple[int, int, str]] = {}
        self._dirty = False
        if self._file and self._file.is_file():
            try:
                raw = json.loads(self._file.read_text())
                if raw.get("format") == _FORMAT:
                    self._entries = {path: (size, mtime, sha) for path, (size, mtime, sha) in raw["files"].items()}
            except (ValueError, KeyError, TypeError):
                self._entries = {}  # a damaged cache only costs re-hashing

    def get(self, file: LocalFile) -> str | None:
        entry = self._entries.get(file.path)
        if entry and entry[0] == file.size and entry[1] == file.mtime_ns:
            return entry[2]
        return None

    def put(self, file: LocalFile, sha256: str) -> None:
        if time.time_ns() - file.mtime_ns < _RACY_NS:
            self._entries.pop(file.path, None)
        else:
            self._entries[file.path] = (file.size, file.mtime_ns, sha256)
        self._dirty = True

    def keep_only(self, paths: set[str]) -> None:
        stale = self._entries.keys() - paths
        for path in stale:
            del self._entries[path]
        self._dirty = self._dirty or bool(stale)

    def save(self) -> None:
        if not self._file or not self._dirty:
            return
        self._file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._file.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"format": _FORMAT, "files": self._entries}, separators=(",", ":")))
        os.replace(temporary, self._file)
        self._dirty = False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def hash_files(root: Path, files: list[LocalFile]) -> dict[str, str]:
    """sha256 of each file, two at a time in threads; a file gone since the scan is left out, an unreadable one
    stops everything (InputError naming them all)."""
    hashes: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    limiter = anyio.CapacityLimiter(2)

    async def one(file: LocalFile) -> None:
        try:
            hashes[file.path] = await anyio.to_thread.run_sync(sha256_of, root / file.path, limiter=limiter)
        except FileNotFoundError:
            pass  # gone since the scan: the upload reports it
        except OSError as error:  # unreadable since the scan: stop before anything is written
            unreadable[file.path] = error.strerror or type(error).__name__

    async with anyio.create_task_group() as group:
        for file in files:
            group.start_soon(one, file)
    if unreadable:
        raise unreadable_error(root, unreadable)
    return hashes
