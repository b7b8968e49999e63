"""Before the first PUT: what Azure would refuse midway, asked in advance, all at once.

In parallel: the resource providers the plan writes to are registered (else ARM stops the deployment with
MissingSubscriptionRegistration: provision offers to register them, which the user confirms); each GPU
workload profile the plan adds is offered in its location (else the locations that offer it); the GPU quota
of the location covers the plan (a dedicated profile's nodes; a serverless GPU profile's replicas, plus the one
more a zero-downtime release starts beside the serving one); new storage account names are free; the caller may
write to the resource group. Each failure is one line naming what and the fix; any failure stops provision
(exit 2) with nothing created or changed. The decisions are plain functions, tested without Azure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from azure_name_rules.permissions import permits, write_action
from azure_name_rules.workload_profiles import GPU_QUOTA_NAMES, QUOTA_PAGE, profile_type

from ...azure.arm_resources import property_at
from ...azure.errors import azure_error
from ...azure.subscription_checks import (
    WORKLOAD_PROFILE_CATALOG,
    NameAvailability,
    Provider,
    SubscriptionReader,
    Usage,
    location_key,
)
from ...errors import Cancelled, InputError, UserFacingError
from ...workspace.paths import INFERENCE_PARAMETERS
from ...workspace.template import EvaluatedTemplate
from ..reporter import Reporter
from .plan import PlannedResource
from .scope import Scope

REQUIRED_NAMESPACES = ("Microsoft.App", "Microsoft.Storage", "Microsoft.OperationalInsights")
REGISTER_POLL_SECONDS = 2.0
REGISTER_TIMEOUT_SECONDS = 600.0
ENVIRONMENT = "microsoft.app/managedenvironments"
APP = "microsoft.app/containerapps"
STORAGE_ACCOUNT = "microsoft.storage/storageaccounts"


class PreflightFailed(InputError):
    """Every problem the preflight found, one line each (exit 2: nothing was created or changed)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        head = ("Provision was stopped before any change: Azure would refuse it midway." if len(lines) == 1 else
                f"Provision was stopped before any change: {len(lines)} things Azure would refuse midway.")
        super().__init__("\n".join([head, *(f"  - {line}" for line in lines), "Nothing was created or changed."]))


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GpuNeed:
    """GPUs one part of the plan takes from a quota of a location."""

    location: str
    quota: str
    gpus: float  # what it needs to run at all
    overlap: float  # more for a zero-downtime release (serverless: one replica more)
    what: str  # "workload profile GPU (NC24-A100, maximumCount 2) of environment aienv..."
    fix: str  # which setting lowers it


# ---- the decisions ------------------------------------------------------------------------------------------
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


def _location(item: PlannedResource, fallback: str) -> str:
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
                _location(item, location), kind.gpu_quota, float(nodes * kind.gpus), 0.0,
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
            _location(item, location), kind.gpu_quota, float(max(0, replicas - counted) * kind.gpus),
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


