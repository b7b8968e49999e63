"""Provision's preflight decisions, plain functions of the plan and what Azure answered (tested without Azure):
which providers the plan writes to, which workload profiles it adds, how many GPUs of which quota it takes (a
dedicated profile's nodes; a serverless GPU profile's replicas plus the one more a zero-downtime release starts),
and the line each failure becomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure_name_rules.permissions import permits, write_action
from azure_name_rules.workload_profiles import GPU_QUOTA_NAMES, QUOTA_PAGE, profile_type

from ...azure.arm_resources import property_at
from ...azure.subscription_checks import NameAvailability, Usage, location_key
from ...workspace.paths import INFERENCE_PARAMETERS
from ...workspace.template import EvaluatedTemplate
from .plan import PlannedResource

REQUIRED_NAMESPACES = ("Microsoft.App", "Microsoft.Storage", "Microsoft.OperationalInsights")
ENVIRONMENT = "microsoft.app/managedenvironments"
APP = "microsoft.app/containerapps"
STORAGE_ACCOUNT = "microsoft.storage/storageaccounts"


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)
    deferred: bool = False  # a check the unregistered provider refused: asked again once it is registered


@dataclass(frozen=True)
class GpuNeed:
    """GPUs one part of the plan takes from a quota of a location."""

    location: str
    quota: str
    gpus: float  # what it needs to run at all
    overlap: float  # more for a zero-downtime release (serverless: one replica more)
    what: str  # "workload profile GPU (NC24-A100, maximumCount 2) of environment aienv..."
    fix: str  # which setting lowers it


def namespaces_written(planned: list[PlannedResource]) -> list[str]:
    """The providers the plan writes to, spelled as ARM spells them."""
    found: dict[str, str] = {}
    for item in planned:
        if item.changing:
            namespace = item.resource.type.split("/", 1)[0]
            canonical = next((n for n in REQUIRED_NAMESPACES if n.lower() == namespace.lower()), namespace)
            found.setdefault(canonical.lower(), canonical)
    return sorted(found.values())


def _profiles(resource_body: dict[str, Any] | None) -> list[dict[str, Any]]:
    profiles = property_at(resource_body, "workloadProfiles")
    return [p for p in profiles if isinstance(p, dict)] if isinstance(profiles, list) else []


def added_profiles(item: PlannedResource) -> list[dict[str, Any]]:
    """The workload profiles a changing environment gets that it does not have yet."""
    if item.resource.type.lower() != ENVIRONMENT or not item.changing:
        return []
    have = {str(p.get("name", "")).lower() for p in _profiles(item.current)}
    return [p for p in _profiles(item.resource.body) if str(p.get("name", "")).lower() not in have]


def location_of(item: PlannedResource, fallback: str) -> str:
    location = item.resource.body.get("location")
    return location_key(location if isinstance(location, str) and location else fallback)


def parameter_hint(evaluated: EvaluatedTemplate, *names: str) -> str:
    """Where the user changes a setting: the parameters file's entry when the bicep has the parameter."""
    name = next((n for n in names if n in evaluated.template.file.params), None)
    return f"`{name}` in {INFERENCE_PARAMETERS}" if name else f"the profile in {evaluated.template.display}"


def _max_replicas(body: dict[str, Any] | None) -> int:
    value = property_at(body, "template", "scale", "maxReplicas")
    return value if isinstance(value, int) and not isinstance(value, bool) else 10  # ACA's default


