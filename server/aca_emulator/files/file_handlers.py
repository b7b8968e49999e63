"""File operations: Create (optionally with content), Put Range, Get (ranges), Get/Set Properties,
Set Metadata, Delete.

Put Range writes straight into the file at its offset with one pwrite (no read-modify-write); MD5 checks and
writes of big bodies run in a worker thread so the event loop keeps serving other connections.
"""

from __future__ import annotations

import asyncio
import hashlib
import os

import anyio
from aiohttp import web

from .context import (
    CONTENT_SETTINGS,
    FileServiceRequest,
    content_settings,
    metadata_of,
    node_headers,
    set_write_time,
    smb_properties,
)
from .copy_handlers import copy_headers
from .errors import StorageError
from .store import Node
from .wire import MAX_RANGE_BYTES, decode_md5, encode_md5, file_time, int_header, parse_range, rfc1123

_READ_CHUNK = 1024 * 1024


async def _read_body(req: FileServiceRequest, *, limit: int) -> list[bytes]:
    """The body as the chunks that arrived: hashing and pwritev take them as they are, with no 4 MiB join."""
    request = req.request
    if req.headers.get("x-ms-structured-body"):
        raise StorageError(400, "UnsupportedHeader", "Structured message bodies (CRC64) are not supported by the "
                           "emulator; use Content-MD5 for transactional validation.")
    length = request.content_length
    if length is None:
        if request.body_exists:
            raise StorageError(411, "MissingContentLengthHeader")
        return []
    if length > limit:
        raise StorageError(413, "RequestBodyTooLarge", f"The body is {length} bytes; at most {limit} are allowed.")
    chunks = []
    remaining = length
    while remaining > 0:
        chunk = await request.content.readany()
        if not chunk:
            raise asyncio.IncompleteReadError(b"", remaining)  # the client went away mid-body
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks


def _check_md5(req: FileServiceRequest, chunks: list[bytes]) -> bytes:
    """The body's MD5; 400 Md5Mismatch when the request named another."""
    md5 = hashlib.md5()
    for chunk in chunks:
        md5.update(chunk)
    digest = md5.digest()
    sent = req.headers.get("Content-MD5")
    if sent is not None and decode_md5(sent, header="Content-MD5") != digest:
        raise StorageError(400, "Md5Mismatch", detail=None,
                           message=f"The MD5 value specified in the request did not match with the MD5 value calculated "
                                   f"by the server. Request MD5: {sent}, server MD5: {encode_md5(digest)}.")
    return digest


def _write_headers(node: Node) -> dict[str, str]:
    return {"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns),
            "x-ms-request-server-encrypted": "true", "x-ms-file-last-write-time": file_time(node.mtime_ns)}


async def create_file(req: FileServiceRequest) -> web.Response:
    kind = req.headers.get("x-ms-type")
    if kind is None:
        raise StorageError(400, "MissingRequiredHeader", "The header x-ms-type is required to create a file.")
    if kind.lower() != "file":
        raise StorageError(400, "InvalidHeaderValue", f"x-ms-type must be 'file', not '{kind}'.")
    size = int_header(req.headers, "x-ms-content-length", required=True)
    assert size is not None
    props = {**smb_properties(req, directory=False), **content_settings(req)}
    metadata = metadata_of(req)
    if metadata:
        props["metadata"] = metadata
    data = await _read_body(req, limit=MAX_RANGE_BYTES)
    received = sum(map(len, data))
    if received > size:
        raise StorageError(400, "InvalidHeaderValue", "The body is longer than x-ms-content-length.")

    write_time = req.headers.get("x-ms-file-last-write-time")

    def create() -> tuple[Node, bytes | None]:
        digest = _check_md5(req, data) if data else None
        if req.headers.get("x-ms-lease-id"):  # only a leased file is replaced with a lease id: it keeps the lease
            props["lease"] = req.store.node(req.account, req.share, req.path, directory=False).props.get("lease")
        node = req.store.create_file(req.account, req.share, req.path, size, props, data)
        if write_time and write_time.lower() not in ("now", "preserve"):
            set_write_time(req.store.locate(req.account, req.share, req.path), write_time)
            node = req.store.refresh(req.account, req.share, node)
        return node, digest

    node, digest = await (anyio.to_thread.run_sync(create) if received > 65536 else _inline(create))
    headers = {**node_headers(node, kind="smb"), **_write_headers(node)}
    if digest is not None:
        headers["Content-MD5"] = encode_md5(digest)
    return web.Response(status=201, headers=headers)


async def _inline(work):  # small bodies: a thread hop costs more than the work
    return work()


