"""Microsoft.Resources: subscriptions, resource groups, and the operation monitors of every provider."""

from __future__ import annotations

from aiohttp import web

from azure_name_rules import ResourceKind

from ..resource_types import CONTAINER_APP, RESOURCE_GROUP, STORAGE_ACCOUNT
from ..settings import TENANT_ID
from ..store import Operation, Record
from .context import LOCATIONS, ArmContext, group_id
from .errors import ArmError, resource_group_not_found
from .operations import json_response, retry_after, status_body
from .routing import ArmRequest, Router
from .tracked import operation_resource

RG_TYPE = RESOURCE_GROUP.type


def _subscription_body(sub: object) -> dict[str, object]:
    sub_id = sub.subscription_id  # type: ignore[attr-defined]
    return {"id": f"/subscriptions/{sub_id}", "subscriptionId": sub_id, "tenantId": TENANT_ID,
            "displayName": sub.display_name, "state": "Enabled",  # type: ignore[attr-defined]
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"},
            "authorizationSource": "RoleBased", "managedByTenants": [], "tags": {}}


def register(router: Router, ctx: ArmContext) -> None:
    async def list_subscriptions(req: ArmRequest) -> web.Response:
        subs = [_subscription_body(s) for s in ctx.settings.subscriptions]
        return json_response({"value": subs, "count": {"type": "Total", "value": len(subs)}})

    async def get_subscription(req: ArmRequest) -> web.Response:
        return json_response(_subscription_body(ctx.subscription(req.params["sub"])))

    async def list_locations(req: ArmRequest) -> web.Response:
        sub = ctx.subscription(req.params["sub"]).subscription_id
        return json_response({"value": [
            {"id": f"/subscriptions/{sub}/locations/{name}", "name": name, "type": "Region",
             "displayName": display, "regionalDisplayName": f"(Local) {display}",
             "metadata": {"regionType": "Physical", "regionCategory": "Recommended"}}
            for name, display in LOCATIONS.items()]})

    async def put_group(req: ArmRequest) -> web.Response:
        sub = ctx.subscription(req.params["sub"]).subscription_id
        name = req.params["rg"]
        ctx.check_name(ResourceKind.resource_group, name, "InvalidResourceGroup")
        body = await req.json()
        location = ctx.location(body)
        existing = ctx.store.get(group_id(sub, name))
        if existing is not None:
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
            ctx.store.put(existing)
            return json_response(existing.body, 200)
        record_id = group_id(sub, name)
        record_body: dict[str, object] = {"id": record_id, "name": name, "type": RG_TYPE, "location": location,
                                          "properties": {"provisioningState": "Succeeded"}}
        if body.get("tags"):
            record_body["tags"] = body["tags"]
        if body.get("managedBy"):
            record_body["managedBy"] = body["managedBy"]
        ctx.store.put(Record(id=record_id, type=RG_TYPE, body=record_body))
        return json_response(record_body, 201)

    async def get_group(req: ArmRequest) -> web.StreamResponse:
        if req.method == "HEAD":
            ctx.subscription(req.params["sub"])
            found = ctx.store.get(group_id(req.params["sub"], req.params["rg"]))
            return web.Response(status=204 if found else 404)
        return json_response(ctx.group(req.params["sub"], req.params["rg"]).body)

    async def list_groups(req: ArmRequest) -> web.Response:
        sub = ctx.subscription(req.params["sub"]).subscription_id
        return json_response({"value": [r.body for r in ctx.store.in_scope(f"/subscriptions/{sub}", RG_TYPE)]})

    async def delete_group(req: ArmRequest) -> web.Response:
        sub = ctx.subscription(req.params["sub"]).subscription_id
        record = ctx.store.get(group_id(sub, req.params["rg"]))
        if record is None:
            raise resource_group_not_found(req.params["rg"])
        record.body["properties"]["provisioningState"] = "Deleting"
        ctx.store.put(record)
        # Resource-group deletes report through Location only, as the spec says.
        return await ctx.start_delete(RG_TYPE, record, "resource_group_delete", subscription_id=sub,
                                      namespace="Microsoft.Resources", api_version=req.api_version,
                                      async_header=False)

    async def finish_group_delete(op: Operation) -> None:
        record_id = operation_resource(op)
        store = ctx.store
        for app in store.in_scope(record_id, CONTAINER_APP.type):
            await ctx.runtime.remove_app(app.id)
        for account in store.in_scope(record_id, STORAGE_ACCOUNT.type):
            ctx.shares.remove_account(account.name)
        store.delete_scope(record_id)
        store.delete(record_id)

    ctx.operations.on_finish(RG_TYPE, "delete", finish_group_delete)

    async def operation_status(req: ArmRequest) -> web.Response:
        ctx.subscription(req.params["sub"])
        op = await ctx.operations.wait_status(req.params["op"])
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{req.params['op']}' could not be found.")
        headers = {"Retry-After": retry_after(op.remaining())} if op.status == "InProgress" else {}
        return json_response(status_body(op, str(req.request.url)), 200, headers)

    async def operation_result(req: ArmRequest) -> web.Response:
        ctx.subscription(req.params["sub"])
        op = await ctx.operations.wait_status(req.params["op"])
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{req.params['op']}' could not be found.")
        if op.status == "InProgress":
            return web.Response(status=202, headers={"Retry-After": retry_after(op.remaining()),
                                                     "Location": str(req.request.url)})
        if op.status == "Failed":
            error = op.error or {}
            raise ArmError(400, error.get("code", "OperationFailed"), error.get("message", "The operation failed."))
        if op.action == "delete":  # the resource is gone: 204, as recorded for a deleted environment
            return web.Response(status=204)
        record = ctx.store.get(operation_resource(op))
        if record is None:
            return web.Response(status=204)
        return json_response(ctx.render(record), 200)

    router.add("GET", "/subscriptions", list_subscriptions, "subscriptions")
    router.add("GET", "/subscriptions/{sub}", get_subscription, "subscriptions")
    router.add("GET", "/subscriptions/{sub}/locations", list_locations, "subscriptions")
    router.add_collection("/subscriptions/{sub}/resourcegroups", "rg", "microsoft.resources", list=list_groups,
                          get=get_group, put=put_group, delete=delete_group)
    router.add("GET", "/subscriptions/{sub}/providers/{ns}/locations/{loc}/operationStatuses/{op}", operation_status,
               "any")
    router.add("GET", "/subscriptions/{sub}/providers/{ns}/locations/{loc}/operationResults/{op}", operation_result,
               "any")
