"""Rename and copy inside the shares on disk: what Rename File/Directory and Copy File do to the store.

A rename is one `os.rename` (atomic, keeps the inode, so the properties rows simply follow the path); a copy
is a plain byte copy into a new inode with the source's properties as the starting point.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from .errors import StorageError
from .store import Node, ShareStore


def is_read_only(node: Node) -> bool:
    attributes = str(node.props.get("attributes") or "")
    return "readonly" in attributes.replace(" ", "").lower().split("|")


def _existing(store: ShareStore, account: str, share: str, path: str) -> Node | None:
    target = store.locate(account, share, path)
    if not os.path.lexists(target):
        return None
    return store.node(account, share, path, directory=target.is_dir())


def rename(store: ShareStore, account: str, share: str, source: str, destination: str, *, directory: bool,
           replace: bool, ignore_read_only: bool) -> Node:
    """Move `source` to `destination` in one share, as Rename File / Rename Directory do.

    409 ResourceAlreadyExists when the destination exists and `replace` is off (a directory is never replaced);
    409 ReadOnlyAttribute when it is a read-only file and `ignore_read_only` is off; 404 for a missing source
    (ResourceNotFound) or destination parent (ParentNotFound)."""
    if not source or not destination:
        raise StorageError(400, "InvalidInput", "The root directory of a share cannot be renamed or replaced.")
    moving = store.node(account, share, source, directory=directory)
    if destination == source:
        return moving
    if directory and (destination + "/").startswith(source + "/"):
        raise StorageError(400, "InvalidInput", "A directory cannot be moved into itself.")
    target = store.locate(account, share, destination)
    if not target.parent.is_dir():
        raise StorageError(404, "ParentNotFound")
    existing = _existing(store, account, share, destination)
    if existing is not None:
        if existing.is_dir or not replace:
            # A directory in the way is never replaced; a file only when the caller asked for it.
            raise StorageError(409, "ResourceAlreadyExists" if existing.is_dir == directory or not replace
                               else "ResourceTypeMismatch")
        if is_read_only(existing) and not ignore_read_only:
            raise StorageError(409, "ReadOnlyAttribute",
                               "The specified resource is read-only and cannot be modified at this time.")
        if directory:
            target.unlink()  # a directory replaces a file only by removing it: rename(2) will not
    os.rename(store.locate(account, share, source), target)
    store.properties.move(account, share, source, destination)
    store.lease_hints.update(store.properties.leased(account, share, destination))  # leases move with the items
    return store.node(account, share, destination, directory=directory)


def copy_file(store: ShareStore, account: str, share: str, destination: str, source: Node, source_path: Any,
              props: dict[str, Any]) -> Node:
    """Copy the bytes of `source` (its local path `source_path`, any share of the emulator) over `destination`,
    which gets `props`. The copy completes before the answer: the service does that for same-account copies."""
    target = store.locate(account, share, destination)
    if not target.parent.is_dir():
        raise StorageError(404, "ParentNotFound")
    if target.is_dir():
        raise StorageError(409, "ResourceTypeMismatch")
    partial = target.with_name(f".{target.name}.copy-{os.getpid()}")
    try:
        shutil.copyfile(source_path, partial)
        os.replace(partial, target)  # readers see the old file or the whole copy, never a half
    finally:
        if partial.exists():
            partial.unlink()
    node = store.node(account, share, destination, directory=False)
    return store.replace_properties(account, share, node, props)
