"""The container log stream `az containerapp logs show` reads: `{eventStreamEndpoint host}/subscriptions/{sub}/
resourceGroups/{rg}/containerApps/{app}/revisions/{rev}/replicas/{replica}/containers/{container}/logstream
?tailLines=&follow=&output=text|json`, authorized by `Bearer <token from getAuthtoken>` (not the ARM token)."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING

from aiohttp import web

from .context import group_id
from .errors import ArmError

if TYPE_CHECKING:
    from .context import ArmContext

LOGSTREAM = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/containerApps/(?P<app>[^/]+)"
                       r"/revisions/(?P<rev>[^/]+)/replicas/(?P<replica>[^/]+)/containers/(?P<container>[^/]+)"
                       r"/logstream/?$", re.IGNORECASE)
MAX_TAIL = 300


def _flag(value: str | None, default: bool) -> bool:
    return default if value is None else value.lower() in ("true", "1", "yes")


async def serve_logstream(ctx: ArmContext, request: web.Request, match: re.Match[str]) -> web.StreamResponse:
    params = match.groupdict()
    record = ctx.store.get(f"{group_id(params['sub'], params['rg'])}/providers/Microsoft.App/containerApps/{params['app']}")
    authorization = request.headers.get("Authorization", "")
    token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    entry = ctx.app_tokens.get(token) if token else None
    if entry is None or entry[1] < time.time() or record is None or entry[0] != record.id.lower():
        raise ArmError(401, "Unauthorized", "The log stream needs the container app's token from getAuthtoken as "
                                            "'Authorization: Bearer <token>'.")
    try:
        tail = max(0, min(MAX_TAIL, int(request.query.get("tailLines", "20"))))
    except ValueError:
        raise ArmError(400, "InvalidParameter", "tailLines must be an integer between 0 and 300.") from None
    follow = _flag(request.query.get("follow"), False)
    as_json = request.query.get("output", "text").lower() == "json"
    console = ctx.runtime.console(record.id, params["rev"], params["replica"], params["container"])
    if console is None:
        raise ArmError(404, "ReplicaNotFound",
                       f"Replica '{params['replica']}' of revision '{params['rev']}' (container '{params['container']}')"
                       " was not found.")
    response = web.StreamResponse(status=200, headers={"Content-Type": "text/plain; charset=utf-8"
                                                       if not as_json else "application/x-ndjson"})
    await response.prepare(request)

    def render(stamp: float, line: str) -> bytes:
        timestamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp % 1 * 1e6):06d}Z"
        if as_json:
            return (json.dumps({"TimeStamp": timestamp, "Log": line}) + "\n").encode()
        return f"{timestamp} {line}\n".encode()

    async for stamp, line in console.lines(tail=tail, follow=follow):
        await response.write(render(stamp, line))
    await response.write_eof()
    return response
