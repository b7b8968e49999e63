"""/_emulator/ admin routes on the management port: health, fault injection, the request log, durations."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .middleware import Faults, RequestLog
from .settings import EmulatorSettings


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"invalid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


def admin_routes(*, settings: EmulatorSettings, faults: Faults, request_log: RequestLog,
                 info: Callable[[], dict[str, Any]], apps: Callable[[], list[dict[str, Any]]]) -> list[web.RouteDef]:
    """The admin routes over what they read and change (not the whole emulator): `info` is the health answer,
    `apps` what the runtime runs."""

    async def health(request: web.Request) -> web.Response:
        return _json({"status": "ok", **info()})

    async def add_fault(request: web.Request) -> web.Response:
        try:
            fault = faults.add(await _body(request))
        except (TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json(fault.public(), 201)

    async def list_faults(request: web.Request) -> web.Response:
        return _json({"faults": faults.list()})

    async def clear_faults(request: web.Request) -> web.Response:
        fault_id = request.match_info.get("fault_id")
        faults.remove(int(fault_id) if fault_id else None)
        return web.Response(status=204)

    async def requests(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        entries = request_log.since(since)
        return _json({"requests": entries, "last": request_log.last_seq()})

    async def reset_requests(request: web.Request) -> web.Response:
        request_log.reset()
        return web.Response(status=204)

    async def durations(request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await _body(request)
            unknown = set(body) - set(settings.durations)
            if unknown:
                return _json({"error": f"unknown durations: {', '.join(sorted(unknown))}; known: "
                                       f"{', '.join(sorted(settings.durations))}"}, 400)
            settings.durations.update({k: float(v) for k, v in body.items()})
        return _json({"time_scale": settings.time_scale, "durations": settings.durations,
                      "scaled": {k: settings.scaled(k) for k in settings.durations}})

    async def time_scale(request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await _body(request)
            try:
                settings.time_scale = float(body["time_scale"])
            except (KeyError, TypeError, ValueError):
                return _json({"error": "expected {\"time_scale\": <number>}"}, 400)
        return _json({"time_scale": settings.time_scale})

    async def list_apps(request: web.Request) -> web.Response:
        return _json({"apps": apps()})

    by_path = {
        "health": {"GET": health},
        "faults": {"POST": add_fault, "GET": list_faults, "DELETE": clear_faults},
        "faults/{fault_id}": {"DELETE": clear_faults},
        "requests": {"GET": requests},
        "requests/reset": {"POST": reset_requests},
        "durations": {"GET": durations, "POST": durations},
        "time-scale": {"GET": time_scale, "POST": time_scale},
        "apps": {"GET": list_apps},
    }
    return [web.route(method, f"/_emulator/{path}", handler)
            for path, methods in by_path.items() for method, handler in methods.items()]
