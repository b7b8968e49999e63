"""Small share operations the release store is built from: list a folder, write bytes atomically, read bytes."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...azure.share_store import ShareStore
from .layout import PARTIAL_MARK


@dataclass(frozen=True)
class Entry:
    name: str
    is_directory: bool
    size: int
    changed: datetime | None  # last write or change time, where the service reports it


def _parent_missing(error: BaseException) -> bool:
    return getattr(error, "error_code", None) in ("ParentNotFound", "ResourceNotFound")


async def list_folder(share: ShareStore, path: str, **options: Any) -> list[Entry] | None:
    """The folder's entries, or None when it does not exist (a missing share is the caller's error)."""
    from azure.core.exceptions import ResourceNotFoundError

    entries: list[Entry] = []
    try:
        async for item in share.get_directory_client(path).list_directories_and_files(include=["timestamps"],
                                                                                      **options):
            changed = item.get("last_write_time") or item.get("change_time")
            entries.append(Entry(name=item["name"], is_directory=bool(item.get("is_directory")),
                                 size=int(item.get("size") or 0), changed=changed))
    except ResourceNotFoundError as error:
        if getattr(error, "error_code", None) == "ShareNotFound":
            raise
        return None
    return entries


async def make_folders(share: ShareStore, path: str, **options: Any) -> None:
    """Every folder of `path`, parents first (one that exists is fine)."""
    from azure.core.exceptions import ResourceExistsError

    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        with contextlib.suppress(ResourceExistsError):
            await share.create_directory("/".join(parts[:depth]), **options)


def partial_name(path: str) -> str:
    return f"{path}{PARTIAL_MARK}{secrets.token_hex(4)}"


async def rename_into_place(share: ShareStore, partial: str, path: str, **options: Any) -> None:
    """The file appears under its final name complete or not at all (Azure Files' rename is atomic)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        await share.get_file_client(partial).rename_file(path, overwrite=True, **options)
    except ResourceNotFoundError:
        # A retry of a rename the service had already done (its answer was lost on the way): the temporary name
        # is gone because the file is in place. The partial name is ours alone, so the file there is ours.
        if not await share.get_file_client(path).exists(**options):
            raise


async def write_bytes_atomically(share: ShareStore, path: str, data: bytes, **options: Any) -> None:
    """Create-with-content under a temporary name (Content-MD5 checked by the service), then rename."""
    partial = partial_name(path)
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    client = share.get_file_client(partial)
    try:
        await client.create_file(len(data), data=data, headers={"Content-MD5": md5}, **options)
    except Exception as error:
        if not _parent_missing(error):
            raise
        await make_folders(share, path.rpartition("/")[0], **options)
        await client.create_file(len(data), data=data, headers={"Content-MD5": md5}, **options)
    await rename_into_place(share, partial, path, **options)


async def read_bytes(share: ShareStore, path: str, **options: Any) -> bytes | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        downloader = await share.get_file_client(path).download_file(**options)
        data: bytes = await downloader.readall()
        return data
    except ResourceNotFoundError as error:
        if getattr(error, "error_code", None) == "ShareNotFound":
            raise
        return None
