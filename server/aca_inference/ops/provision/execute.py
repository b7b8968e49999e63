"""Apply a plan along the template's dependency graph: each resource starts as soon as the ones it needs are
done, independent branches run in parallel.

Before each PUT the resource's body is evaluated again with what Azure now reports for its dependencies
(`x.properties.customerId`, `x.listKeys()`), as ARM does in a deployment. Cancel: nothing new starts; what
is in flight finishes (ARM would finish it anyway). A failure stops what depends on it; independent branches
complete, so a re-run has less to do and converges.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from ...azure.arm_resources import ArmResources, property_at
from ...azure.endpoints import portal_link
from ...azure.errors import azure_error
from ...errors import OperationFailed, UserFacingError
from ...workspace.bicep import UNKNOWN, Evaluator, ResourceHandle, Secret, contains_unknown, reveal
from ...workspace.template import EvaluatedTemplate
from ..reporter import Progress, Reporter
from .plan import PlannedResource, _gpu_profile_change

_VERBS = {"create": ("Creating", "Created"), "update": ("Updating", "Updated"),
          "add-profile": ("Adding the GPU workload profile to", "Added the GPU workload profile to")}


class DeployedState:
    """The Runtime for evaluation during deployment: resource states and list-function results, fetched once
    and refreshed when a resource is (re)deployed. Misses are remembered so the caller can fetch them."""

    def __init__(self, arm: ArmResources) -> None:
        self.arm = arm
        self.states: dict[str, dict[str, Any]] = {}
        self.results: dict[tuple[str, str], Any] = {}
        self.missing: set[tuple[str, str]] = set()
        self.handles: dict[str, ResourceHandle] = {}

    def reference(self, resource: ResourceHandle) -> Any:
        self.handles[resource.symbol] = resource
        if resource.symbol in self.states:
            return self.states[resource.symbol]
        self.missing.add((resource.symbol, ""))
        return UNKNOWN

    def invoke(self, resource: ResourceHandle, function: str) -> Any:
        self.handles[resource.symbol] = resource
        if (resource.symbol, function) in self.results:
            return self.results[(resource.symbol, function)]
        self.missing.add((resource.symbol, function))
        return UNKNOWN

    async def fetch_missing(self) -> None:
        for symbol, function in sorted(self.missing):
            handle = self.handles[symbol]
            if function:
                self.results[(symbol, function)] = await self.arm.post(handle.id, function, handle.api_version)
            else:
                state = await self.arm.get(handle.id, handle.api_version)
                if state is not None:
                    self.states[symbol] = state
        self.missing.clear()


class PlanRunner:
    def __init__(self, evaluated: EvaluatedTemplate, arm: ArmResources, reporter: Reporter, progress: Progress,
                 planned: list[PlannedResource]) -> None:
        self.evaluated = evaluated
        self.arm = arm
        self.reporter = reporter
        self.progress = progress
        self.planned = planned
        self.runtime = DeployedState(arm)
        for item in planned:
            if item.current is not None:
                self.runtime.states[item.resource.symbol] = item.current
        self.total = max(1, sum(1 for p in planned if p.changing))
        self.completed = 0
        self.errors: list[UserFacingError] = []

    def _body(self, item: PlannedResource) -> dict[str, Any]:
        """The resource's body with everything its dependencies now report."""
        evaluator = Evaluator(self.evaluated.template.file, self.evaluated.deployment, self.evaluated.parameters,
                              self.runtime)
        body = evaluator.resource(item.resource.symbol).body
        if not contains_unknown(body):
            return body
        if self.runtime.missing:
            raise _NeedsFetch()
        raise OperationFailed(f"The {item.label} {item.name} needs values Azure did not report (a dependency's "
                              "properties or keys); check its dependsOn in the bicep.")

    async def _evaluated_body(self, item: PlannedResource) -> dict[str, Any]:
        for _ in range(3):
            try:
                return self._body(item)
            except _NeedsFetch:
                await self.runtime.fetch_missing()
        return self._body(item)

    async def _keep_generated_secrets(self, item: PlannedResource, body: dict[str, Any]) -> dict[str, Any]:
        """A secret the bicep makes up (newGuid()) keeps the value the app already has, so a re-provision never
        rotates the user's API key."""
        secrets = property_at(body, "configuration", "secrets")
        if item.current is None or not isinstance(secrets, list):
            return body
        if not any(isinstance(s, dict) and isinstance(s.get("value"), Secret) and s["value"].generated
                   for s in secrets):
            return body
        listed = await self.arm.post(item.resource.handle.id, "listSecrets", item.resource.api_version)
        existing = {s.get("name"): s.get("value") for s in listed.get("value", []) if "value" in s}
        for secret in secrets:
            value = secret.get("value") if isinstance(secret, dict) else None
            if isinstance(value, Secret) and value.generated and secret.get("name") in existing:
                secret["value"] = Secret(existing[secret["name"]])
        return body

    async def _apply(self, item: PlannedResource) -> None:
        handle = item.resource.handle
        if item.action == "add-profile":
            # Only the profile list is sent (PATCH): nothing else of the shared environment changes.
            profiles = _gpu_profile_change(item) or []
            state = await self.arm.patch(handle.id, handle.api_version, {"properties": {"workloadProfiles":
                                                                                       profiles}})
        else:
            body = await self._keep_generated_secrets(item, await self._evaluated_body(item))
            body = _keep_release(item, body)
            state = await self.arm.put(handle.id, handle.api_version, reveal(body))
        self.runtime.states[item.resource.symbol] = state
        for key in [k for k in self.runtime.results if k[0] == item.resource.symbol]:
            del self.runtime.results[key]  # keys may change with the resource
        item.current = state

    async def _step(self, item: PlannedResource, events: dict[str, anyio.Event]) -> None:
        try:
            for dependency in item.resource.depends_on:
                if dependency in events:
                    await events[dependency].wait()
            failed = [p for p in self.planned if p.resource.symbol in item.resource.depends_on
                      and p.status in ("failed", "skipped")]
            if not item.changing:
                item.status = "skipped" if failed and item.action != "skip" else "done"
                return
            if failed or self.progress.cancelled:
                item.status = "skipped"
                return
            doing, done = _VERBS[item.action]
            self.progress.report(f"{doing} {item.label} {item.name}", int(100 * self.completed / self.total))
            started = time.monotonic()
            try:
                await self._apply(item)
            except UserFacingError as error:
                item.status = "failed"
                self.errors.append(error)
                return
            except Exception as error:  # noqa: BLE001 - Azure's refusal becomes a message with the fix
                item.status = "failed"
                self.errors.append(azure_error(error, f"{doing.lower()} {item.label} {item.name}"))
                return
            item.status = "done"
            self.completed += 1
            self.reporter.log(f"{done} {item.label} {item.name} in {time.monotonic() - started:.1f}s: "
                              f"{item.resource.handle.id}\n  {portal_link(item.resource.handle.id)}")
            self.progress.report(f"{done} {item.label} {item.name}", int(100 * self.completed / self.total))
        finally:
            events[item.resource.symbol].set()

    async def run(self) -> None:
        events = {p.resource.symbol: anyio.Event() for p in self.planned}
        async with anyio.create_task_group() as group:
            for item in self.planned:
                group.start_soon(self._step, item, events)

    async def outputs(self) -> dict[str, Any]:
        """The bicep's outputs, evaluated against what now exists."""
        for _ in range(4):
            evaluator = Evaluator(self.evaluated.template.file, self.evaluated.deployment, self.evaluated.parameters,
                                  self.runtime)
            values = evaluator.outputs()
            if not self.runtime.missing:
                return values
            await self.runtime.fetch_missing()
        return values


class _NeedsFetch(Exception):
    pass


def _keep_release(item: PlannedResource, body: dict[str, Any]) -> dict[str, Any]:
    """A container app that runs a release keeps running it when provision updates its template (otherwise the
    new revision would start without code)."""
    from ..deploy.revisions import release_of, with_release

    release = release_of(property_at(item.current, "template"))
    template = property_at(body, "template")
    if release is None or not isinstance(template, dict) or release_of(template) is not None:
        return body
    return {**body, "properties": {**body["properties"], "template": with_release(template, release)}}
