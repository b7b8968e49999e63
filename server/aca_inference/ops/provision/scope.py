"""Where to provision: the subscription and resource group, chosen by flag, picker or the fine-tuning ones.

VS Code always shows the pickers (fine-tuning's choice listed first and pre-selected); the CLI takes
flags, uses the only subscription without asking, prompts on a TTY, and otherwise fails with the choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...azure.errors import azure_error, is_not_found, subscription_not_found
from ...azure.session import AzureSession
from ...errors import Cancelled, InputError
from ...workspace.naming import ResourceKind, check_name
from ..reporter import PickItem, Reporter

NEW_GROUP = "__create_new_resource_group__"
DEFAULT_LOCATION = "westus3"


@dataclass(frozen=True)
class Scope:
    subscription_id: str
    subscription_name: str
    resource_group: str
    resource_group_id: str
    location: str
    created_group: bool = False
    # A group named by flag and confirmed, created only once the preflight and the plan are through (so a refused
    # provision leaves no empty group behind); a group typed into the picker is created at once.
    group_pending: bool = False


@dataclass(frozen=True)
class ScopeRequest:
    subscription: str | None
    resource_group: str | None
    location: str | None
    always_pick: bool
    preferred_subscription: str | None
    preferred_group: str | None
    preferred_location: str | None
    preview: bool = False


async def _subscriptions(session: AzureSession) -> list[tuple[str, str]]:
    found = []
    async for sub in session.subscriptions().subscriptions.list():
        data = sub.as_dict()
        found.append((data["subscriptionId"], data.get("displayName") or data["subscriptionId"]))
    return found


async def choose_subscription(session: AzureSession, request: ScopeRequest, reporter: Reporter) -> tuple[str, str]:
    subscriptions = await _subscriptions(session)
    listed = [f"{name} ({sid})" for sid, name in subscriptions]
    if request.subscription:
        wanted = request.subscription.lower()
        match = next(((sid, n) for sid, n in subscriptions if wanted in (sid.lower(), n.lower())), None)
        if match is None:
            raise subscription_not_found(request.subscription, listed)
        return match
    if not subscriptions:
        raise InputError("No Azure subscription is visible to this account: check the signed-in account and tenant.")
    if len(subscriptions) == 1 and not request.always_pick:
        return subscriptions[0]
    preferred = (request.preferred_subscription or "").lower()
    ordered = sorted(subscriptions, key=lambda s: s[0].lower() != preferred)
    if reporter.interactive:
        items = [PickItem(label=name, value=sid, description="used for fine-tuning" if sid.lower() == preferred else "",
                          detail=sid, picked=sid.lower() == preferred) for sid, name in ordered]
        chosen = await reporter.pick("Select the subscription for inference", items, placeholder="Subscription")
        if chosen is None:
            raise Cancelled("Provision cancelled: no subscription chosen.")
        return chosen.value, chosen.label
    if preferred and ordered[0][0].lower() == preferred:
        reporter.log(f"Using the fine-tuning subscription {ordered[0][1]} ({ordered[0][0]}).")
        return ordered[0]
    raise InputError("Choose a subscription with --subscription:" + "".join(f"\n  - {s}" for s in listed))


async def _groups(session: AzureSession, subscription_id: str) -> list[dict[str, Any]]:
    return [g.as_dict() async for g in session.resources(subscription_id).resource_groups.list()]


async def _create_group(session: AzureSession, subscription_id: str, name: str, location: str,
                        reporter: Reporter, preview: bool, *, chosen_by_user: bool = False) -> dict[str, Any]:
    if (rule := check_name(ResourceKind.resource_group, name)) is not None:
        raise InputError(f"Resource group '{name}': {rule}")
    if preview:
        return {"name": name, "location": location,
                "id": f"/subscriptions/{subscription_id}/resourceGroups/{name}", "preview": True}
    # A name typed after "Create new resource group..." is the confirmation; a flag naming a missing group is not.
    if not chosen_by_user:
        if not await reporter.confirm(f"Resource group '{name}' does not exist. Create it in {location}?",
                                      action="Create"):
            raise Cancelled(f"Provision cancelled: resource group '{name}' was not created.")
        return {"name": name, "location": location,
                "id": f"/subscriptions/{subscription_id}/resourceGroups/{name}", "pending": True}
    return await create_group(session, subscription_id, name, location, reporter)


async def create_group(session: AzureSession, subscription_id: str, name: str, location: str,
                       reporter: Reporter) -> dict[str, Any]:
    try:
        group = await session.resources(subscription_id).resource_groups.create_or_update(name, {"location": location})
    except Exception as error:
        raise azure_error(error, f"creating resource group {name}") from None
    reporter.log(f"Created resource group {name} in {location}.")
    return dict(group.as_dict())


async def choose_resource_group(session: AzureSession, subscription_id: str, request: ScopeRequest,
                                reporter: Reporter) -> tuple[dict[str, Any], bool]:
    client = session.resources(subscription_id).resource_groups
    location = request.location or request.preferred_location or DEFAULT_LOCATION
    if request.resource_group and not request.always_pick:
        try:
            return (await client.get(request.resource_group)).as_dict(), False
        except Exception as error:
            if not is_not_found(error):
                raise azure_error(error, f"reading resource group {request.resource_group}") from None
        if not request.location:
            raise InputError(f"Resource group '{request.resource_group}' does not exist; pass --location to create it.")
        return await _create_group(session, subscription_id, request.resource_group, location, reporter,
                                   request.preview), True

    groups = await _groups(session, subscription_id)
    preferred = (request.resource_group or request.preferred_group or "").lower()
    ordered = sorted(groups, key=lambda g: g["name"].lower() != preferred)
    if reporter.interactive:
        items = [PickItem(label=g["name"], value=g["name"], description=(
            "used for fine-tuning" if g["name"].lower() == preferred else g.get("location", "")),
            picked=g["name"].lower() == preferred) for g in ordered]
        items.append(PickItem(label="Create new resource group\u2026", value=NEW_GROUP))
        chosen = await reporter.pick("Select the resource group for inference", items, placeholder="Resource group")
        if chosen is None:
            raise Cancelled("Provision cancelled: no resource group chosen.")
        if chosen.value != NEW_GROUP:
            return next(g for g in groups if g["name"] == chosen.value), False
        name = await reporter.ask("Name of the new resource group")
        if not name:
            raise Cancelled("Provision cancelled: no resource group name given.")
        where = await reporter.ask("Location of the new resource group", default=location) or location
        return await _create_group(session, subscription_id, name, where, reporter, request.preview,
                                   chosen_by_user=True), True
    if preferred and ordered and ordered[0]["name"].lower() == preferred:
        reporter.log(f"Using the fine-tuning resource group {ordered[0]['name']}.")
        return ordered[0], False
    listed = "".join(f"\n  - {g['name']}" for g in groups)
    raise InputError("Choose a resource group with --resource-group (and --location to create a new one):" + listed)


async def choose_scope(session: AzureSession, request: ScopeRequest, reporter: Reporter) -> Scope:
    subscription_id, subscription_name = await choose_subscription(session, request, reporter)
    group, created = await choose_resource_group(session, subscription_id, request, reporter)
    return Scope(subscription_id=subscription_id, subscription_name=subscription_name, resource_group=group["name"],
                 resource_group_id=group["id"], location=group.get("location") or DEFAULT_LOCATION,
                 created_group=created, group_pending=bool(group.get("pending")))