def _app_profile(app: dict[str, Any] | None, environments: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    name = property_at(app, "workloadProfileName")
    profiles = environments.get(str(property_at(app, "environmentId") or "").lower(), [])
    return next((p for p in profiles if isinstance(name, str) and str(p.get("name", "")).lower() == name.lower()),
                None)


def gpu_needs(planned: list[PlannedResource], evaluated: EvaluatedTemplate, location: str) -> list[GpuNeed]:
    """The GPUs the plan adds: each new dedicated GPU profile's nodes (Azure counts maximumCount when the
    environment is written), and each created or changed app on a serverless GPU profile's replicas (one GPU
    each) plus one replica of overlap for a zero-downtime release."""
    needs: list[GpuNeed] = []
    environments: dict[str, list[dict[str, Any]]] = {}
    for item in planned:
        if item.resource.type.lower() == ENVIRONMENT:
            environments[item.resource.handle.id.lower()] = [*_profiles(item.resource.body), *_profiles(item.current)]
    for item in planned:
        for profile in added_profiles(item):
            kind = profile_type(profile.get("workloadProfileType"))
            if kind is None or kind.gpu_quota is None or kind.serverless:
                continue
            nodes = profile.get("maximumCount")
            nodes = nodes if isinstance(nodes, int) and not isinstance(nodes, bool) else 1
            needs.append(GpuNeed(
                location_of(item, location), kind.gpu_quota, float(nodes * kind.gpus), 0.0,
                f"workload profile {profile.get('name')} ({kind.name}: {kind.gpus} GPU per node x maximumCount "
                f"{nodes}) of Container Apps environment {item.name}",
                f"lower the profile's maximumCount ({parameter_hint(evaluated, 'maximumInstanceCount')}; a release "
                "then restarts in place when the nodes cannot hold two revisions)"))
    for item in planned:
        if item.resource.type.lower() != APP or not item.changing:
            continue
        app_profile = _app_profile(item.resource.body, environments)
        kind = profile_type(app_profile.get("workloadProfileType")) if app_profile else None
        if kind is None or kind.gpu_quota is None or not kind.serverless:
            continue
        replicas = _max_replicas(item.resource.body)
        before = _app_profile(item.current, environments) if item.current else None
        counted = _max_replicas(item.current) if before is not None and before is app_profile else 0
        needs.append(GpuNeed(
            location_of(item, location), kind.gpu_quota, float(max(0, replicas - counted) * kind.gpus),
            float(kind.gpus), f"container app {item.name} on serverless GPU profile {app_profile.get('name') if app_profile else ''} "
                              f"({kind.name}: one GPU per replica x maxReplicas {replicas})",
            f"lower maxReplicas ({parameter_hint(evaluated, 'maxReplicas')})"))
    return needs


def quota_findings(needs: list[GpuNeed], usages: dict[str, list[Usage]], findings: Findings) -> None:
    """Each quota of each location against what the plan adds there."""
    totals: dict[tuple[str, str], list[GpuNeed]] = {}
    for need in needs:
        totals.setdefault((need.location, need.quota), []).append(need)
    for (location, quota), parts in totals.items():
        usage = next((u for u in usages.get(location, []) if u.name.lower() == quota.lower()), None)
        if usage is None:
            continue  # the location does not report this quota: nothing to compare with
        gpus, overlap = sum(p.gpus for p in parts), sum(p.overlap for p in parts)
        what = "; ".join(p.what for p in parts)
        figure = (f"'{GPU_QUOTA_NAMES.get(quota, quota)}' ({quota}) in {location}: {usage.free:g} free (limit "
                  f"{usage.limit:g}, used {usage.current:g})")
        link = f"request more at {QUOTA_PAGE} (provider Azure Container Apps)"
        if gpus > usage.free:
            findings.problems.append(
                f"GPU quota: {what} needs {gpus:g} GPU(s) of {figure}. Fix: {link}, or "
                f"{' or '.join(sorted({p.fix for p in parts}))}, or choose another location.")
        elif gpus + overlap > usage.free:
            findings.warnings.append(
                f"GPU quota: {what} fits in {figure}, but a zero-downtime release needs {gpus + overlap:g} (one more "
                f"replica beside the serving one): deploys will fall back to a restart. To allow the switch, {link}.")


def profile_findings(item: PlannedResource, profile: dict[str, Any], location: str, offered: list[str],
                     elsewhere: list[str] | None, evaluated: EvaluatedTemplate) -> str | None:
    kind = str(profile.get("workloadProfileType") or "")
    if not kind or kind.lower() in {o.lower() for o in offered}:
        return None
    shown = ", ".join(elsewhere[:12]) + (f" (and {len(elsewhere) - 12} more)" if len(elsewhere or []) > 12 else "") \
        if elsewhere else ""
    where = f"Locations that offer it: {shown}." if shown else "No location of this subscription offers it."
    return (f"Workload profile type {kind} (profile {profile.get('name')} of Container Apps environment {item.name}) "
            f"is not offered in {location}. {where} Fix: set {parameter_hint(evaluated, 'location')} (or the resource "
            f"group's location) to one of them, or choose another {parameter_hint(evaluated, 'workloadProfileType')}.")


def denied_actions(planned: list[PlannedResource], permissions: list[dict[str, Any]]) -> list[str]:
    actions = sorted({write_action(item.resource.type) for item in planned if item.changing})
    return [a for a in actions if not permits(permissions, a)]


def storage_finding(item: PlannedResource, answer: NameAvailability, evaluated: EvaluatedTemplate) -> str | None:
    if answer.available:
        return None
    given = next((n for n, v in evaluated.template.parameters.items() if v == item.name), None)
    where = (f"parameters.{given}.value in {INFERENCE_PARAMETERS}" if given else
             f"the bicep's default name; set {parameter_hint(evaluated, 'storageAccountName')}")
    return (f"Storage account name '{item.name}' ({where}) cannot be used: {answer.reason}: {answer.message} "
            "Storage account names are global across Azure. Fix: choose another name.")
