"""Bringing a release to the endpoint.

Zero downtime (the app runs the release launcher, revision mode Multiple, room for a second replica): the release
starts as a new revision beside the serving one with 0 % of the traffic; once its own revision URL answers as a
user request would, all traffic moves to it in one ARM call; after a drain the previous revision is deactivated.
If the new revision fails, the traffic never moves: it is deactivated, and the endpoint still serves the release
it served.

Otherwise (one revision at a time, or one GPU node): the release replaces the serving revision the way a restart
does - the endpoint is down until the new one answers - and deploy says why, and how to allow the switch.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio

from azure_name_rules.workload_profiles import PROFILE_TYPES

from ...azure.container_apps import ContainerApp, ContainerAppGateway, Revision, TrafficWeight
from ...azure.errors import azure_error
from ...sync.releases.layout import revision_suffix
from ...workspace.paths import INFERENCE_BICEP
from ..provision.costs import gpu_cost, is_serverless_gpu
from .pipeline import Run, StepHandler, deactivate_others, run_plan, wait_ready
from .plan import Step, StepName, Strategy, rollout_plan
from .revisions import create_release_revision, release_run_by, runs_launcher, serving


@dataclass(frozen=True)
class RolloutChoice:
    zero_downtime: bool
    why_not: str = ""  # what keeps it from zero downtime, and the fix


@dataclass(frozen=True)
class RolloutResult:
    revision: str
    release: str
    previous_release: str | None
    previous_revision: str | None
    ready_seconds: float  # from the rollout's start until the new revision answered
    switch_seconds: float  # from the rollout's start until the traffic was on the new revision
    zero_downtime: bool


async def choose_strategy(apps: ContainerAppGateway, app: ContainerApp, template: dict[str, Any]) -> Strategy:
    """Once per deploy: a release (zero downtime where two revisions fit, else a restart) for an app that starts
    through the release launcher, else in place. `template` is what a new revision gets."""
    if not runs_launcher(template):
        return Strategy("in_place")
    current = serving(await apps.list_revisions())
    choice = await choose_rollout(apps, dataclasses.replace(app, template=template), current, str(INFERENCE_BICEP))
    return release_strategy(choice, app)


def release_strategy(choice: RolloutChoice, app: ContainerApp) -> Strategy:
    """The release strategy for the app as it is (its revision mode) and what the choice allows."""
    return Strategy("release", zero_downtime=choice.zero_downtime,
                    one_revision=app.revisions_mode.lower() == "single", why_not=choice.why_not)


async def choose_rollout(apps: ContainerAppGateway, app: ContainerApp, current: Revision | None,
                         template_file: str, *, serverless_gpu_quota: int | None = None) -> RolloutChoice:
    """Zero downtime, or what keeps the rollout from it. `app.template` is the template the new revision gets
    (the app's with the bicep's changes), `current` the revision serving now (None: nothing to keep serving).
    `serverless_gpu_quota`: how many GPUs of its serverless profile's kind this app may hold at once (the region's
    quota less what other apps hold; None: not known, the overlap is tried)."""
    template = app.template
    if not runs_launcher(template):
        return RolloutChoice(False, "the app's command does not start through the release launcher "
                                    "(/mount/.aca-inference/launch.py), so every revision runs the code in place")
    if app.revisions_mode.lower() != "multiple":
        return RolloutChoice(False, f"the app runs one revision at a time (activeRevisionsMode "
                                    f"'{app.revisions_mode}'). "
                                    f"Set activeRevisionsMode: 'Multiple' in {template_file} and provision, so a "
                                    "new release starts beside the serving one")
    profile = await apps.workload_profile(app) if current is not None else None
    # The overlap: the serving revision at up to maxReplicas, plus the new one's first replica(s).
    scale = template.get("scale") or {}
    needed = max(int(scale.get("maxReplicas") or 1), 1) + max(int(scale.get("minReplicas") or 0), 1)
    if profile is not None and profile.dedicated:
        name, kind, nodes = profile.name, profile.type, profile.maximum_count
        if needed > nodes:
            cost = gpu_cost(name, kind, 0, 1, 1)
            price = f" (about ${cost.per_hour:.2f} per node-hour)" if cost.per_hour else ""
            return RolloutChoice(False, f"the workload profile '{name}' allows {nodes} node(s) (maximumCount) and a "
                                        f"new release beside the serving one needs {needed}. Set "
                                        f"maximumInstanceCount to {needed} and provision: the extra node runs only "
                                        f"while both releases do, a few minutes per deploy{price}")
    elif profile is not None and is_serverless_gpu(profile.type) and current is not None \
            and serverless_gpu_quota is None:
        serverless_gpu_quota = await _serverless_gpus_for(apps, app, profile.type)
    if profile is not None and not profile.dedicated and is_serverless_gpu(profile.type) \
            and serverless_gpu_quota is not None and needed > serverless_gpu_quota:
        # Serverless: no node limit, one GPU per replica; the overlap is one more GPU of the subscription's quota.
        cost = gpu_cost(profile.name, profile.type, 0, 1, 1)
        price = f" (about ${cost.per_hour:.2f} per GPU-hour)" if cost.per_hour else ""
        quota = "T4" if "t4" in profile.type.lower() else "NCA100"
        return RolloutChoice(False, f"the app runs on serverless GPUs ('{profile.name}', {profile.type}: one GPU per "
                                    f"replica) and a new release beside the serving one needs {needed} GPUs at once; "
                                    f"the subscription's quota leaves this app {serverless_gpu_quota} in the region. "
                                    f"Request 'Managed Environment Consumption {quota} Gpus' quota of at least "
                                    f"{needed} (https://learn.microsoft.com/azure/container-apps/quota-requests), or "
                                    "lower maxReplicas: the extra GPU runs only while both releases do, a few minutes "
                                    f"per deploy{price}")
    return RolloutChoice(True)


async def _free_suffix(revisions: list[Revision], app_name: str, release: str) -> str:
    taken = {r.name.lower() for r in revisions}
    attempt = 0
    while f"{app_name}--{revision_suffix(release, attempt)}".lower() in taken:
        attempt += 1
    return revision_suffix(release, attempt)


async def roll_out(run: Run, release: str) -> RolloutResult:
    """Runs `release` as the app's serving revision, as the run's strategy says: an existing revision of it is
    activated again (rollback), else a new one is made; `run.fresh`: always a new one (the same code must start
    again, e.g. for a new base model)."""
    run.release = release
    await run_plan(run, rollout_plan(run.strategy), ROLLOUT_STEPS)
    return rollout_result(run)


def rollout_result(run: Run) -> RolloutResult:
    current, release = run.current, str(run.release)
    if run.state.get("already_serving"):
        return RolloutResult(run.revision, release, release, run.revision, 0.0, 0.0, run.strategy.zero_downtime)
    return RolloutResult(run.revision, release, release_run_by(current) if current else None,
                         current.name if current else None, run.ready_seconds, run.switch_seconds,
                         run.strategy.zero_downtime)


async def start(run: Run, step: Step) -> None:
    """The release's revision: the one serving it already (nothing to do), an inactive one activated again, or a
    new one - at 0 % beside the serving one (zero downtime), else taking over from it."""
    reporter, apps, release = run.reporter, run.apps, str(run.release)
    run.started, run.since = time.monotonic(), datetime.now(UTC)
    revisions = await apps.list_revisions()
    run.current = current = serving(revisions)
    zero_downtime = run.strategy.zero_downtime
    # One revision at a time: ACA itself replaces the revision (no activation, no traffic split to set).
    existing = None if run.strategy.one_revision or run.fresh else next(
        (r for r in reversed(revisions) if release_run_by(r) == release), None)
    try:
        if existing is not None and existing.active and current is not None and existing.name == current.name:
            run.revision, run.state["already_serving"], run.done = existing.name, True, True
            return
        if not zero_downtime and current is not None:
            # No room for both: the serving revision makes way first (the endpoint is down until the new answers).
            run.progress.report(f"Stopping revision {current.name} to make room", step.percentage)
        else:
            run.progress.report(f"Starting release {release}", step.percentage)
        if existing is not None and not existing.active:
            await apps.activate(existing.name)
            run.revision = existing.name
            reporter.log(f"Revision {existing.name} (release {release}) activated again.")
        elif existing is not None:
            run.revision = existing.name
        else:
            suffix = await _free_suffix(revisions, apps.ref.name, release)
            pinned = current.name if current and zero_downtime else None
            run.revision = await create_release_revision(apps, run.app, run.template, release, suffix,
                                                         pinned_to=pinned)
            reporter.log(f"Revision {run.revision} created for release {release}" +
                         (f", with 0 % of the traffic beside {current.name}" if pinned and current else ""))
    except Exception as error:
        raise azure_error(error, f"starting release {release} on container app {apps.ref.name}") from None


async def stop_others(run: Run, step: Step) -> None:
    try:
        await deactivate_others(run.apps, keep=run.revision, reporter=run.reporter)
    except Exception as error:
        raise azure_error(error, f"starting release {run.release} on container app {run.apps.ref.name}") from None


async def move_traffic(run: Run, step: Step) -> None:
    name, current = run.revision, run.current
    try:
        if not run.strategy.one_revision:
            await run.apps.set_traffic([TrafficWeight(name)])
    except Exception as error:
        raise azure_error(error, f"moving the traffic of container app {run.apps.ref.name} to revision "
                                 f"{name}") from None
    run.switch_seconds = time.monotonic() - run.started
    run.reporter.log(f"Traffic: 100 % to revision {name} (release {run.release}), {run.switch_seconds:.1f}s after "
                     "the start" + (f"; revision {current.name} drains for {run.context.drain_seconds:.0f}s, then is "
                                    "deactivated." if current and current.name != name and run.strategy.zero_downtime
                                    else "."))


async def drain(run: Run, step: Step) -> None:
    run.progress.report("Draining the previous revision", step.percentage)
    await anyio.sleep(run.context.drain_seconds)
    await deactivate_others(run.apps, keep=run.revision, reporter=run.reporter)


ROLLOUT_STEPS: dict[StepName, StepHandler] = {"start": start, "stop_others": stop_others, "wait_ready": wait_ready,
                                              "move_traffic": move_traffic, "drain": drain}


async def _serverless_gpus_for(apps: ContainerAppGateway, app: ContainerApp, kind: str) -> int | None:
    """How many serverless GPUs this app may hold at once: the quota Microsoft.App's usages leave free in its
    region plus those its own running replicas hold now (one GPU each). None when Azure does not say."""
    profile_type = PROFILE_TYPES.get(kind.lower())
    if profile_type is None or profile_type.gpu_quota is None:
        return None
    free = await apps.gpu_quota_free(app.location, profile_type.gpu_quota)
    if free is None:
        return None
    held = sum(r.replicas for r in await apps.list_revisions() if r.active)
    return free + held * profile_type.gpus
