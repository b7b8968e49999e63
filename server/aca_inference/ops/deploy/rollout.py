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

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio

from ...azure.container_apps import ContainerApp, ContainerAppGateway, Revision, TrafficWeight
from ...azure.errors import azure_error
from ...errors import Cancelled, OperationFailed
from ...sync.releases.layout import revision_suffix
from ..context import OperationContext
from ..provision.costs import gpu_cost
from ..reporter import Progress
from .crash_hint import placeholder_crash_hint
from .failure_logs import last_log_lines
from .readiness import NotReady, ReadinessCheck, wait_until_ready
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


def _release_named(revision: Revision) -> str:
    """The release a revision runs, as the messages name it (a revision of an app before releases: in place)."""
    return release_run_by(revision) or "(in place)"


async def choose_rollout(apps: ContainerAppGateway, app: ContainerApp, current: Revision | None,
                         template_file: str) -> RolloutChoice:
    """Zero downtime, or what keeps the rollout from it. `app.template` is the template the new revision gets
    (the app's with the bicep's changes), `current` the revision serving now (None: nothing to keep serving)."""
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
    if profile is not None and profile.dedicated:
        name, kind, nodes = profile.name, profile.type, profile.maximum_count
        scale = template.get("scale") or {}
        needed = max(int(scale.get("maxReplicas") or 1), 1) + max(int(scale.get("minReplicas") or 0), 1)
        if needed > nodes:
            cost = gpu_cost(name, kind, 0, 1, 1)
            price = f" (about ${cost.per_node_hour:.2f} per node-hour)" if cost.per_node_hour else ""
            return RolloutChoice(False, f"the workload profile '{name}' allows {nodes} node(s) (maximumCount) and a "
                                        f"new release beside the serving one needs {needed}. Set "
                                        f"maximumInstanceCount to {needed} and provision: the extra node runs only "
                                        f"while both releases do, a few minutes per deploy{price}")
    return RolloutChoice(True)


async def _failed(context: OperationContext, apps: ContainerAppGateway, failure: NotReady,
                  current: Revision | None) -> OperationFailed:
    reporter = context.reporter
    lines = await last_log_lines(apps, failure.revision, tail=40)
    for line in lines:
        reporter.log(f"  | {line}", "error")
    trouble = await _stop_quietly(apps, failure.revision)
    stopped = (f" Revision {failure.revision} could not be deactivated ({trouble}); it has no traffic." if trouble
               else f" Revision {failure.revision} was deactivated.")
    still = (f" The endpoint still serves release {_release_named(current)} (revision {current.name}): "
             "the traffic never moved." if current else " Nothing served before this deploy.")
    logs = "\n  The new revision's last log lines are in the output above." if lines else ""
    hint = placeholder_crash_hint(context.root, lines)
    return OperationFailed(f"{failure}{stopped}{still}{logs}" + (f"\n  {hint}" if hint else ""))


async def _stop_quietly(apps: ContainerAppGateway, revision: str) -> str | None:
    """Deactivate a revision that never got traffic; returns why it could not be (the message still says what
    serves), or None."""
    try:
        await apps.deactivate(revision)
    except Exception as error:  # noqa: BLE001
        return type(error).__name__
    return None


async def _free_suffix(revisions: list[Revision], app_name: str, release: str) -> str:
    taken = {r.name.lower() for r in revisions}
    attempt = 0
    while f"{app_name}--{revision_suffix(release, attempt)}".lower() in taken:
        attempt += 1
    return revision_suffix(release, attempt)


async def roll_out(context: OperationContext, apps: ContainerAppGateway, app: ContainerApp,
                   template: dict[str, Any], release: str, *, check: ReadinessCheck, api_key: str | None,
                   endpoint: str, progress: Progress, zero_downtime: bool, fresh: bool = False) -> RolloutResult:
    """Runs `release` as the app's serving revision: an existing revision of it is activated again (rollback),
    else a new one is made; `fresh`: always a new one (the same code must start again, e.g. for a new base
    model)."""
    reporter = context.reporter
    started = time.monotonic()
    since = datetime.now(UTC)
    ref = apps.ref
    revisions = await apps.list_revisions()
    current = serving(revisions)
    # One revision at a time: ACA itself replaces the revision (no activation, no traffic split to set).
    single = app.revisions_mode.lower() == "single"
    existing = None if single or fresh else next((r for r in reversed(revisions) if release_run_by(r) == release),
                                                 None)
    try:
        if existing is not None and existing.active and current is not None and existing.name == current.name:
            return RolloutResult(existing.name, release, release, existing.name, 0.0, 0.0, zero_downtime)
        if not zero_downtime and current is not None:
            # No room for both: the serving revision makes way first (the endpoint is down until the new answers).
            progress.report(f"Stopping revision {current.name} to make room", 58)
        if existing is not None and not existing.active:
            await apps.activate(existing.name)
            name = existing.name
            reporter.log(f"Revision {name} (release {release}) activated again.")
        elif existing is not None:
            name = existing.name
        else:
            suffix = await _free_suffix(revisions, ref.name, release)
            name = await create_release_revision(apps, app, template, release, suffix,
                                                 pinned_to=current.name if current and zero_downtime else None)
            reporter.log(f"Revision {name} created for release {release}" +
                         (f", with 0 % of the traffic beside {current.name}" if current and zero_downtime else ""))
        if not zero_downtime and not single:
            await deactivate_others(apps, keep=name, reporter=reporter)
    except Exception as error:
        raise azure_error(error, f"starting release {release} on container app {ref.name}") from None

    answer_at = await _revision_url(apps, name) if zero_downtime else endpoint
    progress.report(f"Waiting for release {release} to answer on {answer_at}", 70)
    try:
        await wait_until_ready(apps, name, endpoint=answer_at, api_key=api_key, check=check, since=since,
                               timeout=context.readiness_timeout, progress=progress)
    except NotReady as failure:
        raise await _failed(context, apps, failure, current if zero_downtime else None) from None
    except Cancelled:
        if not zero_downtime or current is None or current.name == name:
            raise
        with anyio.CancelScope(shield=True):
            await _stop_quietly(apps, name)
        raise Cancelled(f"Deploy cancelled before the traffic moved: revision {name} (release {release}) was "
                        f"deactivated; the endpoint still serves release {_release_named(current)}.") from None
    ready_seconds = time.monotonic() - started
    try:
        if not single:
            await apps.set_traffic([TrafficWeight(name)])
    except Exception as error:
        raise azure_error(error, f"moving the traffic of container app {ref.name} to revision {name}") from None
    switch_seconds = time.monotonic() - started
    reporter.log(f"Traffic: 100 % to revision {name} (release {release}), {switch_seconds:.1f}s after the start"
                 + (f"; revision {current.name} drains for {context.drain_seconds:.0f}s, then is deactivated."
                    if current and current.name != name and zero_downtime else "."))
    if zero_downtime:
        progress.report("Draining the previous revision", 95)
        await anyio.sleep(context.drain_seconds)
        await deactivate_others(apps, keep=name, reporter=reporter)
    return RolloutResult(name, release, release_run_by(current) if current else None,
                         current.name if current else None,
                         ready_seconds, switch_seconds, zero_downtime)


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

