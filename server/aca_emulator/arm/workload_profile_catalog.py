"""Microsoft.App's per-location catalog: the workload profile types a location offers
(`availableManagedEnvironmentsWorkloadProfileTypes`) and the subscription's quota there (`usages`), with the
refusals that follow from them when an environment or app asks for more (a profile type the location does not
offer; GPUs beyond the regional quota). What is offered and the limits come from `settings.subscription_state`;
what is used is counted from the environments and apps that exist.

Bodies: openapi.json 2026-07-01 (AvailableWorkloadProfile: name, location, properties {category, applicability,
cores, memoryGiB, gpus, displayName}; Usage: unit "Count", currentValue, limit, name {value, localizedValue}).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from azure_name_rules.workload_profiles import GPU_QUOTA_NAMES, PROFILE_TYPES, ProfileType, profile_type

from ..resource_types import AVAILABLE_WORKLOAD_PROFILE, CONTAINER_APP, MANAGED_ENVIRONMENT
from ..store import Record
from .context import ArmContext, display_location, normalize_location, subscription_scope
from .errors import ArmError
from .operations import json_response
from .routing import ArmRequest, Router

DEFAULT_MAX_REPLICAS = 10


def _location(value: str) -> str:
    location = normalize_location(value)
    if location is None:
        raise ArmError(404, "LocationNotFound", f"The location '{value}' is not a valid location for Microsoft.App.")
    return location


def _display(profile: ProfileType) -> str:
    dedicated = not profile.serverless and profile.name.lower() != "consumption"
    return f"Dedicated-{profile.name}" if dedicated else profile.name


def _environment_gpus(record: Record, quota: str) -> float:
    total = 0.0
    for profile in record.body["properties"].get("workloadProfiles") or []:
        kind = profile_type(profile.get("workloadProfileType"))
        if kind is not None and kind.gpu_quota == quota and not kind.serverless:
            total += float(profile.get("maximumCount") or 0) * kind.gpus
    return total


def _app_profile(ctx: ArmContext, properties: dict[str, Any]) -> ProfileType | None:
    environment = ctx.store.get(str(properties.get("environmentId") or ""))
    wanted = str(properties.get("workloadProfileName") or "").lower()
    if environment is None or not wanted:
        return None
    for profile in environment.body["properties"].get("workloadProfiles") or []:
        if str(profile.get("name", "")).lower() == wanted:
            return profile_type(profile.get("workloadProfileType"))
    return None


def _app_gpus(ctx: ArmContext, properties: dict[str, Any], quota: str) -> float:
    kind = _app_profile(ctx, properties)
    if kind is None or kind.gpu_quota != quota or not kind.serverless:
        return 0.0
    scale = (properties.get("template") or {}).get("scale") or {}
    replicas = scale.get("maxReplicas")
    return float(replicas if isinstance(replicas, int) else DEFAULT_MAX_REPLICAS) * kind.gpus


def used(ctx: ArmContext, subscription: str, location: str, quota: str, *, besides: str = "") -> float:
    """GPUs of `quota` in use in the location: dedicated profiles' nodes, serverless apps' replicas."""
    scope = subscription_scope(subscription)
    total = 0.0
    for record in ctx.store.in_scope(scope, MANAGED_ENVIRONMENT.type):
        if record.body.get("location") == location and record.id.lower() != besides.lower():
            total += _environment_gpus(record, quota)
    for record in ctx.store.in_scope(scope, CONTAINER_APP.type):
        if record.body.get("location") == location and record.id.lower() != besides.lower():
            total += _app_gpus(ctx, record.body["properties"], quota)
    return total


def _quota_error(subscription: str, location: str, quota: str, limit: float, current: float,
                 asked: float) -> ArmError:
    return ArmError(400, "MaxRegionalQuotaExceeded",
                    f"Operation would exceed the regional quota '{quota}' ({GPU_QUOTA_NAMES[quota]}) of subscription "
                    f"'{subscription}' in location '{display_location(location)}': limit {limit:g}, current usage "
                    f"{current:g}, requested {asked:g}. Request more quota for Azure Container Apps in the Azure "
                    "portal (Quotas).")


async def refusal(ctx: ArmContext, request: web.Request) -> ArmError | None:
    """An environment or app PUT asking for a profile type its location does not offer, or for GPUs beyond the
    quota, refused as the service does before anything is created."""
    parts = request.path.rstrip("/").split("/")
    if request.method not in ("PUT", "PATCH") or len(parts) != 9 or parts[6].lower() != "microsoft.app":
        return None
    kind = parts[7].lower()
    if kind not in ("managedenvironments", "containerapps"):
        return None
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return None  # the provider answers the malformed body
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        return None
    record_id = "/".join(parts)
    existing = ctx.store.get(record_id)
    location = normalize_location(body.get("location")) or (existing.body.get("location") if existing else None)
    if location is None:
        return None
    state = ctx.settings.subscription_state
    subscription = parts[2]
    if kind == "managedenvironments":
        profiles = properties.get("workloadProfiles")
        for profile in profiles if isinstance(profiles, list) else []:
            name = profile.get("workloadProfileType") if isinstance(profile, dict) else None
            if isinstance(name, str) and name.lower() in PROFILE_TYPES and not state.offers(location, name):
                return ArmError(400, "WorkloadProfileTypeNotSupported",
                                f"The workload profile type '{name}' is not supported in location "
                                f"'{display_location(location)}'.")
        probe = Record(id=record_id, type=MANAGED_ENVIRONMENT.type, body={"properties": properties})
        asks = {quota: _environment_gpus(probe, quota) for quota in GPU_QUOTA_NAMES}
    else:
        asks = {quota: _app_gpus(ctx, properties, quota) for quota in GPU_QUOTA_NAMES}
    for quota, asked in asks.items():
        if asked <= 0:
            continue
        current = used(ctx, subscription, location, quota, besides=record_id)
        limit = state.quota(location, quota)
        if current + asked > limit:
            return _quota_error(subscription, location, quota, limit, current, asked)
    return None


class WorkloadProfileCatalog:
    """A location's catalog as Microsoft.App serves it: the profile types offered there, the quota used there."""

    def __init__(self, ctx: ArmContext) -> None:
        self.ctx = ctx

    async def available_profiles(self, req: ArmRequest) -> web.Response:
        sub = self.ctx.subscription(req.params["sub"]).subscription_id
        location = _location(req.params["loc"])
        state = self.ctx.settings.subscription_state
        return json_response({"value": [
            {"id": f"/subscriptions/{sub}/providers/Microsoft.App/locations/{location}/"
                   f"availableManagedEnvironmentsWorkloadProfileTypes/{p.name}",
             "name": p.name, "type": AVAILABLE_WORKLOAD_PROFILE.type, "location": display_location(location),
             "properties": {"category": p.category, "applicability": "LocationDefault", "cores": int(p.cores),
                            "memoryGiB": int(p.memory_gib), "gpus": p.gpus, "displayName": _display(p)}}
            for p in PROFILE_TYPES.values() if state.offers(location, p.name)]})

    async def usages(self, req: ArmRequest) -> web.Response:
        ctx = self.ctx
        sub = ctx.subscription(req.params["sub"]).subscription_id
        location = _location(req.params["loc"])
        state = ctx.settings.subscription_state
        environments = [r for r in ctx.store.in_scope(subscription_scope(sub), MANAGED_ENVIRONMENT.type)
                        if r.body.get("location") == location]
        value = [{"unit": "Count", "currentValue": len(environments), "limit": 10_000.0,
                  "name": {"value": "ManagedEnvironmentCount", "localizedValue": "Managed Environment Count"}}]
        value += [{"unit": "Count", "currentValue": used(ctx, sub, location, quota), "limit": state.quota(location, quota),
                   "name": {"value": quota, "localizedValue": label}} for quota, label in GPU_QUOTA_NAMES.items()]
        return json_response({"value": value})

    def register(self, router: Router) -> None:
        base = "/subscriptions/{sub}/providers/Microsoft.App/locations/{loc}/"
        router.add("GET", base + "availableManagedEnvironmentsWorkloadProfileTypes", self.available_profiles,
                   MANAGED_ENVIRONMENT.provider)
        router.add("GET", base + "usages", self.usages, MANAGED_ENVIRONMENT.provider)


def register(router: Router, ctx: ArmContext) -> None:
    WorkloadProfileCatalog(ctx).register(router)
