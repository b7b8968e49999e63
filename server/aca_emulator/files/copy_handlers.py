"""Copy File (`x-ms-copy-source` on a file PUT), Abort Copy File (`comp=copy`) and Put Range From URL.

Sources are files of this emulator (`sources.py`). Copies between shares of the emulator complete before the
answer - the service copies same-account files synchronously too - so a copy is reported `success` at once and
Abort Copy always finds nothing pending (409 NoPendingCopyOperation, the service's answer for a finished copy).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import anyio
from aiohttp import web

from .context import CONTENT_SETTINGS, FileServiceRequest, metadata_of, smb_properties
from .errors import StorageError
from .moves import copy_file, is_read_only
from .sources import Source, authorize_source, parse_source
from .store import Node
from .wire import MAX_RANGE_BYTES, file_time, parse_file_time, parse_range, rfc1123

# Copy options that take either a value or the word "source" (take it from the source file).
_FROM_SOURCE = {"x-ms-file-attributes": "attributes", "x-ms-file-creation-time": "creation_ns",
                "x-ms-file-last-write-time": "last_write_ns", "x-ms-file-change-time": "change_ns"}


def _source_node(req: FileServiceRequest, source: Source) -> Node:
    try:
        return req.store.node(source.account, source.share, source.path, directory=False)
    except StorageError as error:
        raise StorageError(error.status, "CannotVerifyCopySource", "The source of the copy could not be read.",
                           headers={"x-ms-copy-source-status-code": str(error.status),
                                    "x-ms-copy-source-error-code": error.code}) from None


def _copy_props(req: FileServiceRequest, source: Node, url: str, copy_id: str) -> dict[str, Any]:
    """The destination's properties: the source's content settings and metadata (unless the request sends
    metadata), SMB properties from the request or - where it says "source" - from the source."""
    props = {key: value for key, value in source.props.items() if key in CONTENT_SETTINGS.values()}
    metadata = metadata_of(req)
    props["metadata"] = metadata or source.props.get("metadata", {})
    named = [*_FROM_SOURCE, "x-ms-file-permission", "x-ms-file-permission-key", "x-ms-file-permission-format"]
    explicit = {h: v for h, v in ((h, req.headers.get(h)) for h in named) if v and v.lower() != "source"}
    props.update(smb_properties(req, directory=False, headers=explicit))
    written = explicit.get("x-ms-file-last-write-time")
    if written and parse_file_time(written, header="x-ms-file-last-write-time") is not None:
        props["last_write_ns"] = parse_file_time(written, header="x-ms-file-last-write-time")
    for header, prop in _FROM_SOURCE.items():
        if (req.headers.get(header) or "").lower() == "source":
            props[prop] = {"attributes": source.props.get("attributes"), "creation_ns": source.creation_ns,
                           "last_write_ns": source.mtime_ns, "change_ns": source.props.get("change_ns")}[prop]
    if (req.headers.get("x-ms-file-permission-copy-mode") or "").lower() == "source":
        props["permission_key"] = source.props.get("permission_key")
    if req.flag("x-ms-file-copy-set-archive"):
        props["attributes"] = "|".join(filter(None, [props.get("attributes"), "Archive"]))
    props = {key: value for key, value in props.items() if value is not None}
    props["copy"] = {"id": copy_id, "source": url, "status": "success", "progress": f"{source.size}/{source.size}",
                     "completed": format_datetime(datetime.now(UTC), usegmt=True)}
    return props


async def copy_file_from_url(req: FileServiceRequest) -> web.Response:
    url = req.headers["x-ms-copy-source"]
    source = parse_source(req, url, header="x-ms-copy-source")
    authorize_source(req, source)
    source_node = _source_node(req, source)
    copy_id = str(uuid.uuid4())
    props = _copy_props(req, source_node, url.split("?", 1)[0], copy_id)
    source_path = req.store.locate(source.account, source.share, source.path)

    def copy() -> Node:
        try:
            existing = req.store.node(req.account, req.share, req.path, directory=False)
        except StorageError:
            existing = None
        if existing is not None and is_read_only(existing) and not req.flag("x-ms-file-copy-ignore-readonly"):
            raise StorageError(409, "ReadOnlyAttribute",
                               "The specified resource is read-only and cannot be modified at this time.")
        if existing is not None and existing.props.get("lease"):
            props["lease"] = existing.props["lease"]  # the copy replaces the bytes, not the lease on the file
        node = copy_file(req.store, req.account, req.share, req.path, source_node, source_path, props)
        write_ns = props.get("last_write_ns")
        if write_ns:
            os.utime(req.store.locate(req.account, req.share, req.path), ns=(write_ns, write_ns))
            node = req.store.refresh(req.account, req.share, node)
        return node

    node = await anyio.to_thread.run_sync(copy)
    return web.Response(status=202, headers={"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns),
                                             "x-ms-copy-id": copy_id, "x-ms-copy-status": "success"})


def copy_headers(node: Node) -> dict[str, str]:
    """What Get File / Get File Properties add about the copy that made the file."""
    copy = node.props.get("copy")
    if not isinstance(copy, dict):
        return {}
    return {"x-ms-copy-id": copy["id"], "x-ms-copy-source": copy["source"], "x-ms-copy-status": copy["status"],
            "x-ms-copy-progress": copy["progress"], "x-ms-copy-completion-time": copy["completed"]}


async def abort_copy(req: FileServiceRequest) -> web.Response:
    if (req.headers.get("x-ms-copy-action") or "").lower() != "abort":
        raise StorageError(400, "MissingRequiredHeader" if not req.headers.get("x-ms-copy-action") else
                           "InvalidHeaderValue", "x-ms-copy-action must be 'abort'.")
    if not req.query.get("copyid"):
        raise StorageError(400, "MissingRequiredQueryParameter", "The copyid query parameter is required.")
    req.store.node(req.account, req.share, req.path, directory=False)
    raise StorageError(409, "NoPendingCopyOperation", "There is currently no pending copy operation.")


async def put_range_from_url(req: FileServiceRequest) -> web.Response:
    url = req.headers["x-ms-copy-source"]
    if (req.headers.get("x-ms-write") or "").lower() != "update":
        raise StorageError(400, "InvalidHeaderValue", "Put Range From URL needs x-ms-write: update.")
    start, end = parse_range(req.headers.get("x-ms-range") or "", header="x-ms-range")
    source_start, source_end = parse_range(req.headers.get("x-ms-source-range") or "", header="x-ms-source-range")
    if end is None or source_end is None or end - start != source_end - source_start:
        raise StorageError(400, "InvalidHeaderValue", "x-ms-range and x-ms-source-range must be closed ranges of "
                           "the same length.")
    if end - start + 1 > MAX_RANGE_BYTES:
        raise StorageError(413, "RequestBodyTooLarge", "A range can be at most 4 MiB.")
    source = parse_source(req, url, header="x-ms-copy-source")
    authorize_source(req, source)
    source_node = _source_node(req, source)
    if source_end >= source_node.size:
        raise StorageError(416, "CannotVerifyCopySource", "The source range is beyond the end of the source file.",
                           headers={"x-ms-copy-source-status-code": "416",
                                    "x-ms-copy-source-error-code": "InvalidRange"})
    source_path = req.store.locate(source.account, source.share, source.path)

    def write() -> Node:
        with open(source_path, "rb") as handle:
            handle.seek(source_start)
            data = handle.read(source_end - source_start + 1)
        return req.store.write_at(req.account, req.share, req.path, start, [data])

    node = await anyio.to_thread.run_sync(write)
    headers = {"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns),
               "x-ms-request-server-encrypted": "true", "x-ms-file-last-write-time": file_time(node.mtime_ns)}
    return web.Response(status=201, headers=headers)
