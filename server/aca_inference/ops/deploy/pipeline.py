"""The one loop that runs a deploy's (or a rollback's) plan, and the steps every strategy shares: the adapter
reload when only the adapters changed, the wait until the app answers, and the cold-start record.

`Run` is what the steps share: the app, the strategy chosen once, where the deploy stands (the revision started,
the release, the outcome). A step reads and sets it; `done` ends the plan early (the adapters were reloaded)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from ...azure.container_apps import ContainerApp, ContainerAppGateway, Revision
from ...azure.share_store import ShareStore
from ...errors import Cancelled, OperationFailed
from ..context import OperationContext
from ..reporter import Progress, Reporter
from .crash_hint import placeholder_crash_hint
from .failure_logs import last_log_lines
from .model_reload import record_cold_start, reload_instead_of_restart
from .outcome import DeployOutcome
from .plan import UPLOADS, Step, StepName, Strategy, deploy_plan
from .readiness import NotReady, ReadinessCheck, wait_until_ready
from .revisions import release_run_by


@dataclass
class Run:
    context: OperationContext
    apps: ContainerAppGateway
    app: ContainerApp
    template: dict[str, Any]  # the container template a new revision gets
    endpoint: str
    api_key: str | None
    check: ReadinessCheck
    strategy: Strategy
    progress: Progress
    share: ShareStore | None = None
    wanted: dict[str, Any] | None = None  # what the workspace's bicep states (None: it does not describe the app)
    current: Revision | None = None  # the revision serving when the deploy started
    release: str | None = None
    revision: str = ""  # the revision started (or restarted)
    fresh: bool = False  # the same release starts again in a new revision (e.g. for a new base model)
    code_unchanged: bool = False
    outcome: DeployOutcome = field(default_factory=DeployOutcome)
    done: bool = False
    started: float = field(default_factory=time.monotonic)
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    ready_seconds: float = 0.0
    switch_seconds: float = 0.0
    after_upload: str = ""  # what a cancel right after the upload says was done
    state: dict[str, Any] = field(default_factory=dict)  # a strategy's own intermediate values (prepared release)

    @property
    def reporter(self) -> Reporter:
        return self.context.reporter

    @property
    def store(self) -> ShareStore:
        """The share, for the steps that read or write it (a run made for the rollout steps alone has none)."""
        if self.share is None:
            raise RuntimeError("this deploy step needs the share, and the run was made without one")
        return self.share


StepHandler = Callable[[Run, Step], Awaitable[None]]


async def run_plan(run: Run, plan: list[Step], handlers: Mapping[StepName, StepHandler]) -> None:
    """Each step in order until the plan ends or a step says the deploy is done. A cancel is seen where it changes
    nothing: right after an upload (the steps that wait - readiness - see it themselves)."""
    previous: Step | None = None
    for step in plan:
        if run.done:
            return
        if previous is not None and previous.name in UPLOADS and run.progress.cancelled:
            raise Cancelled(f"Deploy cancelled after {run.after_upload}.")
        await handlers[step.name](run, step)
        previous = step


async def run_deploy(run: Run, handlers: Mapping[StepName, StepHandler]) -> DeployOutcome:
    """The deploy plan of the run's strategy, run with that strategy's steps; the outcome says what serves now."""
    await run_plan(run, deploy_plan(run.strategy), handlers)
    outcome = run.outcome
    if outcome.action == "reloaded":
        return outcome
    outcome.revision, outcome.ready_seconds = run.revision, run.ready_seconds
    if run.strategy.kind == "release":
        outcome.action, outcome.release, outcome.zero_downtime = "released", run.release, run.strategy.zero_downtime
        outcome.previous_release = release_run_by(run.current) if run.current else None
        outcome.switch_seconds = run.switch_seconds
    return outcome


# -- the shared steps --------------------------------------------------------------------------------------------

async def reload_adapters(run: Run, step: Step) -> None:
    """Code unchanged and only the adapters changed on the share: the running app reloads them (seconds) instead of
    a restart (minutes on a GPU). Ends the plan when it did."""
    if not run.code_unchanged:
        return
    run.progress.report("Code unchanged: reloading the adapters", step.percentage)
    reloaded = await reload_instead_of_restart(run.store, run.endpoint, run.api_key, run.reporter)
    if reloaded is None:
        return
    if run.strategy.kind == "release" and run.current is not None:
        # A revision an interrupted deploy left active at 0 % is not needed: this code already serves.
        await deactivate_others(run.apps, keep=run.current.name, reporter=run.reporter)
        run.outcome.revision = run.current.name
    else:
        run.outcome.revision = str(run.app.latest_revision)
    run.outcome.action, run.outcome.ready_seconds = "reloaded", reloaded.seconds
    run.done = True


async def wait_ready(run: Run, step: Step) -> None:
    """Until the app answers as a user request would: on the new revision's own URL beside the serving one (zero
    downtime), else on the endpoint. A failure shows the app's last log lines and what still serves."""
    answer_at = await _revision_url(run.apps, run.revision) if run.strategy.zero_downtime else run.endpoint
    what = f"release {run.release}" if run.strategy.kind == "release" else ""
    run.progress.report(f"Waiting for {what + ' to answer on ' if what else ''}{answer_at}", step.percentage)
    try:
        ready = await wait_until_ready(run.apps, run.revision, endpoint=answer_at, api_key=run.api_key,
                                       check=run.check, since=run.since, timeout=run.context.readiness_timeout,
                                       progress=run.progress)
    except NotReady as failure:
        raise await _failed(run, failure) from None
    except Cancelled:
        current = run.current
        if not run.strategy.zero_downtime or current is None or current.name == run.revision:
            raise
        with anyio.CancelScope(shield=True):
            await stop_quietly(run.apps, run.revision)
        raise Cancelled(f"Deploy cancelled before the traffic moved: revision {run.revision} (release {run.release}) "
                        f"was deactivated; the endpoint still serves release {release_named(current)}.") from None
    # A release counts from the rollout's start; a restart from the wait's (as ACA counts a restart).
    run.ready_seconds = time.monotonic() - run.started if run.strategy.kind == "release" else ready.seconds


