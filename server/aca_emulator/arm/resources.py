"""Microsoft.Resources: subscriptions, resource groups, and the operation monitors of every provider."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from azure_name_rules import ResourceKind

from ..resource_types import CONTAINER_APP, RESOURCE_GROUP, STORAGE_ACCOUNT
from ..settings import TENANT_ID, Subscription
from ..store import Operation, Record
from .context import LOCATIONS, ArmContext, group_id, subscription_scope
from .errors import ArmError, resource_group_not_found
from .operations import json_response, retry_after, status_body
from .routing import ArmRequest, Router
from .tracked import operation_resource

RG_TYPE = RESOURCE_GROUP.type


class Subscriptions:
    """The subscriptions the emulator is configured with (all 'Enabled'), and the locations each offers."""

    def __init__(self, ctx: ArmContext) -> None:
        self.ctx = ctx

    @staticmethod
    def body(sub: Subscription) -> dict[str, object]:
        return {"id": subscription_scope(sub.subscription_id), "subscriptionId": sub.subscription_id,
                "tenantId": TENANT_ID, "displayName": sub.display_name, "state": "Enabled",
                "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                         "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
                "authorizationSource": "RoleBased", "managedByTenants": [], "tags": {}}

    async def list(self, req: ArmRequest) -> web.Response:
        subs = [self.body(s) for s in self.ctx.settings.subscriptions]
        return json_response({"value": subs, "count": {"type": "Total", "value": len(subs)}})

    async def get(self, req: ArmRequest) -> web.Response:
        return json_response(self.body(self.ctx.subscription(req.params["sub"])))

    async def locations(self, req: ArmRequest) -> web.Response:
        scope = subscription_scope(self.ctx.subscription(req.params["sub"]).subscription_id)
        return json_response({"value": [
            {"id": f"{scope}/locations/{name}", "name": name, "type": "Region",
             "displayName": display, "regionalDisplayName": f"(Local) {display}",
             "metadata": {"regionType": "Physical", "regionCategory": "Recommended"}}
            for name, display in LOCATIONS.items()]})

    def register(self, router: Router) -> None:
        router.add("GET", "/subscriptions", self.list, "subscriptions")
        router.add("GET", "/subscriptions/{sub}", self.get, "subscriptions")
        router.add("GET", "/subscriptions/{sub}/locations", self.locations, "subscriptions")


class ResourceGroups:
    """A subscription's resource groups: PUT (create or update, at once), GET/HEAD, list, and the long-running
    DELETE that takes everything in the group with it. Not a TrackedResource: a group is the scope those live in."""

    def __init__(self, ctx: ArmContext) -> None:
        self.ctx = ctx

    async def put(self, req: ArmRequest) -> web.Response:
        sub = self.ctx.subscription(req.params["sub"]).subscription_id
        name = req.params["rg"]
        self.ctx.check_name(ResourceKind.resource_group, name, "InvalidResourceGroup")
        body = await req.json()
        location = self.ctx.location(body)
        record_id = group_id(sub, name)
        existing = self.ctx.store.get(record_id)
        if existing is not None:
            return self.update(existing, body, location)
        record_body: dict[str, object] = {"id": record_id, "name": name, "type": RG_TYPE, "location": location,
                                          "properties": {"provisioningState": "Succeeded"}}
        if body.get("tags"):
            record_body["tags"] = body["tags"]
        if body.get("managedBy"):
            record_body["managedBy"] = body["managedBy"]
        self.ctx.store.put(Record(id=record_id, type=RG_TYPE, body=record_body))
        return json_response(record_body, 201)

    def update(self, existing: Record, body: dict[str, Any], location: str) -> web.Response:
        """A PUT of a group there: its tags change; its location cannot, nor can a group being deleted."""
        if existing.body["properties"]["provisioningState"] == "Deleting":
            raise ArmError(409, "ResourceGroupBeingDeleted",
                           f"The resource group '{existing.name}' is in deprovisioning state and cannot perform "
                           "this operation.")
        if existing.body["location"] != location:
            raise ArmError(409, "InvalidResourceGroupLocation",
                           f"Invalid resource group location '{body['location']}'. The Resource group already "
                           f"exists in location '{existing.body['location']}'.")
        if "tags" in body:
            existing.body["tags"] = body.get("tags") or {}
        self.ctx.store.put(existing)
        return json_response(existing.body, 200)

    async def get(self, req: ArmRequest) -> web.StreamResponse:
        if req.method == "HEAD":  # CheckExistence: 204 or 404, no body
            self.ctx.subscription(req.params["sub"])
            found = self.ctx.store.get(group_id(req.params["sub"], req.params["rg"]))
            return web.Response(status=204 if found else 404)
        return json_response(self.ctx.group(req.params["sub"], req.params["rg"]).body)

    async def list(self, req: ArmRequest) -> web.Response:
        scope = subscription_scope(self.ctx.subscription(req.params["sub"]).subscription_id)
        return json_response({"value": [r.body for r in self.ctx.store.in_scope(scope, RG_TYPE)]})

    async def delete(self, req: ArmRequest) -> web.Response:
        sub = self.ctx.subscription(req.params["sub"]).subscription_id
        record = self.ctx.store.get(group_id(sub, req.params["rg"]))
        if record is None:
            raise resource_group_not_found(req.params["rg"])
        record.body["properties"]["provisioningState"] = "Deleting"
        self.ctx.store.put(record)
        # Resource-group deletes report through Location only, as the spec says.
        return await self.ctx.start_delete(RG_TYPE, record, "resource_group_delete", subscription_id=sub,
                                           namespace=RESOURCE_GROUP.namespace, api_version=req.api_version,
                                           async_header=False)

    async def on_deleted(self, op: Operation) -> None:
        """The delete is over: the group's apps stop, its accounts' share folders go, then every record in it."""
        record_id = operation_resource(op)
        store = self.ctx.store
        for app in store.in_scope(record_id, CONTAINER_APP.type):
            await self.ctx.runtime.remove_app(app.id)
        for account in store.in_scope(record_id, STORAGE_ACCOUNT.type):
            self.ctx.shares.remove_account(account.name)
        store.delete_scope(record_id)
        store.delete(record_id)

    def register(self, router: Router) -> None:
        self.ctx.operations.on_finish(RG_TYPE, "delete", self.on_deleted)
        router.add_collection("/subscriptions/{sub}/resourcegroups", "rg", RESOURCE_GROUP.provider, list=self.list,
                              get=self.get, put=self.put, delete=self.delete)


class OperationMonitors:
    """What a client polls while any provider's long-running operation runs: its status (Azure-AsyncOperation)
    and its result (Location: 202 while it runs, then the resource, 204 or the operation's error)."""

    def __init__(self, ctx: ArmContext) -> None:
        self.ctx = ctx

    async def find(self, req: ArmRequest) -> Operation:
        """The operation as the poll should see it (held when it is about to end), or ARM's 404."""
        self.ctx.subscription(req.params["sub"])
        op = await self.ctx.operations.wait_status(req.params["op"])
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{req.params['op']}' could not be found.")
        return op

    async def status(self, req: ArmRequest) -> web.Response:
        op = await self.find(req)
        headers = {"Retry-After": retry_after(op.remaining())} if op.status == "InProgress" else {}
        return json_response(status_body(op, str(req.request.url)), 200, headers)

    async def result(self, req: ArmRequest) -> web.Response:
        op = await self.find(req)
        if op.status == "InProgress":
            return web.Response(status=202, headers={"Retry-After": retry_after(op.remaining()),
                                                     "Location": str(req.request.url)})
        if op.status == "Failed":
            error = op.error or {}
            raise ArmError(400, error.get("code", "OperationFailed"), error.get("message", "The operation failed."))
        if op.action == "delete":  # the resource is gone: 204, as recorded for a deleted environment
            return web.Response(status=204)
        record = self.ctx.store.get(operation_resource(op))
        if record is None:
            return web.Response(status=204)
        return json_response(self.ctx.render(record), 200)

    def register(self, router: Router) -> None:
        base = "/subscriptions/{sub}/providers/{ns}/locations/{loc}"
        router.add("GET", base + "/operationStatuses/{op}", self.status, "any")
        router.add("GET", base + "/operationResults/{op}", self.result, "any")


def register(router: Router, ctx: ArmContext) -> None:
    for provider in (Subscriptions(ctx), ResourceGroups(ctx), OperationMonitors(ctx)):
        provider.register(router)
