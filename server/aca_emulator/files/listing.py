"""List Directories and Files / List Shares: paging by name with opaque markers, the service's XML."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from .context import DEFAULT_PERMISSION_KEY, change_time
from .errors import StorageError
from .leases import lease_headers
from .store import Node
from .wire import file_time, rfc1123

MAX_RESULTS = 5000
# Characters XML 1.0 cannot carry, even escaped; a name holding one is sent percent-encoded with Encoded="true".
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def needs_encoding(text: str) -> bool:
    return bool(_NOT_XML.search(text))


def encoded(text: str) -> str:
    """Percent-encoded UTF-8 (names from the disk that are not UTF-8 keep their bytes)."""
    return quote(text.encode("utf-8", "surrogateescape"), safe="")


def string_encoded(tag: str, text: str) -> str:
    """A StringEncoded element of the listings: the text, or its percent-encoding with Encoded="true"."""
    if needs_encoding(text):
        return f'<{tag} Encoded="true">{encoded(text)}</{tag}>'
    return f"<{tag}>{escape(text)}</{tag}>"
_INCLUDE = {"timestamps", "etag", "attributes", "permissionkey"}


def page_size(value: str | None) -> int:
    if value is None:
        return MAX_RESULTS
    try:
        size = int(value)
    except ValueError:
        raise StorageError(400, "InvalidQueryParameterValue", f"maxresults '{value}' is not an integer.") from None
    if size <= 0:
        raise StorageError(400, "OutOfRangeQueryParameterValue", "maxresults must be greater than zero.")
    return min(size, MAX_RESULTS)


def encode_marker(name: str) -> str:
    return "2!" + base64.urlsafe_b64encode(name.encode("utf-8", "surrogateescape")).decode()


def decode_marker(marker: str) -> str:
    try:
        if not marker.startswith("2!"):
            raise ValueError(marker)
        return base64.urlsafe_b64decode(marker[2:].encode()).decode("utf-8", "surrogateescape")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise StorageError(400, "InvalidQueryParameterValue", f"The marker '{marker}' is not valid.") from None


def parse_include(value: str | None) -> set[str]:
    include = {part.strip().lower() for part in (value or "").split(",") if part.strip()}
    unknown = include - _INCLUDE
    if unknown:
        raise StorageError(400, "InvalidQueryParameterValue", f"include value '{sorted(unknown)[0]}' is not supported.")
    return include


def page(nodes: Sequence[Node], *, name_of, prefix: str, marker: str | None, size: int) -> tuple[list[Node], str]:
    start = decode_marker(marker) if marker else ""
    chosen = [node for node in nodes if name_of(node).startswith(prefix) and name_of(node) >= start]
    next_marker = encode_marker(name_of(chosen[size])) if len(chosen) > size else ""
    return chosen[:size], next_marker


def _entry_xml(node: Node, include: set[str]) -> str:
    props = [] if node.is_dir else [f"<Content-Length>{node.size}</Content-Length>"]
    if "timestamps" in include:
        props += [f"<CreationTime>{file_time(node.creation_ns)}</CreationTime>",
                  f"<LastAccessTime>{file_time(node.mtime_ns)}</LastAccessTime>",
                  f"<LastWriteTime>{file_time(node.mtime_ns)}</LastWriteTime>",
                  f"<ChangeTime>{file_time(change_time(node))}</ChangeTime>",
                  f"<Last-Modified>{rfc1123(node.last_modified_ns)}</Last-Modified>"]
    if "etag" in include:
        props.append(f"<Etag>{escape(node.etag)}</Etag>")
    tag = "Directory" if node.is_dir else "File"
    xml = f"<{tag}>{string_encoded('Name', node.name)}<FileId>{node.inode}</FileId><Properties>{''.join(props)}</Properties>"
    if "attributes" in include:
        xml += f"<Attributes>{escape(node.props.get('attributes') or ('Directory' if node.is_dir else 'Archive'))}</Attributes>"
    if "permissionkey" in include:
        xml += f"<PermissionKey>{escape(node.props.get('permission_key', DEFAULT_PERMISSION_KEY))}</PermissionKey>"
    return xml + f"</{tag}>"


def directory_listing_xml(*, endpoint: str, share: str, directory: Node, entries: Sequence[Node], prefix: str,
                          marker: str | None, max_results: str | None, next_marker: str, include: set[str]) -> bytes:
    path = directory.path
    path_attributes = (f'DirectoryPath={quoteattr(encoded(path))} Encoded="true"' if needs_encoding(path)
                       else f"DirectoryPath={quoteattr(path)}")
    head = (f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint={quoteattr(endpoint)} '
            f"ShareName={quoteattr(share)} {path_attributes}>")
    parts = [head]
    if prefix:
        parts.append(string_encoded("Prefix", prefix))
    if marker:
        parts.append(f"<Marker>{escape(marker)}</Marker>")
    if max_results:
        parts.append(f"<MaxResults>{escape(max_results)}</MaxResults>")
    parts.append(f"<DirectoryId>{directory.inode}</DirectoryId><Entries>")
    parts.extend(_entry_xml(node, include) for node in entries)
    parts.append(f"</Entries><NextMarker>{escape(next_marker)}</NextMarker></EnumerationResults>")
    return "".join(parts).encode()


def _lease_xml(share: Node) -> str:
    lease = lease_headers(share)
    xml = f"<LeaseStatus>{lease['x-ms-lease-status']}</LeaseStatus><LeaseState>{lease['x-ms-lease-state']}</LeaseState>"
    if "x-ms-lease-duration" in lease:
        xml += f"<LeaseDuration>{lease['x-ms-lease-duration']}</LeaseDuration>"
    return xml


def share_listing_xml(*, endpoint: str, shares: Sequence[Node], prefix: str, marker: str | None,
                      max_results: str | None, next_marker: str, with_metadata: bool) -> bytes:
    parts = [f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint={quoteattr(endpoint)}>']
    if prefix:
        parts.append(f"<Prefix>{escape(prefix)}</Prefix>")
    if marker:
        parts.append(f"<Marker>{escape(marker)}</Marker>")
    if max_results:
        parts.append(f"<MaxResults>{escape(max_results)}</MaxResults>")
    parts.append("<Shares>")
    for share in shares:
        parts.append(f"<Share><Name>{escape(share.path)}</Name><Properties>"
                     f"<Last-Modified>{rfc1123(share.last_modified_ns)}</Last-Modified><Etag>{escape(share.etag)}</Etag>"
                     f"<Quota>{share.props.get('quota', 102400)}</Quota>{_lease_xml(share)}</Properties>")
        if with_metadata:
            metadata = share.props.get("metadata", {})
            parts.append("<Metadata>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in metadata.items()) + "</Metadata>")
        parts.append("</Share>")
    parts.append(f"</Shares><NextMarker>{escape(next_marker)}</NextMarker></EnumerationResults>")
    return "".join(parts).encode()