async def put_range(req: FileServiceRequest) -> web.Response:
    value = req.headers.get("x-ms-range") or req.headers.get("Range")
    if not value:
        raise StorageError(400, "MissingRequiredHeader", "Put Range needs x-ms-range: bytes=start-end.")
    start, end = parse_range(value, header="x-ms-range")
    if end is None:
        raise StorageError(400, "InvalidHeaderValue", "Put Range needs both the start and the end of the range.")
    mode = (req.headers.get("x-ms-write") or "").lower()
    if mode not in ("update", "clear"):
        raise StorageError(400, "InvalidHeaderValue" if mode else "MissingRequiredHeader",
                           "x-ms-write must be 'update' or 'clear'.")
    length = end - start + 1
    if mode == "update" and length > MAX_RANGE_BYTES:
        raise StorageError(413, "RequestBodyTooLarge", "A range can be at most 4 MiB.")
    data = await _read_body(req, limit=MAX_RANGE_BYTES if mode == "update" else 0)
    received = sum(map(len, data))
    if mode == "update" and received != length:
        raise StorageError(400, "InvalidHeaderValue",
                           f"Content-Length {received} does not match the range {value} ({length} bytes).")
    write_time = req.headers.get("x-ms-file-last-write-time")

    def write() -> tuple[Node, bytes | None]:
        digest = _check_md5(req, data) if mode == "update" else None
        before = req.store.node(req.account, req.share, req.path, directory=False) if write_time else None
        if mode == "update":
            node = req.store.write_at(req.account, req.share, req.path, start, data)
        else:
            node = req.store.clear_range(req.account, req.share, req.path, start, length)
        if before is not None:
            set_write_time(req.store.locate(req.account, req.share, req.path), write_time, before_ns=before.mtime_ns)
            node = req.store.refresh(req.account, req.share, node)
        return node, digest

    node, digest = await (anyio.to_thread.run_sync(write) if length > 65536 else _inline(write))
    headers = _write_headers(node)
    if digest is not None:
        headers["Content-MD5"] = encode_md5(digest)
    return web.Response(status=201, headers=headers)


async def get_file(req: FileServiceRequest, *, head: bool = False) -> web.StreamResponse:
    node = req.store.node(req.account, req.share, req.path, directory=False)
    headers = node_headers(node, kind="file")
    headers["Accept-Ranges"] = "bytes"
    headers.update(copy_headers(node))
    headers.update(req.grant.overrides)  # a service SAS may fix the content headers of the answer
    stored_md5 = node.props.get("content_md5")
    value = None if head else (req.headers.get("x-ms-range") or req.headers.get("Range"))
    start, end, status = 0, node.size - 1, 200
    if value:
        start, requested_end = parse_range(value, header="x-ms-range")
        if start >= node.size:
            raise StorageError(416, "InvalidRange", headers={"Content-Range": f"bytes */{node.size}"})
        end = node.size - 1 if requested_end is None else min(requested_end, node.size - 1)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{node.size}"
    length = max(end - start + 1, 0)
    want_range_md5 = (req.headers.get("x-ms-range-get-content-md5") or "").lower() == "true"
    if want_range_md5 and (not value or length > MAX_RANGE_BYTES):
        raise StorageError(400, "OutOfRangeInput",
                           "x-ms-range-get-content-md5 needs a range of at most 4 MiB.")
    if stored_md5:
        if status == 200:
            headers["Content-MD5"] = stored_md5
        headers["x-ms-content-md5"] = stored_md5
    if head:
        headers["Content-Length"] = str(node.size)
        return web.Response(status=200, headers=headers)

    path = req.store.locate(req.account, req.share, req.path)
    if want_range_md5:
        def read_range() -> bytes:
            with open(path, "rb") as handle:
                handle.seek(start)
                return handle.read(length)

        data = await anyio.to_thread.run_sync(read_range)
        headers["Content-MD5"] = encode_md5(hashlib.md5(data).digest())
        return web.Response(status=status, body=data, headers=headers)

    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = length
    await response.prepare(req.request)
    fd = os.open(path, os.O_RDONLY)
    try:
        offset = start
        while offset <= end:
            size = min(_READ_CHUNK, end + 1 - offset)
            chunk = await anyio.to_thread.run_sync(os.pread, fd, size, offset) if size > 65536 else os.pread(fd, size, offset)
            if not chunk:
                break  # the file shrank while it was read: end the body short, the client sees it
            await response.write(chunk)
            offset += len(chunk)
    finally:
        os.close(fd)
    await response.write_eof()
    return response


async def set_file_properties(req: FileServiceRequest) -> web.Response:
    node = req.store.node(req.account, req.share, req.path, directory=False)
    size = int_header(req.headers, "x-ms-content-length")
    if size is not None:
        req.store.resize(req.account, req.share, req.path, size)
    # Set File Properties replaces the content settings: those the request leaves out are cleared.
    data = {key: value for key, value in node.props.items() if key not in CONTENT_SETTINGS.values()}
    data.update(content_settings(req))
    data.update(smb_properties(req, directory=False))
    set_write_time(req.store.locate(req.account, req.share, req.path), req.headers.get("x-ms-file-last-write-time"),
                    before_ns=node.mtime_ns)
    node = req.store.refresh(req.account, req.share, node)
    node = req.store.replace_properties(req.account, req.share, node, data)
    headers = {**node_headers(node, kind="smb"), **_write_headers(node)}
    return web.Response(status=200, headers=headers)


async def set_file_metadata(req: FileServiceRequest) -> web.Response:
    node = req.store.node(req.account, req.share, req.path, directory=False)
    node = req.store.set_properties(req.account, req.share, node, {"metadata": metadata_of(req)})
    return web.Response(status=200, headers={"ETag": node.etag, "x-ms-request-server-encrypted": "true"})


async def delete_file(req: FileServiceRequest) -> web.Response:
    req.store.delete_file(req.account, req.share, req.path)
    return web.Response(status=202)
