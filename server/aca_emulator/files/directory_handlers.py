"""Directory operations (restype=directory), including List Directories and Files."""

from __future__ import annotations

from aiohttp import web

from .context import FileServiceRequest, metadata_of, node_headers, set_write_time, smb_properties
from .listing import directory_listing_xml, page, page_size, parse_include
from .store import Node


def _write_headers(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "x-ms-request-server-encrypted": "true"}


def _keep_write_time(req: FileServiceRequest, node: Node) -> Node:
    """x-ms-file-last-write-time as sent (the directory's mtime holds it, as a file's does)."""
    value = req.headers.get("x-ms-file-last-write-time")
    if not value or value.lower() in ("now", "preserve"):
        return node
    set_write_time(req.store.locate(req.account, req.share, req.path), value)
    return req.store.refresh(req.account, req.share, node)


async def create_directory(req: FileServiceRequest) -> web.Response:
    props = smb_properties(req, directory=True)
    metadata = metadata_of(req)
    if metadata:
        props["metadata"] = metadata
    node = _keep_write_time(req, req.store.create_directory(req.account, req.share, req.path, props))
    return web.Response(status=201, headers=_write_headers(node_headers(node, kind="smb")))


async def directory_properties(req: FileServiceRequest) -> web.Response:
    node = req.store.node(req.account, req.share, req.path, directory=True)
    return web.Response(status=200, headers=node_headers(node, kind="smb"))


async def set_directory_metadata(req: FileServiceRequest) -> web.Response:
    node = req.store.node(req.account, req.share, req.path, directory=True)
    node = req.store.set_properties(req.account, req.share, node, {"metadata": metadata_of(req)})
    return web.Response(status=200, headers=_write_headers({"ETag": node.etag}))


async def set_directory_properties(req: FileServiceRequest) -> web.Response:
    node = req.store.node(req.account, req.share, req.path, directory=True)
    node = req.store.set_properties(req.account, req.share, node, smb_properties(req, directory=True))
    node = _keep_write_time(req, node)
    return web.Response(status=200, headers=_write_headers(node_headers(node, kind="smb")))


async def delete_directory(req: FileServiceRequest) -> web.Response:
    req.store.delete_directory(req.account, req.share, req.path)
    return web.Response(status=202)


async def list_directory(req: FileServiceRequest) -> web.Response:
    include = parse_include(req.query.get("include"))
    directory, entries = req.store.list_directory(req.account, req.share, req.path)
    prefix = req.query.get("prefix", "")
    marker = req.query.get("marker")
    chosen, next_marker = page(entries, name_of=lambda node: node.name, prefix=prefix, marker=marker,
                               size=page_size(req.query.get("maxresults")))
    endpoint = f"{req.request.scheme}://{req.request.host}/{req.account}/"
    body = directory_listing_xml(endpoint=endpoint, share=req.share, directory=directory, entries=chosen, prefix=prefix,
                                 marker=marker, max_results=req.query.get("maxresults"), next_marker=next_marker,
                                 include=include)
    return web.Response(status=200, body=body, content_type="application/xml")
