"""Share operations (restype=share) and the account-level List Shares."""

from __future__ import annotations

import anyio
from aiohttp import web

from .context import FileServiceRequest, metadata_of, node_headers
from .errors import StorageError
from .leases import lease_headers
from .listing import page, page_size, share_listing_xml
from .wire import int_header

DEFAULT_QUOTA_GIB = 102400


def _quota_headers(props: dict) -> dict[str, str]:
    return {"x-ms-share-quota": str(props.get("quota", DEFAULT_QUOTA_GIB))}


async def create_share(req: FileServiceRequest) -> web.Response:
    props: dict = {"metadata": metadata_of(req)}
    quota = int_header(req.headers, "x-ms-share-quota")
    if quota is not None:
        if not 1 <= quota <= DEFAULT_QUOTA_GIB:
            raise StorageError(400, "InvalidHeaderValue", "x-ms-share-quota must be 1-102400 GiB.")
        props["quota"] = quota
    if req.headers.get("x-ms-access-tier"):
        props["access_tier"] = req.headers["x-ms-access-tier"]
    node = req.store.create_share(req.account, req.share, props)
    return web.Response(status=201, headers={**node_headers(node, kind="share"), **_quota_headers(node.props)})


async def share_properties(req: FileServiceRequest) -> web.Response:
    node = req.store.share_node(req.account, req.share)
    headers = {**node_headers(node, kind="share"), **_quota_headers(node.props),
               "x-ms-access-tier": node.props.get("access_tier", "TransactionOptimized"),
               "x-ms-enabled-protocols": "SMB", **lease_headers(node)}
    return web.Response(status=200, headers=headers)


async def set_share_metadata(req: FileServiceRequest) -> web.Response:
    node = req.store.set_share_properties(req.account, req.share, {"metadata": metadata_of(req)})
    return web.Response(status=200, headers={"ETag": node.etag, "Last-Modified": node_headers(node, kind="share")["Last-Modified"]})


async def set_share_properties(req: FileServiceRequest) -> web.Response:
    updates = {}
    quota = int_header(req.headers, "x-ms-share-quota")
    if quota is not None:
        updates["quota"] = quota
    if req.headers.get("x-ms-access-tier"):
        updates["access_tier"] = req.headers["x-ms-access-tier"]
    node = req.store.set_share_properties(req.account, req.share, updates)
    return web.Response(status=200, headers={"ETag": node.etag, "Last-Modified": node_headers(node, kind="share")["Last-Modified"]})


async def delete_share(req: FileServiceRequest) -> web.Response:
    req.store.share_node(req.account, req.share)
    await anyio.to_thread.run_sync(req.store.delete_share, req.account, req.share)
    return web.Response(status=202)


async def list_shares(req: FileServiceRequest) -> web.Response:
    shares = req.store.list_shares(req.account)
    prefix = req.query.get("prefix", "")
    chosen, next_marker = page(shares, name_of=lambda node: node.path, prefix=prefix, marker=req.query.get("marker"),
                               size=page_size(req.query.get("maxresults")))
    include = {part.strip().lower() for part in req.query.get("include", "").split(",")}
    endpoint = f"{req.request.scheme}://{req.request.host}/{req.account}/"
    body = share_listing_xml(endpoint=endpoint, shares=chosen, prefix=prefix, marker=req.query.get("marker"),
                             max_results=req.query.get("maxresults"), next_marker=next_marker,
                             with_metadata="metadata" in include)
    return web.Response(status=200, body=body, content_type="application/xml")
