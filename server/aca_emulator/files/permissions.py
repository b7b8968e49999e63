"""Create Permission / Get Permission (`restype=share&comp=filepermission`) and the permissions files carry.

A permission is a security descriptor, sent as SDDL or (since 2024-11-04) as base64 of the binary form; the
share keeps each one under a key derived from its content, so the same descriptor always gets the same key.
Files and directories keep only the key (`x-ms-file-permission-key`), as the service does. A descriptor that
does not parse is refused with 400 FileInvalidPermission.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from aiohttp import web

from .errors import StorageError
from .sddl import Descriptor, InvalidDescriptor, parse_binary, parse_sddl, to_binary, to_sddl
from .store import ShareStore

MAX_INLINE_BYTES = 8 * 1024  # x-ms-file-permission on Create/Set Properties; bigger ones go through Create Permission
MAX_BODY_BYTES = 64 * 1024


def _descriptor(permission: str, format_: str) -> Descriptor:
    try:
        if format_ == "binary":
            return parse_binary(base64.b64decode(permission, validate=True))
        return parse_sddl(permission)
    except (InvalidDescriptor, binascii.Error, ValueError) as error:
        raise StorageError(400, "FileInvalidPermission", f"The file permission is not valid: {error}.") from None


def _format(value: str | None) -> str:
    format_ = (value or "sddl").lower()
    if format_ not in ("sddl", "binary"):
        raise StorageError(400, "InvalidHeaderValue", f"The permission format '{value}' is not sddl or binary.")
    return format_


def permission_key(sddl: str) -> str:
    """Two 64-bit numbers joined by '*', the shape of the service's keys."""
    digest = hashlib.sha256(sddl.encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big')}*{int.from_bytes(digest[8:16], 'big')}"


def store_permission(store: ShareStore, account: str, share: str, permission: str, format_: str | None) -> str:
    """Keep `permission` on the share; its key."""
    sddl = to_sddl(_descriptor(permission, _format(format_)))
    key = permission_key(sddl)
    node = store.share_node(account, share)
    known: dict[str, str] = dict(node.props.get("permissions", {}))
    if key not in known:
        known[key] = sddl
        store.set_share_properties(account, share, {"permissions": known})
    return key


def inline_permission(store: ShareStore, account: str, share: str, headers: Any) -> str | None:
    """The key for `x-ms-file-permission` on Create / Set Properties / Rename / Copy ('inherit' and
    'preserve' keep the default); 400 when both a permission and a key are sent."""
    permission = headers.get("x-ms-file-permission")
    if not permission or permission.lower() in ("inherit", "preserve", "source"):
        return None
    if headers.get("x-ms-file-permission-key"):
        raise StorageError(400, "InvalidHeaderValue",
                           "Only one of x-ms-file-permission and x-ms-file-permission-key may be sent.")
    if len(permission.encode()) > MAX_INLINE_BYTES:
        raise StorageError(400, "InvalidHeaderValue", "x-ms-file-permission is over 8 KiB: use Create Permission "
                           "and x-ms-file-permission-key.")
    return store_permission(store, account, share, permission, headers.get("x-ms-file-permission-format"))


async def create_permission(req: Any) -> web.Response:
    body = await req.request.content.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise StorageError(413, "RequestBodyTooLarge", "A permission is at most 64 KiB.")
    try:
        document = json.loads(body or b"{}")
        permission = document["permission"]
    except (ValueError, KeyError, TypeError):
        raise StorageError(400, "InvalidInput", "The body must be JSON with a 'permission' string.") from None
    if not isinstance(permission, str):
        raise StorageError(400, "InvalidInput", "'permission' must be a string.")
    key = store_permission(req.store, req.account, req.share, permission, document.get("format"))
    return web.Response(status=201, headers={"x-ms-file-permission-key": key})


async def get_permission(req: Any) -> web.Response:
    key = req.headers.get("x-ms-file-permission-key")
    if not key:
        raise StorageError(400, "MissingRequiredHeader", "The header x-ms-file-permission-key is required.")
    format_ = _format(req.headers.get("x-ms-file-permission-format"))
    sddl = req.store.share_node(req.account, req.share).props.get("permissions", {}).get(key)
    if sddl is None:
        raise StorageError(404, "ResourceNotFound", f"No permission has the key '{key}' on this share.")
    permission = sddl if format_ == "sddl" else base64.b64encode(to_binary(parse_sddl(sddl))).decode()
    body = json.dumps({"permission": permission, "format": format_.capitalize()})
    return web.Response(status=200, text=body, content_type="application/json")
