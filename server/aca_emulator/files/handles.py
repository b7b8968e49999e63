"""List Handles / Force Close Handles on files and directories.

SMB handles are what SMB clients hold open; the emulator serves no SMB (apps reach the shares through a
bind mount, which the service would not see either), so the truthful answer is an empty list and nothing
closed.
"""

from __future__ import annotations

from aiohttp import web

from .context import FileServiceRequest
from .errors import StorageError


def _require_target(req: FileServiceRequest) -> None:
    """The file or directory must exist (the SDK's directory calls do not say restype=directory)."""
    try:
        req.store.node(req.account, req.share, req.path, directory=True)
    except StorageError:
        req.store.node(req.account, req.share, req.path, directory=False)


async def list_handles(req: FileServiceRequest) -> web.Response:
    _require_target(req)
    body = b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Entries /><NextMarker /></EnumerationResults>'
    return web.Response(status=200, body=body, content_type="application/xml")


async def force_close_handles(req: FileServiceRequest) -> web.Response:
    _require_target(req)
    return web.Response(status=200, headers={"x-ms-number-of-handles-closed": "0",
                                             "x-ms-number-of-handles-failed": "0"})
