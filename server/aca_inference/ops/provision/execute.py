"""Run a plan in dependency order, independent branches in parallel:
{Log Analytics -> environment} || {storage account -> share}, then environment storage, then the app.

Cancel: nothing new is launched; what is in flight finishes (ARM would finish it anyway). A failed step
stops its own branch only; the other branch completes, so a re-run has less to do and converges.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import anyio

from ...azure.endpoints import portal_link
from ...azure.errors import azure_error
from ...errors import UserFacingError
from ..reporter import Progress, Reporter
from .resources import Resource

_VERBS = {"create": ("Creating", "Created"), "update": ("Updating", "Updated")}


class PlanRunner:
    def __init__(self, reporter: Reporter, progress: Progress, total: int) -> None:
        self.reporter = reporter
        self.progress = progress
        self.total = max(total, 1)
        self.completed = 0
        self.errors: list[UserFacingError] = []

    async def _step(self, resource: Resource) -> bool:
        change = resource.change
        if change.action == "reuse":
            change.status = "done"
            return True
        if self.progress.cancelled or self.errors:
            change.status = "skipped"
            return False
        doing, done = _VERBS[change.action]
        self.progress.report(f"{doing} {change.label} {change.name}", int(100 * self.completed / self.total))
        started = time.monotonic()
        try:
            await resource.apply()
        except UserFacingError as error:
            change.status = "failed"
            self.errors.append(error)
            return False
        except Exception as error:  # noqa: BLE001 - Azure's refusal becomes a message with the fix
            change.status = "failed"
            self.errors.append(azure_error(error, f"{doing.lower()} {change.label} {change.name}"))
            return False
        change.status = "done"
        self.completed += 1
        self.reporter.log(f"{done} {change.label} {change.name} in {time.monotonic() - started:.1f}s: "
                          f"{change.resource_id}\n  {portal_link(change.resource_id)}")
        self.progress.report(f"{done} {change.label} {change.name}", int(100 * self.completed / self.total))
        return True

    async def _chain(self, resources: Sequence[Resource]) -> None:
        for resource in resources:
            if not await self._step(resource):
                for rest in resources[resources.index(resource) + 1:]:
                    rest.change.status = "skipped" if rest.change.action != "reuse" else "done"
                return

    async def run(self, branches: Sequence[Sequence[Resource]], then: Sequence[Resource]) -> None:
        async with anyio.create_task_group() as group:
            for branch in branches:
                group.start_soon(self._chain, branch)
        await self._chain(then)