async def cold_start(run: Run, step: Step) -> None:
    if run.api_key:
        await record_cold_start(run.store, run.endpoint, run.reporter)


# -- what the steps share ----------------------------------------------------------------------------------------

def release_named(revision: Revision) -> str:
    """The release a revision runs, as the messages name it (a revision of an app before releases: in place)."""
    return release_run_by(revision) or "(in place)"


async def stop_quietly(apps: ContainerAppGateway, revision: str) -> str | None:
    """Deactivate a revision that never got traffic; returns why it could not be (the message still says what
    serves), or None."""
    try:
        await apps.deactivate(revision)
    except Exception as error:  # noqa: BLE001
        return type(error).__name__
    return None


async def _failed(run: Run, failure: NotReady) -> OperationFailed:
    reporter = run.reporter
    lines = await last_log_lines(run.apps, failure.revision, tail=40)
    for line in lines:
        reporter.log(f"  | {line}", "error")
    hint = placeholder_crash_hint(run.context.root, lines)
    hint_text = f"\n  {hint}" if hint else ""
    if run.strategy.kind == "in_place":
        return OperationFailed((f"{failure}\n  The app's last log lines are in the output above." if lines
                                else str(failure)) + hint_text)
    trouble = await stop_quietly(run.apps, failure.revision)
    stopped = (f" Revision {failure.revision} could not be deactivated ({trouble}); it has no traffic." if trouble
               else f" Revision {failure.revision} was deactivated.")
    current = run.current if run.strategy.zero_downtime else None
    still = (f" The endpoint still serves release {release_named(current)} (revision {current.name}): "
             "the traffic never moved." if current else " Nothing served before this deploy.")
    logs = "\n  The new revision's last log lines are in the output above." if lines else ""
    return OperationFailed(f"{failure}{stopped}{still}{logs}{hint_text}")


async def _revision_url(apps: ContainerAppGateway, revision: str) -> str:
    """The revision's own URL: what a request sent to it alone reaches (ACA: <app>--<suffix>.<domain>)."""
    for _ in range(20):
        found = next((r for r in await apps.list_revisions() if r.name.lower() == revision.lower()), None)
        if found is not None and found.url:
            return found.url
        await anyio.sleep(0.5)
    raise OperationFailed(f"Revision {revision} has no URL of its own: the app needs ingress enabled.")


async def deactivate_others(apps: ContainerAppGateway, *, keep: str, reporter: Any) -> None:
    """Every other active revision (the previous release, and any left at 0 % by an interrupted deploy)."""
    for revision in await apps.list_revisions():
        if revision.active and revision.name.lower() != keep.lower():
            try:
                await apps.deactivate(revision.name)
                reporter.log(f"Revision {revision.name} (release {release_run_by(revision) or 'in place'}) "
                             "deactivated.")
            except Exception as error:  # noqa: BLE001 - the next deploy tries again; it has no traffic
                reporter.log(f"Revision {revision.name} could not be deactivated ({type(error).__name__}); it has no "
                             "traffic and the next deploy tries again.", "warning")

