"""Share ACL (`comp=acl`: the stored access policies a service SAS names with `si=`) and Share Stats."""

from __future__ import annotations

import os
from xml.sax.saxutils import escape

import anyio
from aiohttp import web

from .context import FileServiceRequest
from .errors import StorageError
from .sas import parse_sas_time
from .wire import request_xml, rfc1123

MAX_POLICIES = 5  # the service's limit of signed identifiers per share
_BODY_LIMIT = 64 * 1024
_PERMISSIONS = "rcwdl"


def _policy_xml(identifier: str, policy: dict[str, str]) -> str:
    parts = "".join(f"<{tag}>{escape(policy[key])}</{tag}>" for tag, key in
                    (("Start", "start"), ("Expiry", "expiry"), ("Permission", "permission")) if policy.get(key))
    return f"<SignedIdentifier><Id>{escape(identifier)}</Id><AccessPolicy>{parts}</AccessPolicy></SignedIdentifier>"


async def get_share_acl(req: FileServiceRequest) -> web.Response:
    node = req.store.share_node(req.account, req.share)
    acl = node.props.get("acl", {})
    body = ('<?xml version="1.0" encoding="utf-8"?><SignedIdentifiers>'
            + "".join(_policy_xml(identifier, policy) for identifier, policy in acl.items())
            + "</SignedIdentifiers>")
    headers = {"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns)}
    return web.Response(status=200, body=body.encode(), content_type="application/xml", headers=headers)


def _parse_acl(body: bytes) -> dict[str, dict[str, str]]:
    if not body.strip():
        return {}
    root = request_xml(body, "SignedIdentifiers", "the access policies")
    acl: dict[str, dict[str, str]] = {}
    for element in root:
        identifier = (element.findtext("Id") or "").strip()
        if element.tag != "SignedIdentifier" or not identifier or len(identifier) > 64:
            raise StorageError(400, "InvalidXmlDocument", "Each SignedIdentifier needs an Id of 1-64 characters.")
        policy: dict[str, str] = {}
        for tag, key in (("Start", "start"), ("Expiry", "expiry"), ("Permission", "permission")):
            value = (element.findtext(f"AccessPolicy/{tag}") or "").strip()
            if value:
                policy[key] = value
        if policy.get("permission") and set(policy["permission"]) - set(_PERMISSIONS):
            raise StorageError(400, "InvalidXmlNodeValue", f"Permission '{policy['permission']}' is not in {_PERMISSIONS}.")
        for key in ("start", "expiry"):
            if policy.get(key):
                try:
                    parse_sas_time(policy[key], name=key)
                except StorageError:
                    raise StorageError(400, "InvalidXmlNodeValue", f"'{policy[key]}' is not an ISO 8601 time.") from None
        acl[identifier] = policy
    if len(acl) > MAX_POLICIES:
        raise StorageError(400, "InvalidXmlDocument", f"A share has at most {MAX_POLICIES} access policies.")
    return acl


async def set_share_acl(req: FileServiceRequest) -> web.Response:
    body = await req.request.content.read(_BODY_LIMIT + 1)
    if len(body) > _BODY_LIMIT:
        raise StorageError(413, "RequestBodyTooLarge")
    node = req.store.set_share_properties(req.account, req.share, {"acl": _parse_acl(body)})
    return web.Response(status=200, headers={"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns)})


async def share_stats(req: FileServiceRequest) -> web.Response:
    node = req.store.share_node(req.account, req.share)
    root = req.store.locate(req.account, req.share, "")

    def usage() -> int:
        total = 0
        for directory, _, names in os.walk(root):
            for name in names:
                try:
                    total += os.lstat(os.path.join(directory, name)).st_size
                except FileNotFoundError:
                    continue  # removed while counting
        return total

    used = await anyio.to_thread.run_sync(usage)
    body = f'<?xml version="1.0" encoding="utf-8"?><ShareStats><ShareUsageBytes>{used}</ShareUsageBytes></ShareStats>'
    headers = {"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns)}
    return web.Response(status=200, body=body.encode(), content_type="application/xml", headers=headers)