# ---- asking Azure --------------------------------------------------------------------------------------------
class _Preflight:
    def __init__(self, evaluated: EvaluatedTemplate, planned: list[PlannedResource], scope: Scope,
                 reader: SubscriptionReader) -> None:
        self.evaluated, self.planned, self.scope, self.reader = evaluated, planned, scope, reader
        self.findings = Findings()
        self.providers: dict[str, Provider] = {}

    def _failed(self, error: Exception, doing: str) -> None:
        message = str(error) if isinstance(error, UserFacingError) else str(azure_error(error, doing))
        self.findings.problems.append(message.replace("\n  Fix:", " Fix:"))

    async def providers_check(self) -> None:
        async def one(namespace: str) -> None:
            try:
                self.providers[namespace] = provider = await self.reader.provider(namespace)
            except Exception as error:  # noqa: BLE001 - said as one line
                self._failed(error, f"reading resource provider {namespace}")
                return
            if not provider.registered:
                self.findings.unregistered.append(namespace)

        async with anyio.create_task_group() as group:
            for namespace in namespaces_written(self.planned):
                group.start_soon(one, namespace)

    async def catalog_check(self) -> None:
        added = [(item, profile) for item in self.planned for profile in added_profiles(item)
                 if str(profile.get("workloadProfileType", "")).lower() != "consumption"]
        if not added:
            return
        offered: dict[str, list[str]] = {}
        try:
            for location in sorted({_location(item, self.scope.location) for item, _ in added}):
                offered[location] = await self.reader.workload_profile_types(location)
        except Exception as error:  # noqa: BLE001
            self._failed(error, "reading the workload profile types the location offers")
            return
        missing = [(i, p) for i, p in added if str(p.get("workloadProfileType", "")).lower()
                   not in {o.lower() for o in offered[_location(i, self.scope.location)]}]
        if not missing:
            return
        elsewhere = await self._offering_locations({str(p.get("workloadProfileType")).lower() for _, p in missing})
        for item, profile in missing:
            line = profile_findings(item, profile, _location(item, self.scope.location),
                                    offered[_location(item, self.scope.location)],
                                    elsewhere.get(str(profile.get("workloadProfileType")).lower()), self.evaluated)
            if line:
                self.findings.problems.append(line)

    async def _offering_locations(self, kinds: set[str]) -> dict[str, list[str]]:
        """Which of Microsoft.App's locations offer each profile type (asked only when one is missing)."""
        try:
            provider = self.providers.get("Microsoft.App") or await self.reader.provider("Microsoft.App")
        except Exception:  # noqa: BLE001 - the list of alternatives is a courtesy
            return {}
        locations = sorted(set(provider.locations.get(WORKLOAD_PROFILE_CATALOG.lower(), [])))
        found: dict[str, list[str]] = {kind: [] for kind in kinds}
        limiter = anyio.CapacityLimiter(8)

        async def one(location: str) -> None:
            async with limiter:
                try:
                    types = {t.lower() for t in await self.reader.workload_profile_types(location)}
                except Exception:  # noqa: BLE001
                    return
            for kind in kinds & types:
                found[kind].append(location)

        async with anyio.create_task_group() as group:
            for location in locations:
                group.start_soon(one, location)
        return {kind: sorted(places) for kind, places in found.items()}

    async def quota_check(self) -> None:
        needs = gpu_needs(self.planned, self.evaluated, location_key(self.scope.location))
        usages: dict[str, list[Usage]] = {}
        try:
            for location in sorted({need.location for need in needs}):
                usages[location] = await self.reader.usages(location)
        except Exception as error:  # noqa: BLE001
            self._failed(error, "reading the GPU quota of the location (Microsoft.App usages)")
            return
        quota_findings(needs, usages, self.findings)

    async def storage_check(self) -> None:
        async def one(item: PlannedResource) -> None:
            try:
                answer = await self.reader.storage_name(item.name)
            except Exception as error:  # noqa: BLE001
                self._failed(error, f"checking the storage account name {item.name}")
                return
            if (line := storage_finding(item, answer, self.evaluated)) is not None:
                self.findings.problems.append(line)

        async with anyio.create_task_group() as group:
            for item in self.planned:
                if item.resource.type.lower() == STORAGE_ACCOUNT and item.action == "create":
                    group.start_soon(one, item)

    async def permission_check(self) -> None:
        if self.scope.created_group or not any(item.changing for item in self.planned):
            return  # a group provision creates: its creator owns it
        try:
            permissions = await self.reader.permissions(self.scope.resource_group)
        except Exception as error:  # noqa: BLE001
            self._failed(error, f"reading your permissions on resource group {self.scope.resource_group}")
            return
        denied = denied_actions(self.planned, permissions)
        if denied:
            self.findings.problems.append(
                f"You may not write to resource group {self.scope.resource_group}: your role assignments there do not "
                f"grant {', '.join(denied)}. Fix: ask an owner for the Contributor role on the resource group (or "
                "the subscription), or choose a resource group you may write to.")

    async def run(self) -> Findings:
        async with anyio.create_task_group() as group:
            for check in (self.providers_check, self.catalog_check, self.quota_check, self.storage_check,
                          self.permission_check):
                group.start_soon(check)
        return self.findings


def _unregistered_line(namespace: str, subscription: str) -> str:
    return (f"Resource provider {namespace} is not registered in subscription {subscription}: ARM would stop the "
            f"deployment with MissingSubscriptionRegistration. Fix: let provision register it (confirm, or --yes), "
            f"or run `az provider register --namespace {namespace}`.")


async def _register(reader: SubscriptionReader, namespaces: list[str], reporter: Reporter) -> None:
    """Register and wait until ARM says Registered (minutes on a new subscription)."""
    async def one(namespace: str) -> None:
        provider = await reader.register(namespace)
        deadline = anyio.current_time() + REGISTER_TIMEOUT_SECONDS
        while not provider.registered:
            if anyio.current_time() > deadline:
                raise InputError(f"Resource provider {namespace} is still {provider.state} after "
                                 f"{REGISTER_TIMEOUT_SECONDS:.0f}s; run provision again in a few minutes.")
            await anyio.sleep(REGISTER_POLL_SECONDS)
            provider = await reader.provider(namespace)
        reporter.log(f"Registered resource provider {namespace}.")

    try:
        async with anyio.create_task_group() as group:
            for namespace in namespaces:
                group.start_soon(one, namespace)
    except UserFacingError:
        raise
    except Exception as error:  # noqa: BLE001
        raise azure_error(error, f"registering resource provider(s) {', '.join(namespaces)}") from None


async def run_preflight(evaluated: EvaluatedTemplate, planned: list[PlannedResource], scope: Scope, session: Any,
                        reporter: Reporter, *, preview: bool) -> list[str]:
    """Raise PreflightFailed with every problem; return the warnings. Registers missing providers only when
    nothing else is wrong, not in a preview, and once the user agrees."""
    reader = SubscriptionReader(session.resources(scope.subscription_id), scope.subscription_id)
    async with reporter.progress("Checking what Azure would refuse", cancellable=False) as progress:
        progress.report("Providers, workload profiles, GPU quota, names, permissions")
        findings = await _Preflight(evaluated, planned, scope, reader).run()
    registration = [_unregistered_line(n, scope.subscription_id) for n in sorted(findings.unregistered)]
    if findings.problems or (registration and preview):
        raise PreflightFailed([*registration, *findings.problems])
    if registration:
        names = ", ".join(sorted(findings.unregistered))
        try:
            agreed = await reporter.confirm(
                f"The subscription is not registered for {names} (ARM would refuse the deployment with "
                f"MissingSubscriptionRegistration). Register {names} now?", action="Register")
        except InputError:
            raise PreflightFailed(registration) from None
        if not agreed:
            raise Cancelled(f"Provision cancelled: {names} not registered; nothing was changed.")
        await _register(reader, sorted(findings.unregistered), reporter)
    for warning in findings.warnings:
        reporter.log(warning, "warning")
    return findings.warnings
