"""Azure's rules for serverless GPU workload profiles (Consumption-GPU-NC8as-T4, Consumption-GPU-NC24-A100).

* A serverless GPU profile has no node counts: ACA answers 400 WorkloadProfilePropertyNotSupported ("Workload
  Profile property 'MinimumCount' is not supported for Consumption_GPU_NC8as_T4", as reported in
  hashicorp/terraform-provider-azurerm#31763 and #32242) when an environment's profile sends minimumCount or
  maximumCount.
* One GPU per replica: "Multi and fractional GPU replicas aren't supported" (learn.microsoft.com/azure/
  container-apps/gpu-serverless-overview, ms.date 2025-06-02). A replica's share is one GPU with the vCPU and memory
  the profile gives it (workload-profiles-overview, ms.date 2025-11-04: T4 8 vCPU / 56 GiB, A100 24 vCPU /
  220 GiB), so an app whose containers ask more is refused with ACA's code for resource totals it cannot place,
  ContainerAppInvalidResourceTotal (the message follows the shape of ACA's Consumption one).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ArmError

# profile type (lower case) -> (vCPU, memory GiB) of one replica: one GPU's share.
SERVERLESS_GPU_SHARE: dict[str, tuple[float, float]] = {
    "consumption-gpu-nc8as-t4": (8, 56),
    "consumption-gpu-nc24-a100": (24, 220),
}
# Kubernetes quantities as ACA reads `memory`: binary (Ki, Mi, Gi, Ti) and decimal (k, M, G, T) suffixes.
_QUANTITY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?\s*$")
_GIB_PER_UNIT = {None: 1 / 2**30, "Ki": 1 / 2**20, "Mi": 1 / 2**10, "Gi": 1.0, "Ti": 2.0**10, "k": 1e3 / 2**30,
                 "K": 1e3 / 2**30, "M": 1e6 / 2**30, "G": 1e9 / 2**30, "T": 1e12 / 2**30}


def is_serverless_gpu(profile_type: Any) -> bool:
    return isinstance(profile_type, str) and profile_type.lower() in SERVERLESS_GPU_SHARE


def check_profile_counts(profile: dict[str, Any]) -> None:
    """An environment's workload profile entry: a serverless GPU profile takes no minimumCount/maximumCount."""
    kind = profile.get("workloadProfileType")
    if not is_serverless_gpu(kind):
        return
    for field in ("minimumCount", "maximumCount"):
        if profile.get(field) is not None:
            raise ArmError(400, "WorkloadProfilePropertyNotSupported",
                           f"Workload Profile property '{field[0].upper()}{field[1:]}' is not supported for "
                           f"{str(kind).replace('-', '_')}")


def _gib(memory: Any) -> float | None:
    match = _QUANTITY.match(memory) if isinstance(memory, str) else None
    return None if match is None else float(match.group(1)) * _GIB_PER_UNIT[match.group(2)]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def check_one_gpu_per_replica(profiles: list[dict[str, Any]], properties: dict[str, Any]) -> None:
    """A container app on a serverless GPU profile: its containers together fit one GPU's share of the profile."""
    name = properties.get("workloadProfileName")
    profile = next((p for p in profiles if isinstance(name, str) and str(p.get("name", "")).lower() == name.lower()),
                   None)
    if profile is None or not is_serverless_gpu(profile.get("workloadProfileType")):
        return
    kind = str(profile["workloadProfileType"])
    most_cpu, most_gib = SERVERLESS_GPU_SHARE[kind.lower()]
    containers = (properties.get("template") or {}).get("containers") or []
    cpu = gib = 0.0
    for container in containers:
        resources = (container.get("resources") if isinstance(container, dict) else None) or {}
        cpu += _number(resources.get("cpu")) or 0.0
        gib += _gib(resources.get("memory")) or 0.0
    if cpu > most_cpu or gib > most_gib:
        raise ArmError(400, "ContainerAppInvalidResourceTotal",
                       f"The total requested CPU and memory resources for this application (CPU: {cpu:g}, memory: "
                       f"{gib:g}) is invalid. A replica on workload profile '{profile['name']}' ({kind}) gets one GPU "
                       f"with at most {most_cpu:g} CPU and {most_gib:g}Gi memory: multi and fractional GPU replicas "
                       "aren't supported.")
