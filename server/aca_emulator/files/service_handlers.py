"""Get/Set File Service Properties (`restype=service&comp=properties`), kept per account.

Set replaces only the top-level elements the request sends (metrics, CORS, share delete retention, protocol
settings), as the service does; Get returns the stored document over the service's defaults. The emulator
records the settings; it collects no metrics and keeps no deleted shares.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from aiohttp import web

from .context import FileServiceRequest
from .errors import StorageError
from .wire import request_xml

_ROW = ("", "")  # the account's own row in the properties store: no share, no path
_BODY_LIMIT = 64 * 1024
_METRICS = ("<Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled>"
            "</RetentionPolicy>")
DEFAULT = (f"<StorageServiceProperties><HourMetrics>{_METRICS}</HourMetrics><MinuteMetrics>{_METRICS}</MinuteMetrics>"
           "<Cors /><ShareDeleteRetentionPolicy><Enabled>false</Enabled></ShareDeleteRetentionPolicy>"
           "<ProtocolSettings><SMB><Multichannel><Enabled>false</Enabled></Multichannel></SMB></ProtocolSettings>"
           "</StorageServiceProperties>")
_KNOWN = {"HourMetrics", "MinuteMetrics", "Cors", "ShareDeleteRetentionPolicy", "ProtocolSettings"}


def _stored(req: FileServiceRequest) -> ElementTree.Element:
    data = req.store.properties.get(req.account, *_ROW, 0).data
    return ElementTree.fromstring(data.get("service_properties", DEFAULT))


async def get_service_properties(req: FileServiceRequest) -> web.Response:
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(_stored(req))
    return web.Response(status=200, body=body, content_type="application/xml")


async def set_service_properties(req: FileServiceRequest) -> web.Response:
    body = await req.request.content.read(_BODY_LIMIT + 1)
    if len(body) > _BODY_LIMIT:
        raise StorageError(413, "RequestBodyTooLarge")
    sent = request_xml(body, "StorageServiceProperties", "the service properties")
    unknown = [child.tag for child in sent if child.tag not in _KNOWN]
    if unknown:
        raise StorageError(400, "InvalidXmlNodeValue", f"'{unknown[0]}' is not a File service property.")
    stored = _stored(req)
    for child in sent:
        previous = stored.find(child.tag)
        if previous is not None:
            stored.remove(previous)
        stored.append(child)
    req.store.properties.put(req.account, *_ROW, 0, {"service_properties": ElementTree.tostring(stored).decode()})
    return web.Response(status=202)
