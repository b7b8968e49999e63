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
from .tracked import PutTarget, TrackedResource

WORKSPACE_TYPE = LOG_ANALYTICS_WORKSPACE.type
SKUS = {"Free", "Standard", "Premium", "PerNode", "PerGB2018", "Standalone", "CapacityReservation",
        "LACluster"}


READ_ONLY = ("provisioningState", "customerId", "createdDate", "modifiedDate")


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


class LogAnalyticsWorkspaces(TrackedResource):
    """The workspace provider: PUT (a long-running create answered 201 + Location, or an update at once), its
    shared keys; GET, list and an immediate DELETE from the base."""

    def __init__(self, ctx: ArmContext) -> None:
        super().__init__(ctx, LOG_ANALYTICS_WORKSPACE, "name")

    @staticmethod
    def validate(properties: dict[str, Any]) -> tuple[str, int]:
        """The workspace's SKU (PerGB2018 when none is sent) and retention (30 days), or the service's 400."""
        sku = ((properties.get("sku") or {}).get("name")) or "PerGB2018"
        if sku not in SKUS:
            raise ArmError(400, "InvalidParameter", f"The SKU '{sku}' is not valid. Valid SKUs: {', '.join(sorted(SKUS))}.")
        retention = properties.get("retentionInDays", 30)
        if not isinstance(retention, int) or not (retention == -1 or 30 <= retention <= 730):
            raise ArmError(400, "InvalidParameter",
                           f"retentionInDays must be between 30 and 730 days, got {retention!r}.")
        return sku, retention

    async def put(self, req: ArmRequest) -> web.Response:
        target = await self.read_put(req, "InvalidWorkspaceName")
        properties = without_nulls(target.body.get("properties") or {})
        sku, retention = self.validate(properties)
        existing = self.ctx.store.get(target.record_id)
        if existing is not None:
            return self.update(existing, target, properties, sku=sku, retention=retention)
        record_body = self.build_body(target, properties, sku=sku, retention=retention)
        self.ctx.store.put(Record(id=target.record_id, type=WORKSPACE_TYPE, body=record_body,
                                  internal={"primarySharedKey": _key(), "secondarySharedKey": _key()},
                                  parent=target.group.id))
        op = await self.ctx.operations.start(WORKSPACE_TYPE, target.record_id, "create",
                                             self.ctx.settings.scaled("log_analytics_workspace"))
        if op is None:
            return json_response(self.ctx.store.require(target.record_id).body, 200)
        # As recorded: 201 with Location, no Azure-AsyncOperation.
        return self.ctx.accepted(op, subscription_id=target.subscription, namespace=LOG_ANALYTICS_WORKSPACE.namespace,
                                 location=target.location, api_version=req.api_version, status=201, body=record_body,
                                 async_header=False, location_header=True)

    def build_body(self, target: PutTarget, properties: dict[str, Any], *, sku: str, retention: int
                   ) -> dict[str, Any]:
        """A new workspace as the service makes it: what was sent comes back, the read-only fields are its own."""
        record_body: dict[str, Any] = {
            "id": target.record_id, "name": target.name, "type": WORKSPACE_TYPE, "location": target.location,
            "tags": target.body.get("tags") or {},
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
        return record_body

    def update(self, existing: Record, target: PutTarget, properties: dict[str, Any], *, sku: str, retention: int
               ) -> web.Response:
        """A PUT of a workspace there: done at once (200), refused while its create runs."""
        if existing.body["properties"]["provisioningState"] != "Succeeded":
            raise ArmError(409, "Conflict", f"The workspace '{target.name}' is being provisioned; try again later.")
        kept = {k: existing.body["properties"][k] for k in READ_ONLY if k in existing.body["properties"]}
        existing.body["properties"] = {**merged(existing.body["properties"], properties), **kept,
                                       "retentionInDays": retention, "modifiedDate": iso()}
        existing.body["properties"]["sku"] = {**existing.body["properties"]["sku"], "name": sku}
        existing.body["tags"] = target.body.get("tags") or existing.body.get("tags") or {}
        self.ctx.store.put(existing)
        return json_response(existing.body, 200)

    async def shared_keys(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        return json_response({"primarySharedKey": record.internal["primarySharedKey"],
                              "secondarySharedKey": record.internal["secondarySharedKey"]})

    def register(self, router: Router) -> None:
        base = LOG_ANALYTICS_WORKSPACE.collection
        provider = LOG_ANALYTICS_WORKSPACE.provider
        self.register_finishers(("create",))  # updates and deletes of a workspace finish at once
        self.add_routes(router, base, delete=self.delete_now)
        router.add("PUT", base + "/{name}", self.put, provider)
        router.add("POST", base + "/{name}/sharedKeys", self.shared_keys, provider)
        # What bicep's `workspace.listKeys()` calls (the older name of the same action): the same answer.
        router.add("POST", base + "/{name}/listKeys", self.shared_keys, provider)


def register(router: Router, ctx: ArmContext) -> None:
    LogAnalyticsWorkspaces(ctx).register(router)
