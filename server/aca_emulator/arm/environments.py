"""Microsoft.App managed environments (slow long-running create/update), their workload profiles and
Azure Files storages."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from ..resource_types import (
    CONTAINER_APP,
    ENVIRONMENT_STORAGE,
    LOG_ANALYTICS_WORKSPACE,
    MANAGED_ENVIRONMENT,
)
from ..store import Record
from .app_shapes import fill_environment, read_body
from .bodies import merged, system_data
from .context import ArmContext
from .env_storages import EnvironmentStorages
from .errors import ArmError
from .gpu_rules import check_profile_counts
from .operations import iso, json_response
from .routing import ArmRequest, Router
from .tracked import TrackedResource

ENV_TYPE = MANAGED_ENVIRONMENT.type
STORAGE_TYPE = ENVIRONMENT_STORAGE.type
APP_TYPE = CONTAINER_APP.type
ENV_READ_ONLY = ("provisioningState", "defaultDomain", "staticIp", "workloadProfiles", "eventStreamEndpoint",
                 "appLogsConfiguration")

# workloadProfileType -> (category, cores, memoryGiB, gpus, display name)
PROFILE_TYPES: dict[str, tuple[str, int, int, int, str]] = {
    "Consumption": ("Consumption", 4, 8, 0, "Consumption"),
    "D4": ("GeneralPurpose", 4, 16, 0, "Dedicated-D4"), "D8": ("GeneralPurpose", 8, 32, 0, "Dedicated-D8"),
    "D16": ("GeneralPurpose", 16, 64, 0, "Dedicated-D16"), "D32": ("GeneralPurpose", 32, 128, 0, "Dedicated-D32"),
    "E4": ("MemoryOptimized", 4, 32, 0, "Dedicated-E4"), "E8": ("MemoryOptimized", 8, 64, 0, "Dedicated-E8"),
    "E16": ("MemoryOptimized", 16, 128, 0, "Dedicated-E16"),
    "E32": ("MemoryOptimized", 32, 256, 0, "Dedicated-E32"),
    "NC24-A100": ("GPU", 24, 220, 1, "Dedicated-NC24-A100"), "NC48-A100": ("GPU", 48, 440, 2, "Dedicated-NC48-A100"),
    "NC96-A100": ("GPU", 96, 880, 4, "Dedicated-NC96-A100"),
    "Consumption-GPU-NC24-A100": ("GPU", 24, 220, 1, "Consumption-GPU-NC24-A100"),
    "Consumption-GPU-NC8as-T4": ("GPU", 8, 56, 1, "Consumption-GPU-NC8as-T4"),
}


def _validate_profiles(profiles: Any) -> list[dict[str, Any]]:
    if profiles is None:
        return []
    if not isinstance(profiles, list):
        raise ArmError(400, "InvalidRequestContent", "properties.workloadProfiles must be an array.")
    result: list[dict[str, Any]] = []
    names: set[str] = set()
    for index, profile in enumerate(profiles):
        if not isinstance(profile, dict) or not profile.get("name") or not profile.get("workloadProfileType"):
            raise ArmError(400, "InvalidWorkloadProfile",
                           f"workloadProfiles[{index}] needs a 'name' and a 'workloadProfileType'.")
        kind = profile["workloadProfileType"]
        if kind not in PROFILE_TYPES:
            raise ArmError(400, "InvalidWorkloadProfileType",
                           f"Workload profile type '{kind}' is not supported. Supported types: "
                           f"{', '.join(PROFILE_TYPES)}.")
        check_profile_counts(profile)
        if str(profile["name"]).lower() in names:
            raise ArmError(400, "DuplicateWorkloadProfileName",
                           f"Workload profile name '{profile['name']}' is used more than once.")
        names.add(str(profile["name"]).lower())
        entry: dict[str, Any] = {"name": profile["name"], "workloadProfileType": kind}
        if kind != "Consumption" and not kind.startswith("Consumption-"):
            low, high = profile.get("minimumCount", 0), profile.get("maximumCount", 1)
            if not isinstance(low, int) or not isinstance(high, int) or low < 0 or high < max(low, 1) or high > 100:
                raise ArmError(400, "InvalidWorkloadProfileScale",
                               f"Workload profile '{profile['name']}' needs 0 <= minimumCount <= maximumCount, "
                               f"1 <= maximumCount <= 100 (got {low!r}..{high!r}).")
            entry.update(minimumCount=low, maximumCount=high)
        result.append(entry)
    if result and not any(p["workloadProfileType"] == "Consumption" for p in result):
        result.insert(0, {"name": "Consumption", "workloadProfileType": "Consumption"})
    return result


class ManagedEnvironments(TrackedResource):
    """The managed environment provider: PUT (create, or update through `update`), PATCH, DELETE (all
    long-running), workload profile states, the profile types a location offers; storages (env_storages.py)."""

    def __init__(self, ctx: ArmContext) -> None:
        super().__init__(ctx, MANAGED_ENVIRONMENT, "env", render=self.render_environment)

    def render_environment(self, record: Record) -> dict[str, Any]:
        return {**record.body, "properties": fill_environment(record.body["properties"])}

    def logs_config(self, sub: str, config: Any) -> dict[str, Any] | None:
        if config is None:
            return None
        if not isinstance(config, dict):
            raise ArmError(400, "InvalidRequestContent", "properties.appLogsConfiguration must be an object.")
        destination = config.get("destination")
        if destination in (None, "", "none"):
            return {"destination": destination} if destination else None
        if destination != "log-analytics":
            return {"destination": destination}
        la = config.get("logAnalyticsConfiguration") or {}
        customer_id, key = la.get("customerId"), la.get("sharedKey")
        if not customer_id or not key:
            raise ArmError(400, "InvalidLogAnalyticsConfiguration",
                           "appLogsConfiguration.logAnalyticsConfiguration needs customerId and sharedKey.")
        for workspace in self.ctx.store.in_scope(f"/subscriptions/{sub}", LOG_ANALYTICS_WORKSPACE.type):
            if workspace.body["properties"]["customerId"] == customer_id:
                if key not in (workspace.internal["primarySharedKey"], workspace.internal["secondarySharedKey"]):
                    raise ArmError(400, "InvalidLogAnalyticsConfiguration",
                                   f"The shared key for Log Analytics workspace '{workspace.name}' is not valid.")
                return {"destination": "log-analytics", "logAnalyticsConfiguration": {"customerId": customer_id}}
        raise ArmError(400, "InvalidLogAnalyticsConfiguration",
                       f"No Log Analytics workspace with customerId '{customer_id}' was found.")

    async def put(self, req: ArmRequest) -> web.Response:
        sub, group, record_id, name, body, location = await self.read_put(req, "ManagedEnvironmentInvalidName")
        properties = read_body(body.get("properties") or {})
        profiles = _validate_profiles(properties.get("workloadProfiles"))
        logs = self.logs_config(sub, properties.get("appLogsConfiguration"))
        existing = self.ctx.store.get(record_id)
        if existing is not None:
            # What else was sent replaces what was stored; profiles and logs go through update's checks.
            stored = existing.body["properties"]
            sent = {k: v for k, v in properties.items() if k != "appLogsConfiguration"}
            existing.body["properties"] = {**merged(stored, sent), **{k: stored[k] for k in ENV_READ_ONLY if k in stored}}
            if body.get("tags") is not None:
                existing.body["tags"] = body["tags"]
            return await self.update(req, existing, {"workloadProfiles": properties.get("workloadProfiles"),
                                                "appLogsConfiguration": properties.get("appLogsConfiguration")},
                                status=200)
        digest = hashlib.sha256(record_id.lower().encode()).hexdigest()[:8]
        record_body: dict[str, Any] = {
            "id": record_id, "name": name, "type": ENV_TYPE, "location": location, "tags": body.get("tags") or {},
            "systemData": system_data(None, iso()),
            "properties": {
                "provisioningState": "InitializationInProgress",
                "defaultDomain": f"{name}-{digest}.{location}.azurecontainerapps.local",
                "staticIp": "127.0.0.1", "zoneRedundant": bool(properties.get("zoneRedundant", False)),
                "workloadProfiles": profiles,
                "customDomainConfiguration": {"customDomainVerificationId": digest.upper() * 8},
                "eventStreamEndpoint": f"{self.ctx.base_url}/subscriptions/{sub}/resourceGroups/{group.name}/"
                                       f"managedEnvironments/{name}/eventstream",
                "infrastructureResourceGroup": f"ME_{name}_{group.name}_{location}",
                "peerAuthentication": {"mtls": {"enabled": False}},
                "peerTrafficConfiguration": {"encryption": {"enabled": False}},
                "publicNetworkAccess": "Enabled",
            },
        }
        if logs:
            record_body["properties"]["appLogsConfiguration"] = logs
        # The rest of what was sent (vnetConfiguration, daprAIInstrumentationKey, ...) comes back as sent; the
        # read-only fields, profiles and logs (its sharedKey is never returned) stay as computed above.
        computed = record_body["properties"]
        sent = {k: v for k, v in properties.items() if k != "appLogsConfiguration"}
        record_body["properties"] = {**merged(computed, sent),
                                     **{k: computed[k] for k in ENV_READ_ONLY if k in computed}}
        self.ctx.store.put(Record(id=record_id, type=ENV_TYPE, body=record_body, parent=group.id,
                             internal={"consumption_only": not profiles}))
        op = await self.ctx.operations.start(ENV_TYPE, record_id, "create", self.ctx.settings.scaled("managed_environment"))
        if op is None:
            return json_response(self.render_environment(self.ctx.store.require(record_id)), 201)
        return self.ctx.accepted(op, subscription_id=sub, namespace=MANAGED_ENVIRONMENT.namespace, location=location,
                            api_version=req.api_version, status=201,
                            body=self.render_environment(self.ctx.store.require(record_id)))

    async def update(self, req: ArmRequest, record: Record, changes: dict[str, Any], *, status: int) -> web.Response:
        properties = record.body["properties"]
        if properties["provisioningState"] not in ("Succeeded", "Failed"):
            raise ArmError(409, "ManagedEnvironmentOperationInProgress",
                           f"Another operation is in progress on managed environment '{record.name}'; retry when it "
                           "has finished.")
        if changes.get("workloadProfiles") is not None:
            profiles = _validate_profiles(changes["workloadProfiles"])
            if record.internal.get("consumption_only") and profiles:
                raise ArmError(400, "ManagedEnvironmentWorkloadProfilesNotSupported",
                               f"Managed environment '{record.name}' is a Consumption-only environment; workload "
                               "profiles can only be set when an environment is created.")
            in_use = {str(a.body["properties"].get("workloadProfileName") or "").lower()
                      for a in self.ctx.store.in_scope(record.id.split("/providers/")[0], APP_TYPE)
                      if (a.body["properties"].get("environmentId") or "").lower() == record.id.lower()}
            missing = in_use - {str(p["name"]).lower() for p in profiles} - {""}
            if profiles and missing:
                raise ArmError(400, "WorkloadProfileInUse",
                               f"Workload profile(s) {', '.join(sorted(missing))} are used by container apps.")
            properties["workloadProfiles"] = profiles
        if changes.get("appLogsConfiguration") is not None:
            logs = self.logs_config(req.params["sub"], changes["appLogsConfiguration"])
            if logs:
                properties["appLogsConfiguration"] = logs
        properties["provisioningState"] = "InfrastructureSetupInProgress"
        record.body["systemData"] = system_data(record.body.get("systemData"), iso())
        self.ctx.store.put(record)
        op = await self.ctx.operations.start(ENV_TYPE, record.id, "update",
                                        self.ctx.settings.scaled("managed_environment_update"))
        if op is None:
            return json_response(self.render_environment(self.ctx.store.require(record.id)), 200)
        # As recorded: a PUT answers with Azure-AsyncOperation, a PATCH 202 with Location only.
        return self.ctx.accepted(op, subscription_id=req.params["sub"], namespace=MANAGED_ENVIRONMENT.namespace,
                            location=record.body["location"], api_version=req.api_version,
                            status=status if req.method == "PUT" else 202,
                            body=self.render_environment(record) if req.method == "PUT" else None,
                            async_header=req.method == "PUT", location_header=req.method == "PATCH")

    async def patch(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        body = await req.json()
        properties = read_body(body.get("properties") or {})
        if "tags" in body:
            record.body["tags"] = body["tags"] or {}
        return await self.update(req, record, {"workloadProfiles": properties.get("workloadProfiles"),
                                          "appLogsConfiguration": properties.get("appLogsConfiguration")}, status=202)

    async def delete(self, req: ArmRequest) -> web.Response:
        record = self.get_record(req)
        if record is None:
            return web.Response(status=204)
        apps = [a.name for a in self.ctx.store.in_scope(f"/subscriptions/{req.params['sub']}", APP_TYPE)
                if (a.body["properties"].get("environmentId") or "").lower() == record.id.lower()]
        if apps:
            raise ArmError(409, "ManagedEnvironmentHasContainerApps",
                           f"Cannot delete managed environment '{req.params['env']}' because it has container apps: "
                           f"{', '.join(apps)}.")
        return await self.begin_delete(req, record, state="ScheduledForDelete",
                                               duration="managed_environment_delete", async_header=False)

    async def workload_profile_states(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        apps = [a for a in self.ctx.store.in_scope(f"/subscriptions/{req.params['sub']}", APP_TYPE)
                if (a.body["properties"].get("environmentId") or "").lower() == record.id.lower()]
        value = []
        for profile in record.body["properties"].get("workloadProfiles") or []:
            current = sum(1 for a in apps if str(a.body["properties"].get("workloadProfileName") or "").lower()
                          == str(profile["name"]).lower() and self.ctx.runtime.is_running(a.id))
            # As recorded, `type` is the profile's type and the properties repeat its name and type.
            value.append({"name": profile["name"], "id": f"{record.id}/workloadProfileStates/{profile['name']}",
                          "type": profile["workloadProfileType"],
                          "properties": {"name": profile["name"], "workloadProfileType": profile["workloadProfileType"],
                                         "minimumCount": profile.get("minimumCount", 0),
                                         "maximumCount": profile.get("maximumCount", 0), "currentCount": current}})
        return json_response({"value": value})

    def register(self, router: Router) -> None:
        base = MANAGED_ENVIRONMENT.collection
        self.register_finishers()
        self.add_routes(router, base, delete=self.delete)
        router.add("PUT", base + "/{env}", self.put, MANAGED_ENVIRONMENT.provider)
        router.add("PATCH", base + "/{env}", self.patch, MANAGED_ENVIRONMENT.provider)
        router.add("GET", base + "/{env}/workloadProfileStates", self.workload_profile_states,
                   MANAGED_ENVIRONMENT.provider)
        EnvironmentStorages(self.ctx, self).add_routes(router, base + "/{env}/storages")


def register(router: Router, ctx: ArmContext) -> None:
    ManagedEnvironments(ctx).register(router)
