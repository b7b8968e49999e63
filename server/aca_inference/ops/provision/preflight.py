"""Before the first PUT: what Azure would refuse midway, asked in advance, all at once.

In parallel: the resource providers the plan writes to are registered (else ARM stops the deployment with
MissingSubscriptionRegistration: provision offers to register them, which the user confirms); each GPU
workload profile the plan adds is offered in its location (else the locations that offer it); the GPU quota
of the location covers the plan (a dedicated profile's nodes; a serverless GPU profile's replicas, plus the one
more a zero-downtime release starts beside the serving one); new storage account names are free; the caller may
write to the resource group. Each failure is one line naming what and the fix; any failure stops provision
(exit 2) with nothing created or changed. The decisions are in preflight_decisions.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from ...azure.arm_resources import error_code
from ...azure.errors import azure_error
from ...azure.subscription_checks import (
    WORKLOAD_PROFILE_CATALOG,
    Provider,
    SubscriptionReader,
    Usage,
    location_key,
)
from ...errors import Cancelled, InputError, UserFacingError
from ...workspace.template import EvaluatedTemplate
from ..reporter import Reporter
from .plan import PlannedResource
from .preflight_decisions import (
    STORAGE_ACCOUNT,
    Findings,
    added_profiles,
    denied_actions,
    gpu_needs,
    location_of,
    namespaces_written,
    profile_findings,
    quota_findings,
    storage_finding,
)
from .scope import Scope

REGISTER_POLL_SECONDS = 2.0
REGISTER_TIMEOUT_SECONDS = 600.0


class PreflightFailed(InputError):
    """Every problem the preflight found, one line each (exit 2: nothing was created or changed)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        head = ("Provision was stopped before any change: Azure would refuse it midway." if len(lines) == 1 else
                f"Provision was stopped before any change: {len(lines)} things Azure would refuse midway.")
        super().__init__("\n".join([head, *(f"  - {line}" for line in lines), "Nothing was created or changed."]))


# ---- asking Azure --------------------------------------------------------------------------------------------
@dataclass
class ProviderStates:
    """The providers of the bicep's resources, read before anything else: nothing is asked of a provider the
    subscription is not registered for until the user agrees to register it (the SDK's own pipeline would
    register it silently on the first refused request)."""

    providers: dict[str, Provider] = field(default_factory=dict)
    unregistered: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def blocks(self, namespace: str) -> bool:
        return namespace.lower() in {n.lower() for n in self.unregistered}


def _line(error: Exception, doing: str) -> str:
    message = str(error) if isinstance(error, UserFacingError) else str(azure_error(error, doing))
    return message.replace("\n  Fix:", " Fix:")


async def read_providers(evaluated: EvaluatedTemplate, session: Any, subscription_id: str) -> ProviderStates:
    reader = SubscriptionReader(session.resources(subscription_id), subscription_id)
    states = ProviderStates()
    namespaces = sorted({r.type.split("/", 1)[0] for r in evaluated.resources if r.deployed}, key=str.lower)

    async def one(namespace: str) -> None:
        try:
            states.providers[namespace] = provider = await reader.provider(namespace)
        except Exception as error:  # noqa: BLE001 - said as one line
            states.problems.append(_line(error, f"reading resource provider {namespace}"))
            return
        if not provider.registered:
            states.unregistered.append(provider.namespace)

    async with anyio.create_task_group() as group:
        for namespace in namespaces:
            group.start_soon(one, namespace)
    return states


class _Preflight:
    def __init__(self, evaluated: EvaluatedTemplate, planned: list[PlannedResource], scope: Scope,
                 reader: SubscriptionReader, providers: ProviderStates) -> None:
        self.evaluated, self.planned, self.scope, self.reader = evaluated, planned, scope, reader
        self.findings = Findings()
        self.providers = providers

    def _failed(self, error: Exception, doing: str) -> None:
        if error_code(error).lower() == "missingsubscriptionregistration":
            self.findings.deferred = True  # said once, by the registration line
            return
        self.findings.problems.append(_line(error, doing))

    def _blocked(self, namespace: str) -> bool:
        """The provider is not registered: its checks wait for the registration."""
        if self.providers.blocks(namespace):
            self.findings.deferred = True
            return True
        return False

    async def catalog_check(self) -> None:
        if self._blocked("Microsoft.App"):
            return
        added = [(item, profile) for item in self.planned for profile in added_profiles(item)
                 if str(profile.get("workloadProfileType", "")).lower() != "consumption"]
        if not added:
            return
        offered: dict[str, list[str]] = {}
        try:
            for location in sorted({location_of(item, self.scope.location) for item, _ in added}):
                offered[location] = await self.reader.workload_profile_types(location)
        except Exception as error:  # noqa: BLE001
            self._failed(error, "reading the workload profile types the location offers")
            return
        missing = [(i, p) for i, p in added if str(p.get("workloadProfileType", "")).lower()
                   not in {o.lower() for o in offered[location_of(i, self.scope.location)]}]
        if not missing:
            return
        elsewhere = await self._offering_locations({str(p.get("workloadProfileType")).lower() for _, p in missing})
        for item, profile in missing:
            line = profile_findings(item, profile, location_of(item, self.scope.location),
                                    offered[location_of(item, self.scope.location)],
                                    elsewhere.get(str(profile.get("workloadProfileType")).lower()), self.evaluated)
            if line:
                self.findings.problems.append(line)

    async def _offering_locations(self, kinds: set[str]) -> dict[str, list[str]]:
        """Which of Microsoft.App's locations offer each profile type (asked only when one is missing)."""
        try:
            provider = self.providers.providers.get("Microsoft.App") or await self.reader.provider("Microsoft.App")
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
        if self._blocked("Microsoft.App"):
            return
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
        if self._blocked("Microsoft.Storage"):
            return
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
            for check in (self.catalog_check, self.quota_check, self.storage_check, self.permission_check):
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
                        reporter: Reporter, providers: ProviderStates, *, preview: bool) -> list[str]:
    """Raise PreflightFailed with every problem; return the warnings. Registers missing providers only when
    nothing else is wrong, not in a preview, and once the user agrees."""
    reader = SubscriptionReader(session.resources(scope.subscription_id), scope.subscription_id)
    async with reporter.progress("Checking what Azure would refuse", cancellable=False) as progress:
        progress.report("Workload profiles, GPU quota, storage names, permissions")
        findings = await _Preflight(evaluated, planned, scope, reader, providers).run()
    written = {n.lower() for n in namespaces_written(planned)}
    unregistered = sorted(n for n in providers.unregistered if n.lower() in written)
    registration = [_unregistered_line(n, scope.subscription_id) for n in unregistered]
    problems = [*providers.problems, *findings.problems]
    if problems or (registration and preview):
        raise PreflightFailed([*registration, *problems])
    if registration:
        names = ", ".join(unregistered)
        try:
            agreed = await reporter.confirm(
                f"The subscription is not registered for {names} (ARM would refuse the deployment with "
                f"MissingSubscriptionRegistration). Register {names} now?", action="Register")
        except InputError:
            raise PreflightFailed(registration) from None
        if not agreed:
            raise Cancelled(f"Provision cancelled: {names} not registered; nothing was changed.")
        await _register(reader, unregistered, reporter)
        if findings.deferred:  # what waited for the registration, asked now
            findings = await _Preflight(evaluated, planned, scope, reader, ProviderStates()).run()
            if findings.problems:
                raise PreflightFailed([*findings.problems, f"(Registered {names}; nothing else was changed.)"])
    for warning in findings.warnings:
        reporter.log(warning, "warning")
    return findings.warnings
