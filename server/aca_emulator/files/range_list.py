"""Get Range List (`comp=rangelist`): the ranges of a file that hold data, from the file itself (`extents`)."""

from __future__ import annotations

import os

import anyio
from aiohttp import web

from .context import FileServiceRequest
from .errors import StorageError
from .wire import parse_range, rfc1123


async def list_ranges(req: FileServiceRequest) -> web.Response:
    from .extents import data_ranges

    if req.query.get("prevsharesnapshot"):
        # Range diffs compare with a share snapshot; the emulator keeps none, so no snapshot is ever found.
        raise StorageError(404, "PreviousSnapshotNotFound", "The specified previous snapshot was not found "
                           "(the emulator keeps no share snapshots).")
    node = req.store.node(req.account, req.share, req.path, directory=False)
    value = req.headers.get("x-ms-range") or req.headers.get("Range")
    start, end = parse_range(value, header="x-ms-range") if value else (0, None)

    def scan() -> list[tuple[int, int]]:
        fd = os.open(req.store.locate(req.account, req.share, req.path), os.O_RDONLY)
        try:
            return data_ranges(fd, node.size, start, end)
        finally:
            os.close(fd)

    ranges = await anyio.to_thread.run_sync(scan)
    body = ('<?xml version="1.0" encoding="utf-8"?><Ranges>'
            + "".join(f"<Range><Start>{first}</Start><End>{last}</End></Range>" for first, last in ranges)
            + "</Ranges>")
    headers = {"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns), "x-ms-content-length": str(node.size)}
    return web.Response(status=200, body=body.encode(), content_type="application/xml", headers=headers)
