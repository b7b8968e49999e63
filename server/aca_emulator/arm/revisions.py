"""Microsoft.App container app revisions and replicas: get/list with their live state (the runtime's), each
revision's own FQDN, restart, activate, deactivate; replicas with their containers and log stream endpoints."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ..resource_types import REPLICA, REVISION
from ..store import Record
from .app_shapes import fill_template
from .context import ArmContext
from .errors import ArmError, not_found
from .operations import json_response
from .routing import ArmRequest, Router

REVISION_TYPE = REVISION.type


def _bad(message: str, code: str) -> ArmError:
    return ArmError(400, code, message)


def register_revisions(router: Router, ctx: ArmContext, base: str, find_app: Callable[[ArmRequest], Record]) -> None:
    def find_revision(app: Record, name: str, rg: str) -> Record:
        record = ctx.store.get(REVISION.child_id(app.id, name))
        if record is None:
            raise not_found(REVISION_TYPE, f"{app.name}/revisions/{name}", rg)
        return record

    def render_revision(app: Record, revision: Record) -> dict[str, Any]:
        body = copy.deepcopy(revision.body)
        status = ctx.runtime.revision_status(app.id, revision.name)
        body["properties"].update(status)
        body["properties"]["template"] = fill_template(body["properties"].get("template") or {}, revision=True)
        has_ingress = (app.body["properties"].get("configuration") or {}).get("ingress") is not None
        # ACA's revision FQDN is <app>--<suffix>.<env domain>; here a loopback port of its own, served while the
        # revision is active (runtime/__init__.py).
        body["properties"]["fqdn"] = ctx.runtime.revision_fqdn(app.id, revision.name) if has_ingress else ""
        return body

    # revisions and replicas
    async def list_revisions(req: ArmRequest) -> web.Response:
        app = find_app(req)
        return json_response({"value": [render_revision(app, r) for r in ctx.store.children(app.id, REVISION_TYPE)]})

    async def get_revision(req: ArmRequest) -> web.Response:
        app = find_app(req)
        return json_response(render_revision(app, find_revision(app, req.params["rev"], req.params["rg"])))

    async def restart_revision(req: ArmRequest) -> web.Response:
        app = find_app(req)
        revision = find_revision(app, req.params["rev"], req.params["rg"])
        if not ctx.runtime.revision_status(app.id, revision.name).get("active"):
            raise _bad(f"Revision '{revision.name}' is not active; only active revisions can be restarted.",
                       "ContainerAppRevisionNotActive")
        await ctx.runtime.restart(app.id, revision.name)
        return web.Response(status=200)

    async def activate_revision(req: ArmRequest) -> web.Response:
        app = find_app(req)
        revision = find_revision(app, req.params["rev"], req.params["rg"])
        if not revision.body["properties"].get("active"):  # activating an active revision changes nothing
            await ctx.runtime.activate(app.id, revision.name)
        return web.Response(status=200)

    async def deactivate_revision(req: ArmRequest) -> web.Response:
        app = find_app(req)
        revision = find_revision(app, req.params["rev"], req.params["rg"])
        await ctx.runtime.deactivate(app.id, revision.name)
        return web.Response(status=200)

    def replica_body(app: Record, revision: Record, replica: dict[str, Any]) -> dict[str, Any]:
        sub_rg = app.id.split("/providers/")[0]
        stream_base = f"{ctx.base_url}{sub_rg}/containerApps/{app.name}/revisions/{revision.name}/replicas/{replica['name']}"
        containers = []
        for container in replica["containers"]:
            containers.append({**container,
                               "logStreamEndpoint": f"{stream_base}/containers/{container['name']}/logstream",
                               "execEndpoint": f"{stream_base}/containers/{container['name']}/exec"})
        return {"id": REPLICA.child_id(revision.id, replica["name"]), "name": replica["name"],
                "type": REPLICA.type,
                "properties": {"createdTime": replica["createdTime"], "runningState": replica["runningState"],
                               "runningStateDetails": replica["runningStateDetails"], "containers": containers,
                               "initContainers": []}}

    def replicas(app: Record, revision: Record) -> list[dict[str, Any]]:
        found = ctx.runtime.replicas(app.id, revision.name)
        if found or ctx.settings.run_apps or not revision.body["properties"].get("active"):
            return found
        # Apps recorded, not run (run_apps=False): the one replica ACA would report for an active revision.
        digest = hashlib.sha256(revision.id.lower().encode()).hexdigest()
        details = "Apps are not run by this emulator (run_apps=False)"
        containers = [{"name": c.get("name"), "containerId": "", "ready": True, "started": True, "restartCount": 0,
                       "runningState": "Running", "runningStateDetails": details}
                      for c in (revision.body["properties"].get("template") or {}).get("containers") or []]
        return [{"name": f"{revision.name}-{digest[:10]}-{digest[10:15]}",
                 "createdTime": revision.body["properties"].get("createdTime"), "runningState": "Running",
                 "runningStateDetails": "", "containers": containers}]

    async def list_replicas(req: ArmRequest) -> web.Response:
        app = find_app(req)
        revision = find_revision(app, req.params["rev"], req.params["rg"])
        return json_response({"value": [replica_body(app, revision, r) for r in replicas(app, revision)]})

    async def get_replica(req: ArmRequest) -> web.Response:
        app = find_app(req)
        revision = find_revision(app, req.params["rev"], req.params["rg"])
        for replica in replicas(app, revision):
            if replica["name"].lower() == req.params["replica"].lower():
                return json_response(replica_body(app, revision, replica))
        raise not_found(REPLICA.type,
                        f"{app.name}/revisions/{revision.name}/replicas/{req.params['replica']}", req.params["rg"])

    router.add("GET", base + "/{app}/revisions", list_revisions, "microsoft.app")
    router.add("GET", base + "/{app}/revisions/{rev}", get_revision, "microsoft.app")
    router.add("POST", base + "/{app}/revisions/{rev}/restart", restart_revision, "microsoft.app")
    router.add("POST", base + "/{app}/revisions/{rev}/activate", activate_revision, "microsoft.app")
    router.add("POST", base + "/{app}/revisions/{rev}/deactivate", deactivate_revision, "microsoft.app")
    router.add("GET", base + "/{app}/revisions/{rev}/replicas", list_replicas, "microsoft.app")
    router.add("GET", base + "/{app}/revisions/{rev}/replicas/{replica}", get_replica, "microsoft.app")
