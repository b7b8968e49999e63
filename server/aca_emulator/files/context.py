"""What every handler gets: the parsed target of the request and the store it acts on."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .errors import StorageError
from .leases import lease_headers
from .permissions import inline_permission
from .sas import Grant
from .store import Node, ShareStore
from .wire import file_time, metadata_from, metadata_headers, parse_file_time, rfc1123

DEFAULT_PERMISSION_KEY = "4066528134148476695*1"
CONTENT_SETTINGS = {  # request header (Set Properties / Create) -> stored property; the response header is the standard one
    "x-ms-content-type": "content_type",
    "x-ms-content-encoding": "content_encoding",
    "x-ms-content-language": "content_language",
    "x-ms-cache-control": "cache_control",
    "x-ms-content-disposition": "content_disposition",
    "x-ms-content-md5": "content_md5",
}
RESPONSE_CONTENT_HEADERS = {
    "content_encoding": "Content-Encoding",
    "content_language": "Content-Language",
    "cache_control": "Cache-Control",
    "content_disposition": "Content-Disposition",
}


@dataclass(frozen=True)
class FileServiceRequest:
    request: web.Request
    store: ShareStore
    account: str
    share: str
    path: str  # decoded, '/'-separated, '' for the share's root directory
    grant: Grant = field(default_factory=lambda: Grant("key"))
    account_keys: Callable[[str], list[str] | None] = lambda account: None

    def policy_of(self, account: str) -> Callable[[str, str], Mapping[str, str] | None]:
        """The stored access policies of `account`'s shares, for SAS `si=` (Set Share ACL keeps them)."""
        return lambda share, identifier: stored_policy(self.store, account, share, identifier)

    def flag(self, header: str) -> bool:
        return (self.headers.get(header) or "").lower() == "true"

    @property
    def headers(self) -> Any:
        return self.request.headers

    @property
    def query(self) -> Any:
        return self.request.query


def stored_policy(store: ShareStore, account: str, share: str, identifier: str) -> Mapping[str, str] | None:
    try:
        acl = store.share_node(account, share).props.get("acl", {})
    except StorageError:
        return None
    policy = acl.get(identifier)
    return policy if isinstance(policy, dict) else None


def smb_properties(req: FileServiceRequest, *, directory: bool, headers: Mapping[str, str] | None = None
                   ) -> dict[str, Any]:
    """The SMB properties a Create / Set Properties / Rename / Copy request sets, kept as sent ('now',
    'preserve', 'inherit', 'source' and absent headers leave the current or default value)."""
    headers = req.headers if headers is None else headers
    props: dict[str, Any] = {}
    attributes = headers.get("x-ms-file-attributes")
    if attributes and attributes.lower() not in ("none", "preserve", "source"):
        props["attributes"] = attributes
    for header, prop in (("x-ms-file-creation-time", "creation_ns"), ("x-ms-file-change-time", "change_ns")):
        value = headers.get(header)
        if value and value.lower() != "source":
            when = parse_file_time(value, header=header)
            if when is not None:
                props[prop] = when
    key = headers.get("x-ms-file-permission-key")
    if key and key.lower() != "source":
        props["permission_key"] = key
    inline = inline_permission(req.store, req.account, req.share, headers)
    if inline is not None:
        props["permission_key"] = inline
    return props


def set_write_time(path: Any, value: str | None, *, before_ns: int | None = None) -> None:
    """Honour x-ms-file-last-write-time: an explicit time, or 'preserve' (put back what it was before)."""
    if not value:
        return
    when = before_ns if value.lower() == "preserve" else parse_file_time(value, header="x-ms-file-last-write-time")
    if when is not None:
        os.utime(path, ns=(when, when))


def content_settings(req: FileServiceRequest) -> dict[str, Any]:
    from .wire import decode_md5

    settings = {}
    for header, prop in CONTENT_SETTINGS.items():
        value = req.headers.get(header)
        if value:
            if prop == "content_md5":
                decode_md5(value, header=header)
            settings[prop] = value
    return settings


def metadata_of(req: FileServiceRequest) -> dict[str, str]:
    return metadata_from(req.headers)


def change_time(node: Node) -> int:
    """The change time set by a request, else the later of the inode's and the properties' last change."""
    return int(node.props.get("change_ns") or max(node.ctime_ns, node.changed_ns))


def node_headers(node: Node, *, kind: str) -> dict[str, str]:
    """What Get Properties answers. kind: "share"; "smb" (directories, and the echo of file writes: ETag,
    times, attributes, ids); "file" (smb plus the content headers of a file)."""
    headers = {
        "ETag": node.etag,
        "Last-Modified": rfc1123(node.last_modified_ns),
        "x-ms-server-encrypted": "true",
        **metadata_headers(node.props.get("metadata", {})),
    }
    if kind == "share":
        return headers
    headers.update({
        "x-ms-file-attributes": node.props.get("attributes") or ("Directory" if node.is_dir else "Archive"),
        "x-ms-file-creation-time": file_time(node.creation_ns),
        "x-ms-file-last-write-time": file_time(node.mtime_ns),
        "x-ms-file-change-time": file_time(change_time(node)),
        "x-ms-file-permission-key": node.props.get("permission_key", DEFAULT_PERMISSION_KEY),
        "x-ms-file-id": str(node.inode),
        "x-ms-file-parent-id": str(node.parent_inode),
    })
    if kind == "file":
        headers.update({
            "x-ms-type": "File",
            "Content-Type": node.props.get("content_type") or "application/octet-stream",
        })
        headers.update(lease_headers(node))
        for prop, header in RESPONSE_CONTENT_HEADERS.items():
            if node.props.get(prop):
                headers[header] = node.props[prop]
    return headers


def require(condition: bool, status: int, code: str, message: str | None = None) -> None:
    if not condition:
        raise StorageError(status, code, message)
