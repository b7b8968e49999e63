"""Microsoft.OperationalInsights: Log Analytics workspaces (create is long-running) and their shared keys."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from aiohttp import web

from ..naming import ResourceKind
from ..store import Operation, Record
from .bodies import merged, without_nulls
from .context import ArmContext, group_id
from .errors import ArmError, not_found
from .operations import iso, json_response
from .routing import ArmRequest, Router

WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
SKUS = {"Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation",
        "LACluster"}


READ_ONLY = ("provisioningState", "customerId", "createdDate", "modifiedDate")


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


def register(router: Router, ctx: ArmContext) -> None:
    base = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces"

    def workspace(req: ArmRequest) -> Record:
        sub, rg, name = req.params["sub"], req.params["rg"], req.params["name"]
        group = ctx.group(sub, rg)
        record = ctx.store.get(f"{group.id}/providers/{WORKSPACE_TYPE}/{name}")
        if record is None:
            raise not_found(WORKSPACE_TYPE, name, rg)
        return record

    async def put_workspace(req: ArmRequest) -> web.Response:
        sub, rg, name = req.params["sub"], req.params["rg"], req.params["name"]
        group = ctx.group(sub, rg, for_write=True)
        ctx.check_name(ResourceKind.log_analytics_workspace, name, "InvalidWorkspaceName")
        body = await req.json()
        location = ctx.location(body)
        properties = without_nulls(body.get("properties") or {})
        sku = ((properties.get("sku") or {}).get("name")) or "PerGB2018"
        if sku not in SKUS:
            raise ArmError(400, "InvalidParameter", f"The SKU '{sku}' is not valid. Valid SKUs: {', '.join(sorted(SKUS))}.")
        retention = properties.get("retentionInDays", 30)
        if not isinstance(retention, int) or not (retention == -1 or 30 <= retention <= 730):
            raise ArmError(400, "InvalidParameter",
                           f"retentionInDays must be between 30 and 730 days, got {retention!r}.")
        record_id = f"{group_id(sub, group.name)}/providers/{WORKSPACE_TYPE}/{name}"
        existing = ctx.store.get(record_id)
        if existing is not None:
            if existing.body["properties"]["provisioningState"] != "Succeeded":
                raise ArmError(409, "Conflict", f"The workspace '{name}' is being provisioned; try again later.")
            kept = {k: existing.body["properties"][k] for k in READ_ONLY if k in existing.body["properties"]}
            existing.body["properties"] = {**merged(existing.body["properties"], properties), **kept,
                                           "retentionInDays": retention, "modifiedDate": iso()}
            existing.body["properties"]["sku"] = {**existing.body["properties"]["sku"], "name": sku}
            existing.body["tags"] = body.get("tags") or existing.body.get("tags") or {}
            ctx.store.put(existing)
            return json_response(existing.body, 200)
        record_body: dict[str, Any] = {
            "id": record_id, "name": name, "type": WORKSPACE_TYPE, "location": location, "tags": body.get("tags") or {},
            "etag": f'"{uuid.uuid4()}"',
            "properties": {
                "provisioningState": "Creating", "customerId": str(uuid.uuid4()),
                "sku": {"name": sku, "lastSkuUpdate": iso()}, "retentionInDays": retention,
                "workspaceCapping": {"dailyQuotaGb": -1.0, "quotaNextResetTime": iso(),
                                     "dataIngestionStatus": "RespectQuota"},
                "publicNetworkAccessForIngestion": "Enabled", "publicNetworkAccessForQuery": "Enabled",
                "createdDate": iso(), "modifiedDate": iso(),
                "features": {"legacy": 0, "searchVersion": 1, "enableLogAccessUsingOnlyResourcePermissions": True},
            },
        }
        fresh = record_body["properties"]
        record_body["properties"] = {**merged(fresh, properties), **{k: fresh[k] for k in READ_ONLY},
                                     "sku": {"name": sku, "lastSkuUpdate": iso()}}
        ctx.store.put(Record(id=record_id, type=WORKSPACE_TYPE, body=record_body,
                             internal={"primarySharedKey": _key(), "secondarySharedKey": _key()}, parent=group.id))
        op = await ctx.operations.start(WORKSPACE_TYPE, record_id, "create",
                                        ctx.settings.scaled("log_analytics_workspace"))
        if op is None:
            return json_response(ctx.store.require(record_id).body, 200)
        return ctx.accepted(op, subscription_id=sub, namespace="Microsoft.OperationalInsights", location=location,
                            api_version=req.api_version, status=201, body=record_body)

    async def finish_create(op: Operation) -> None:
        record = ctx.store.get(op.resource_key.split("|", 1)[1])
        if record is not None:
            record.body["properties"]["provisioningState"] = "Succeeded"
            ctx.store.put(record)

    ctx.operations.on_finish(WORKSPACE_TYPE, "create", finish_create)

    async def get_workspace(req: ArmRequest) -> web.Response:
        return json_response(workspace(req).body)

    async def list_workspaces(req: ArmRequest) -> web.Response:
        group = ctx.group(req.params["sub"], req.params["rg"])
        return json_response({"value": [r.body for r in ctx.store.in_scope(group.id, WORKSPACE_TYPE)]})

    async def delete_workspace(req: ArmRequest) -> web.Response:
        sub, rg, name = req.params["sub"], req.params["rg"], req.params["name"]
        group = ctx.group(sub, rg)
        record_id = f"{group.id}/providers/{WORKSPACE_TYPE}/{name}"
        if ctx.store.get(record_id) is None:
            return web.Response(status=204)
        ctx.store.delete(record_id)
        return web.Response(status=200)

    async def shared_keys(req: ArmRequest) -> web.Response:
        record = workspace(req)
        return json_response({"primarySharedKey": record.internal["primarySharedKey"],
                              "secondarySharedKey": record.internal["secondarySharedKey"]})

    router.add("GET", base, list_workspaces, "microsoft.operationalinsights")
    router.add("PUT", base + "/{name}", put_workspace, "microsoft.operationalinsights")
    router.add("GET", base + "/{name}", get_workspace, "microsoft.operationalinsights")
    router.add("DELETE", base + "/{name}", delete_workspace, "microsoft.operationalinsights")
    router.add("POST", base + "/{name}/sharedKeys", shared_keys, "microsoft.operationalinsights")
    # What bicep's `workspace.listKeys()` calls (the older name of the same action): the same answer.
    router.add("POST", base + "/{name}/listKeys", shared_keys, "microsoft.operationalinsights")
