"""What every handler gets: the parsed target of the request and the store it acts on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import StorageError
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

    @property
    def headers(self) -> Any:
        return self.request.headers

    @property
    def query(self) -> Any:
        return self.request.query


def smb_properties(req: FileServiceRequest, *, directory: bool) -> dict[str, Any]:
    """The SMB properties of a Create / Set Properties request that differ from the defaults."""
    props: dict[str, Any] = {}
    attributes = req.headers.get("x-ms-file-attributes")
    if attributes and attributes.lower() not in ("none", "preserve"):
        props["attributes"] = attributes
    created = req.headers.get("x-ms-file-creation-time")
    if created:
        when = parse_file_time(created, header="x-ms-file-creation-time")
        if when is not None:
            props["creation_ns"] = when
    for header in ("x-ms-file-permission-key",):
        if req.headers.get(header):
            props["permission_key"] = req.headers[header]
    return props


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
        "x-ms-file-change-time": file_time(max(node.ctime_ns, node.changed_ns)),
        "x-ms-file-permission-key": node.props.get("permission_key", DEFAULT_PERMISSION_KEY),
        "x-ms-file-id": str(node.inode),
        "x-ms-file-parent-id": str(node.parent_inode),
    })
    if kind == "file":
        headers.update({
            "x-ms-type": "File",
            "Content-Type": node.props.get("content_type") or "application/octet-stream",
            "x-ms-lease-state": "available",
            "x-ms-lease-status": "unlocked",
        })
        for prop, header in RESPONSE_CONTENT_HEADERS.items():
            if node.props.get(prop):
                headers[header] = node.props[prop]
    return headers


def require(condition: bool, status: int, code: str, message: str | None = None) -> None:
    if not condition:
        raise StorageError(status, code, message)
