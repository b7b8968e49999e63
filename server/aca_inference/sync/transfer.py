"""Writes to the share, bounded and parallel: one request per small file (Create with its content), large
files as Create + 4 MiB Put Range requests in parallel, every body with its Content-MD5 (the service checks
it). Retries are the client's azure-core retry policy; this module only counts and limits.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import anyio

from ..azure.share_store import ShareFile, ShareStore
from .progress import TransferProgress
from .selection import LocalFile

RANGE_BYTES = 4 * 1024 * 1024
RANGES_IN_FLIGHT = 8
_ZERO_RANGE = bytes(RANGE_BYTES)
_INLINE_READ_LIMIT = 256 * 1024  # smaller files are read on the event loop: a thread hop costs more


class SyncStopped(Exception):
    """The caller asked to stop: no new request is started."""


def _md5(data: bytes | memoryview) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _read_small(path: Path) -> tuple[bytes, str, str]:
    data = path.read_bytes()
    return data, _md5(data), hashlib.sha256(data).hexdigest()


def _read_range(path: Path, offset: int, length: int) -> tuple[bytes, str | None]:
    with open(path, "rb", buffering=0) as handle:
        data = os.pread(handle.fileno(), length, offset)
    if len(data) != length:
        raise FileChangedError(f"{path} changed size while it was uploaded")
    # A range of zeros needs no request: Create makes the file zero-filled (sparse) to its length.
    zeros = _ZERO_RANGE if length == RANGE_BYTES else bytes(length)
    return data, (None if data == zeros else _md5(data))


class FileChangedError(Exception):
    pass


class ShareWriter:
    def __init__(self, share: ShareStore, root: Path, *, concurrency: int, progress: TransferProgress,
                 is_cancelled: Callable[[], bool]) -> None:
        self.share = share
        self.root = root
        self.limiter = anyio.CapacityLimiter(concurrency)
        # At most 8 ranges of 4 MiB in flight: past that, more buffers only cost memory bandwidth (measured).
        self.range_limiter = anyio.CapacityLimiter(min(RANGES_IN_FLIGHT, concurrency))
        self.progress = progress
        self.is_cancelled = is_cancelled
        self.requests = 0

    # Every HTTP response (retries included) passes through this hook: the count the result reports.
    def _count(self, _response: Any) -> None:
        self.requests += 1

    @property
    def options(self) -> dict[str, Any]:
        return {"raw_response_hook": self._count}

    def _check_stop(self) -> None:
        if self.is_cancelled():
            raise SyncStopped

    async def create_directory(self, path: str) -> bool:
        from azure.core.exceptions import ResourceExistsError

        async with self.limiter:
            self._check_stop()
            try:
                await self.share.create_directory(path, **self.options)
                return True
            except ResourceExistsError:
                return False

    async def create_parents(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            await self.create_directory("/".join(parts[:depth]))

    async def upload(self, file: LocalFile, on_started: Callable[[], None], known_sha: str | None = None,
                     to: str | None = None) -> str:
        """Upload one file (to its own path on the share, or to `to`); returns its sha256 (of the bytes sent).
        Retries once after creating missing parents."""
        from azure.core.exceptions import ResourceNotFoundError

        target = to or file.path
        try:
            return await self._upload(file, on_started, known_sha, target)
        except ResourceNotFoundError as error:
            if getattr(error, "error_code", None) != "ParentNotFound":
                raise
        await self.create_parents(target)  # a folder removed behind our back: make it again
        return await self._upload(file, on_started, known_sha, target)

    async def _upload(self, file: LocalFile, on_started: Callable[[], None], known_sha: str | None,
                      target: str) -> str:
        path = self.root / file.path
        client = self.share.get_file_client(target)
        if file.size <= RANGE_BYTES:
            async with self.limiter:
                self._check_stop()
                if file.size <= _INLINE_READ_LIMIT:
                    data, md5, sha = _read_small(path)
                else:
                    data, md5, sha = await anyio.to_thread.run_sync(_read_small, path)
                if len(data) != file.size:
                    raise FileChangedError(f"{file.path} changed size while it was uploaded")
                on_started()
                if data:
                    await client.create_file(len(data), data=data, headers={"Content-MD5": md5}, **self.options)
                else:
                    await client.create_file(0, **self.options)
            self.progress.add(files=1, nbytes=file.size)
            return sha
        return await self._upload_large(file, client, path, on_started, known_sha)

    async def _upload_large(self, file: LocalFile, client: ShareFile, path: Path, on_started: Callable[[], None],
                            known_sha: str | None) -> str:
        async with self.limiter:
            self._check_stop()
            on_started()
            await client.create_file(file.size, **self.options)
        errors: list[BaseException] = []
        digest: list[str] = [known_sha] if known_sha else []

        async def put_range(offset: int, length: int) -> None:
            if errors:
                return
            async with self.range_limiter, self.limiter:
                try:
                    self._check_stop()
                    data, md5 = await anyio.to_thread.run_sync(_read_range, path, offset, length)
                    if md5 is not None:
                        await client.upload_range(data, offset, length, headers={"Content-MD5": md5}, **self.options)
                except Exception as error:  # noqa: BLE001 - the first failure fails the file, the others stop
                    errors.append(error)
                    return
            self.progress.add(nbytes=length)

        async def hash_whole() -> None:
            # The manifest needs the sha256 of the whole file; reading it once more runs on the other core.
            digest.append(await anyio.to_thread.run_sync(_sha256_file, path))

        async with anyio.create_task_group() as group:
            if not digest:
                group.start_soon(hash_whole)
            for offset in range(0, file.size, RANGE_BYTES):
                group.start_soon(put_range, offset, min(RANGE_BYTES, file.size - offset))
        if errors:
            raise errors[0]
        self.progress.add(files=1)
        return digest[0]

    async def delete(self, path: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        async with self.limiter:
            self._check_stop()
            with suppress(ResourceNotFoundError):  # already gone: the goal is reached
                await self.share.get_file_client(path).delete_file(**self.options)

    async def remove_directory_if_empty(self, path: str) -> bool:
        async with self.limiter:
            self._check_stop()
            try:
                await self.share.get_directory_client(path).delete_directory(**self.options)
                return True
            except Exception:  # noqa: BLE001 - not empty (others' files are there), gone, unreachable: leave it
                return False


def _sha256_file(path: Path) -> str:
    from .hash_cache import sha256_of

    return sha256_of(path)
