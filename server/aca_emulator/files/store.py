"""The shares on disk: `shares_root/<account>/<share>/` are plain directories holding plain files.

Everything here is synchronous and short (a stat, an mkdir, one pwrite of at most 4 MiB); the handlers run
the few calls that can take longer (big writes, tree deletes) in a worker thread.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat as stat_module
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure_name_rules import ResourceKind, check_name

from . import extents
from .errors import StorageError
from .properties import PropertyStore, StoredProperties, parent_of
from .wire import etag

_INVALID_NAME_CHARS = re.compile(r'["\\:|<>*?\x00-\x1f]')
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
MAX_FILE_BYTES = 4 * 1024**4


@dataclass(frozen=True)
class Node:
    """A share, directory or file as the service describes it: its stat plus the properties kept beside it."""

    path: str
    is_dir: bool
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    parent_inode: int
    props: dict[str, Any]
    changed_ns: int

    @property
    def etag(self) -> str:
        return etag(self.inode, self.mtime_ns, 0 if self.is_dir else self.size, self.changed_ns)

    @property
    def last_modified_ns(self) -> int:
        return max(self.mtime_ns, self.changed_ns)

    @property
    def creation_ns(self) -> int:
        return int(self.props.get("creation_ns") or min(self.mtime_ns, self.ctime_ns))

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


def _node(path: str, st: os.stat_result, parent_inode: int, stored: StoredProperties) -> Node:
    return Node(path, stat_module.S_ISDIR(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                parent_inode, stored.data, stored.changed_ns)


def _write_all(fd: int, chunks: list[bytes], offset: int) -> None:
    """pwritev the chunks at `offset`; pwritev takes at most IOV_MAX buffers and may write short."""
    if len(chunks) > 512:
        chunks = [b"".join(chunks)]
    length = sum(map(len, chunks))
    written = os.pwritev(fd, chunks, offset)
    if written < length:
        rest = b"".join(chunks)[written:]
        while rest:
            done = os.pwrite(fd, rest, offset + written)
            written, rest = written + done, rest[done:]


def check_path(path: str, *, allow_trailing_dot: bool = False) -> str:
    """A directory or file path as the URL gave it (decoded), checked against the service's naming rules.

    Without `x-ms-allow-trailing-dot: true` the service trims the trailing dots of every name, as SMB does
    ('file.' is 'file'); with it, they are part of the name."""
    parts = [part for part in path.split("/") if part != ""]
    if not allow_trailing_dot:
        parts = [part.rstrip(".") or part for part in parts]
    if len(path.encode()) > 2048:
        raise StorageError(400, "InvalidResourceName", "The path is longer than 2,048 bytes.")
    for part in parts:
        if set(part) <= {"."} or _INVALID_NAME_CHARS.search(part) or len(part) > 255:
            raise StorageError(400, "InvalidResourceName",
                               f"The name '{part}' is not a valid directory or file name.")
    return "/".join(parts)


class ShareStore:
    def __init__(self, shares_root: Path) -> None:
        self.root = Path(shares_root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._root_real = os.path.realpath(self.root)
        self.properties = PropertyStore(self.root / ".files-meta.sqlite")
        # Where a lease may be held: writes elsewhere skip the lease check's lookup (it costs a stat and a query
        # on every write). A hint may outlive its lease (the check then finds none); it never misses one.
        self.lease_hints: set[tuple[str, str, str]] = set(self.properties.leased())

    def close(self) -> None:
        self.properties.close()

    # -- shares ---------------------------------------------------------------------------------------------
    def share_dir(self, account: str, share: str) -> Path:
        if not _ACCOUNT.match(account):
            raise StorageError(400, "InvalidUri", f"'{account}' is not a storage account name.")
        if check_name(ResourceKind.file_share, share) is not None:
            raise StorageError(400, "InvalidResourceName", f"'{share}' is not a valid share name: "
                               "3-63 lower-case letters, digits and single hyphens.")
        return self.root / account / share

    def _existing_share(self, account: str, share: str) -> Path:
        directory = self.share_dir(account, share)
        if not directory.is_dir():
            raise StorageError(404, "ShareNotFound")
        return directory

    def create_share(self, account: str, share: str, props: dict[str, Any]) -> Node:
        directory = self.share_dir(account, share)
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            directory.mkdir()
        except FileExistsError:
            raise StorageError(409, "ShareAlreadyExists") from None
        self.properties.delete_share(account, share)  # rows of a share deleted behind our back
        st = directory.stat()
        changed = self.properties.put(account, share, "", st.st_ino, props)
        return _node("", st, 0, StoredProperties(props, changed))

    def share_node(self, account: str, share: str) -> Node:
        st = self._existing_share(account, share).stat()
        return _node("", st, 0, self.properties.get(account, share, "", st.st_ino))

    def set_share_properties(self, account: str, share: str, updates: dict[str, Any]) -> Node:
        node = self.share_node(account, share)
        data = {**node.props, **updates}
        changed = self.properties.put(account, share, "", node.inode, data)
        return Node(**{**node.__dict__, "props": data, "changed_ns": changed})

    def delete_share(self, account: str, share: str) -> None:
        directory = self._existing_share(account, share)
        shutil.rmtree(directory)
        self.properties.delete_share(account, share)

    def list_shares(self, account: str) -> list[Node]:
        base = self.root / account
        if not base.is_dir():
            return []
        shares = []
        for entry in sorted(os.scandir(base), key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False) and check_name(ResourceKind.file_share, entry.name) is None:
                st = entry.stat(follow_symlinks=False)
                shares.append(_node(entry.name, st, 0, self.properties.get(account, entry.name, "", st.st_ino)))
        return shares

    # -- what the management plane (ARM) asks of the shares --------------------------------------------------
    def add_account(self, account: str) -> None:
        """A storage account's folder, once its create has finished."""
        (self.root / account).mkdir(parents=True, exist_ok=True)

    def remove_account(self, account: str) -> None:
        """A deleted storage account's shares, their bytes and the properties kept beside them."""
        shutil.rmtree(self.root / account, ignore_errors=True)
        for share in self.properties.shares(account):
            self.properties.delete_share(account, share)

    def has_share(self, account: str, share: str) -> bool:
        return check_name(ResourceKind.file_share, share) is None and (self.root / account / share).is_dir()

    def add_share(self, account: str, share: str) -> None:
        """A share created through ARM (its properties live in ARM's record; rows left by an earlier share of
        that name are dropped, as `create_share` does)."""
        (self.root / account / share).mkdir(parents=True)
        self.properties.delete_share(account, share)

    def remove_share(self, account: str, share: str) -> bool:
        """False when there was no such share."""
        if not self.has_share(account, share):
            return False
        shutil.rmtree(self.root / account / share)
        self.properties.delete_share(account, share)
        return True

    def share_modified(self, account: str, share: str) -> float | None:
        """The share folder's mtime (seconds), None when it does not exist."""
        directory = self.root / account / share
        return directory.stat().st_mtime if self.has_share(account, share) else None

    def share_names(self, account: str) -> list[str]:
        base = self.root / account
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []

    # -- paths ----------------------------------------------------------------------------------------------
    def locate(self, account: str, share: str, path: str) -> Path:
        """The local path of `path` in the share; 404 for anything that would leave the share (symlinks)."""
        base = self._existing_share(account, share)
        if not path:
            return base
        target = base / path
        # The share folder itself is ours (its name is checked); only a symlink below it could lead out.
        base_real = os.path.join(self._root_real, account, share)
        real = os.path.realpath(os.path.join(base_real, path))
        if not real.startswith(base_real + os.sep):
            raise StorageError(404, "ResourceNotFound")
        return target

    def _missing(self, account: str, share: str, path: str) -> StorageError:
        parent = parent_of(path)
        if parent and not self.locate(account, share, parent).is_dir():
            return StorageError(404, "ParentNotFound")
        return StorageError(404, "ResourceNotFound")

    def node(self, account: str, share: str, path: str, *, directory: bool) -> Node:
        target = self.locate(account, share, path)
        try:
            st = target.stat()
            parent_inode = target.parent.stat().st_ino if path else 0
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(account, share, path) from None
        if stat_module.S_ISDIR(st.st_mode) != directory:
            # A directory operation on a file (or the reverse) finds nothing, as the service answers.
            raise StorageError(404, "ResourceNotFound")
        return _node(path, st, parent_inode, self.properties.get(account, share, path, st.st_ino))

    def _require_parent(self, account: str, share: str, path: str) -> Path:
        target = self.locate(account, share, path)
        if not target.parent.is_dir():
            raise StorageError(404, "ParentNotFound")
        return target

    def set_properties(self, account: str, share: str, node: Node, updates: dict[str, Any]) -> Node:
        return self.replace_properties(account, share, node, {**node.props, **updates})

    def replace_properties(self, account: str, share: str, node: Node, data: dict[str, Any]) -> Node:
        changed = self.properties.put(account, share, node.path, node.inode, data)
        return Node(**{**node.__dict__, "props": data, "changed_ns": changed})

    # -- directories ----------------------------------------------------------------------------------------
    def create_directory(self, account: str, share: str, path: str, props: dict[str, Any]) -> Node:
        if not path:
            raise StorageError(409, "ResourceAlreadyExists")
        target = self._require_parent(account, share, path)
        try:
            target.mkdir()
        except FileExistsError:
            code = "ResourceAlreadyExists" if target.is_dir() else "ResourceTypeMismatch"
            raise StorageError(409, code) from None
        st = target.stat()
        changed = self.properties.put(account, share, path, st.st_ino, props) if props else 0
        return _node(path, st, target.parent.stat().st_ino, StoredProperties(props, changed))

    def delete_directory(self, account: str, share: str, path: str) -> None:
        if not path:
            raise StorageError(400, "InvalidUri", "The root directory of a share cannot be deleted.")
        self.node(account, share, path, directory=True)
        try:
            self.locate(account, share, path).rmdir()
        except OSError as error:
            if error.errno == errno.ENOTEMPTY:
                raise StorageError(409, "DirectoryNotEmpty") from None
            raise
        self.properties.delete(account, share, path)

    def list_directory(self, account: str, share: str, path: str) -> tuple[Node, list[Node]]:
        """The directory and its entries, sorted by name (the listing's order and marker space)."""
        directory = self.node(account, share, path, directory=True)
        stored = self.properties.children(account, share, path)
        base = self.locate(account, share, path)
        entries = []
        for entry in os.scandir(base):
            if entry.is_symlink():
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed while listing
            if not (stat_module.S_ISDIR(st.st_mode) or stat_module.S_ISREG(st.st_mode)):
                continue
            inode, props = stored.get(entry.name, (None, StoredProperties()))
            child = f"{path}/{entry.name}" if path else entry.name
            entries.append(_node(child, st, directory.inode, props if inode == st.st_ino else StoredProperties()))
        entries.sort(key=lambda node: node.name)
        return directory, entries

    # -- files ----------------------------------------------------------------------------------------------
    def create_file(self, account: str, share: str, path: str, size: int, props: dict[str, Any],
                    content: list[bytes] | None = None) -> Node:
        if not path:
            raise StorageError(400, "InvalidUri", "A file needs a name.")
        if size > MAX_FILE_BYTES:
            raise StorageError(400, "OutOfRangeInput", "x-ms-content-length exceeds the 4 TiB maximum of a file.")
        target = self.locate(account, share, path)
        # Create replaces the file: truncate to nothing, then extend (sparse) to the declared length.
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except (FileNotFoundError, NotADirectoryError):
            raise StorageError(404, "ParentNotFound") from None
        except IsADirectoryError:
            raise StorageError(409, "ResourceTypeMismatch") from None
        try:
            os.ftruncate(fd, size)
            if content:  # Create with its initial content: one open, one write
                _write_all(fd, content, 0)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        changed = self.properties.put(account, share, path, st.st_ino, props) if props else 0
        if not props:
            self.properties.delete(account, share, path)
        return _node(path, st, target.parent.stat().st_ino, StoredProperties(props, changed))

    def open_file(self, account: str, share: str, path: str, flags: int) -> tuple[int, Node]:
        node = self.node(account, share, path, directory=False)
        return os.open(self.locate(account, share, path), flags), node

    def write_at(self, account: str, share: str, path: str, offset: int, chunks: list[bytes]) -> Node:
        """One pwritev at `offset` into the existing file (the range must lie within its length): the bytes go
        straight to their place, nothing else of the file is read or rewritten."""
        length = sum(map(len, chunks))
        fd, node = self.open_file(account, share, path, os.O_WRONLY)
        try:
            size = os.fstat(fd).st_size
            if offset + length > size:
                raise StorageError(416, "InvalidRange", headers={"Content-Range": f"bytes */{size}"})
            _write_all(fd, chunks, offset)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        return _node(path, st, node.parent_inode, StoredProperties(node.props, node.changed_ns))

    def clear_range(self, account: str, share: str, path: str, offset: int, length: int) -> Node:
        fd, node = self.open_file(account, share, path, os.O_WRONLY)
        try:
            size = os.fstat(fd).st_size
            if offset + length > size:
                raise StorageError(416, "InvalidRange", headers={"Content-Range": f"bytes */{size}"})
            extents.clear(fd, offset, length)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        return _node(path, st, node.parent_inode, StoredProperties(node.props, node.changed_ns))

    def resize(self, account: str, share: str, path: str, size: int) -> None:
        if size > MAX_FILE_BYTES:
            raise StorageError(400, "OutOfRangeInput", "x-ms-content-length exceeds the 4 TiB maximum of a file.")
        os.truncate(self.locate(account, share, path), size)

    def delete_file(self, account: str, share: str, path: str) -> None:
        self.node(account, share, path, directory=False)
        try:
            self.locate(account, share, path).unlink()
        except FileNotFoundError:
            raise StorageError(404, "ResourceNotFound") from None
        self.properties.delete(account, share, path)

    def refresh(self, account: str, share: str, node: Node) -> Node:
        return self.node(account, share, node.path, directory=node.is_dir)
