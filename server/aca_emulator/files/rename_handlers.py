"""Rename File (`comp=rename`) and Rename Directory (`restype=directory&comp=rename`).

The request's URL is the destination; `x-ms-file-rename-source` names the source, in the same share. Options
as the service has them: `x-ms-file-rename-replace-if-exists`, `x-ms-file-rename-ignore-readonly`, new SMB
properties and metadata for the renamed item. A leased source or destination file moves only with its lease id
(`x-ms-source-lease-id`, `x-ms-destination-lease-id`).
"""

from __future__ import annotations

import anyio
from aiohttp import web

from .context import FileServiceRequest, metadata_of, node_headers, set_write_time, smb_properties
from .errors import StorageError
from .leases import check_lease
from .moves import rename
from .sources import authorize_source, parse_source
from .store import Node


async def _rename(req: FileServiceRequest, *, directory: bool) -> web.Response:
    url = req.headers.get("x-ms-file-rename-source")
    if not url:
        raise StorageError(400, "MissingRequiredHeader", "The header x-ms-file-rename-source is required.")
    source = parse_source(req, url, header="x-ms-file-rename-source")
    if (source.account, source.share) != (req.account, req.share):
        raise StorageError(400, "InvalidInput", "The source of a rename must be in the same share as its destination.")
    authorize_source(req, source)
    if not directory:  # a leased source moves only for its lease holder
        check_lease(req.store.node(req.account, req.share, source.path, directory=False), req.headers,
                    header="x-ms-source-lease-id")
    updates = smb_properties(req, directory=directory)
    metadata = metadata_of(req)
    if metadata:
        updates["metadata"] = metadata
    if not directory and req.headers.get("x-ms-content-type"):
        updates["content_type"] = req.headers["x-ms-content-type"]

    def move() -> Node:
        node = rename(req.store, req.account, req.share, source.path, req.path, directory=directory,
                      replace=req.flag("x-ms-file-rename-replace-if-exists"),
                      ignore_read_only=req.flag("x-ms-file-rename-ignore-readonly"))
        node = req.store.set_properties(req.account, req.share, node, updates) if updates else node
        written = req.headers.get("x-ms-file-last-write-time")
        if written and written.lower() not in ("now", "preserve"):
            set_write_time(req.store.locate(req.account, req.share, req.path), written)
            node = req.store.refresh(req.account, req.share, node)
        return node

    node = await anyio.to_thread.run_sync(move)
    return web.Response(status=200, headers={**node_headers(node, kind="smb"), "x-ms-request-server-encrypted": "true"})


async def rename_file(req: FileServiceRequest) -> web.Response:
    return await _rename(req, directory=False)


async def rename_directory(req: FileServiceRequest) -> web.Response:
    return await _rename(req, directory=True)
