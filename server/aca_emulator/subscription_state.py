"""What a subscription is allowed and offered, as the tests set it through `/_emulator/subscription-state`:
which resource providers are registered, which workload profile types each location offers, the GPU quota per
location, storage account names taken by someone else, and the caller's permissions.

Defaults: everything registered, every profile type offered everywhere, generous quota, the Contributor role -
what a working subscription looks like, so only a test that wants a refusal sets anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure_name_rules.workload_profiles import GPU_QUOTA_NAMES, PROFILE_TYPES

DEFAULT_GPU_QUOTA = 10_000.0
# The built-in Contributor role's permissions (actions "*", minus authorization writes and blueprint assignment).
CONTRIBUTOR = [{"actions": ["*"], "notActions": [
    "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
    "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
    "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
    "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete"],
    "dataActions": [], "notDataActions": []}]
KNOWN_NAMESPACES = ("Microsoft.App", "Microsoft.Storage", "Microsoft.OperationalInsights")


@dataclass
class SubscriptionState:
    unregistered_providers: set[str] = field(default_factory=set)  # lower case namespaces
    # location -> profile types offered there (lower case); a location not listed offers every type
    offered_workload_profiles: dict[str, set[str]] = field(default_factory=dict)
    # location -> usages name -> limit; what is not listed is DEFAULT_GPU_QUOTA
    gpu_quota: dict[str, dict[str, float]] = field(default_factory=dict)
    taken_storage_names: set[str] = field(default_factory=set)  # lower case, taken in another subscription
    permissions: list[dict[str, Any]] = field(default_factory=lambda: [dict(p) for p in CONTRIBUTOR])

    def registered(self, namespace: str) -> bool:
        return namespace.lower() not in self.unregistered_providers

    def offers(self, location: str, profile_type: str) -> bool:
        offered = self.offered_workload_profiles.get(location)
        return offered is None or profile_type.lower() in offered

    def quota(self, location: str, name: str) -> float:
        return self.gpu_quota.get(location, {}).get(name, DEFAULT_GPU_QUOTA)

    def reset(self) -> None:
        fresh = SubscriptionState()
        self.__dict__.update(fresh.__dict__)

    def public(self) -> dict[str, Any]:
        return {"unregistered_providers": sorted(self.unregistered_providers),
                "offered_workload_profiles": {k: sorted(v) for k, v in self.offered_workload_profiles.items()},
                "gpu_quota": self.gpu_quota, "taken_storage_names": sorted(self.taken_storage_names),
                "permissions": self.permissions}

    def update(self, body: dict[str, Any], normalize_location: Any) -> None:
        """Merge what `body` sets; raises ValueError naming what is wrong (the admin route answers 400)."""
        unknown = set(body) - {"unregistered_providers", "offered_workload_profiles", "gpu_quota",
                               "taken_storage_names", "permissions"}
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        if "unregistered_providers" in body:
            self.unregistered_providers = {str(n).lower() for n in body["unregistered_providers"] or []}
        for location, types in dict(body.get("offered_workload_profiles") or {}).items():
            where = _location(location, normalize_location)
            if types is None:
                self.offered_workload_profiles.pop(where, None)
                continue
            bad = [t for t in types if str(t).lower() not in PROFILE_TYPES]
            if bad:
                raise ValueError(f"unknown workload profile types: {', '.join(map(str, bad))}")
            self.offered_workload_profiles[where] = {str(t).lower() for t in types}
        for location, limits in dict(body.get("gpu_quota") or {}).items():
            where = _location(location, normalize_location)
            bad = [n for n in limits or {} if n not in GPU_QUOTA_NAMES]
            if bad:
                raise ValueError(f"unknown quota names {', '.join(bad)}; known: {', '.join(GPU_QUOTA_NAMES)}")
            self.gpu_quota.setdefault(where, {}).update({n: float(v) for n, v in (limits or {}).items()})
        if "taken_storage_names" in body:
            self.taken_storage_names = {str(n).lower() for n in body["taken_storage_names"] or []}
        if "permissions" in body:
            permissions = body["permissions"]
            if permissions is None:
                permissions = [dict(p) for p in CONTRIBUTOR]
            if not isinstance(permissions, list) or not all(isinstance(p, dict) for p in permissions):
                raise ValueError("permissions: expected a list of {actions, notActions}")
            self.permissions = [{"actions": list(p.get("actions") or []), "notActions": list(p.get("notActions") or []),
                                 "dataActions": [], "notDataActions": []} for p in permissions]


def _location(value: Any, normalize_location: Any) -> str:
    where = normalize_location(value)
    if where is None:
        raise ValueError(f"unknown location {value!r}")
    return str(where)
