"""Microsoft.OperationalInsights: Log Analytics workspaces (create is long-running) and their shared keys."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from aiohttp import web

from ..resource_types import LOG_ANALYTICS_WORKSPACE
from ..store import Record
from .bodies import merged, without_nulls
from .context import ArmContext
from .errors import ArmError
from .operations import iso, json_response
from .routing import ArmRequest, Router
from .tracked import TrackedResource

WORKSPACE_TYPE = LOG_ANALYTICS_WORKSPACE.type
SKUS = {"Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation",
        "LACluster"}


READ_ONLY = ("provisioningState", "customerId", "createdDate", "modifiedDate")


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


def register(router: Router, ctx: ArmContext) -> None:
    base = LOG_ANALYTICS_WORKSPACE.collection
    workspaces = TrackedResource(ctx, LOG_ANALYTICS_WORKSPACE, "name")

    async def put_workspace(req: ArmRequest) -> web.Response:
        sub, group, record_id, name, body, location = await workspaces.read_put(req, "InvalidWorkspaceName")
        properties = without_nulls(body.get("properties") or {})
        sku = ((properties.get("sku") or {}).get("name")) or "PerGB2018"
        if sku not in SKUS:
            raise ArmError(400, "InvalidParameter", f"The SKU '{sku}' is not valid. Valid SKUs: {', '.join(sorted(SKUS))}.")
        retention = properties.get("retentionInDays", 30)
        if not isinstance(retention, int) or not (retention == -1 or 30 <= retention <= 730):
            raise ArmError(400, "InvalidParameter",
                           f"retentionInDays must be between 30 and 730 days, got {retention!r}.")
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
                             internal={"primarySharedKey": _key(), "secondarySharedKey": _key()},
                             parent=group.id))
        op = await ctx.operations.start(WORKSPACE_TYPE, record_id, "create",
                                        ctx.settings.scaled("log_analytics_workspace"))
        if op is None:
            return json_response(ctx.store.require(record_id).body, 200)
        # As recorded: 201 with Location, no Azure-AsyncOperation.
        return ctx.accepted(op, subscription_id=sub, namespace=LOG_ANALYTICS_WORKSPACE.namespace, location=location,
                            api_version=req.api_version, status=201, body=record_body, async_header=False,
                            location_header=True)

    workspaces.finish_with("create", workspaces.finish_provisioning)

    async def shared_keys(req: ArmRequest) -> web.Response:
        record = workspaces.find(req)
        return json_response({"primarySharedKey": record.internal["primarySharedKey"],
                              "secondarySharedKey": record.internal["secondarySharedKey"]})

    provider = LOG_ANALYTICS_WORKSPACE.provider
    workspaces.add_routes(router, base, delete=workspaces.delete_now)
    router.add("PUT", base + "/{name}", put_workspace, provider)
    router.add("POST", base + "/{name}/sharedKeys", shared_keys, provider)
    # What bicep's `workspace.listKeys()` calls (the older name of the same action): the same answer.
    router.add("POST", base + "/{name}/listKeys", shared_keys, provider)
