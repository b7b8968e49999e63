"""The deploy pipeline's plans per strategy (which steps, in which order, the progress each starts at), the one loop
that runs them (in order; done ends it; a cancel after an upload is a cancel, not a failure), and a whole deploy
cancelled during its upload: reported as cancelled, the app untouched."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from aca_inference.errors import Cancelled, OperationFailed
from aca_inference.ops.deploy.pipeline import Run, run_plan
from aca_inference.ops.deploy.plan import Step, Strategy, deploy_plan, rollout_plan
from aca_inference.ops.deploy.readiness import ReadinessCheck
from aca_inference.ops.deploy.run import deploy
from tests.fakes.container_apps import FakeContainerAppGateway
from tests.fakes.reporter import RecordingProgress, RecordingReporter, _Scope

from .builders import app, context
from .test_deploy_and_rollback import storage, workspace  # noqa: F401 - the module's storage account fixture

ZERO_DOWNTIME = Strategy("release", zero_downtime=True)
RESTART = Strategy("release", why_not="the workload profile 'gpu' allows 1 node(s)")
ONE_REVISION = Strategy("release", one_revision=True, why_not="activeRevisionsMode 'Single'")
IN_PLACE = Strategy("in_place")


def names(plan: list[Step]) -> list[str]:
    return [step.name for step in plan]


def test_a_zero_downtime_release_starts_beside_waits_on_its_own_url_moves_the_traffic_then_drains() -> None:
    assert names(deploy_plan(ZERO_DOWNTIME)) == ["prepare", "reload_adapters", "publish", "start", "wait_ready",
                                                 "move_traffic", "drain", "cold_start", "prune"]


def test_a_release_without_room_for_two_stops_the_others_before_waiting() -> None:
    assert names(deploy_plan(RESTART)) == ["prepare", "reload_adapters", "publish", "start", "stop_others",
                                           "wait_ready", "move_traffic", "cold_start", "prune"]


def test_one_revision_at_a_time_leaves_the_replacement_and_the_traffic_to_aca() -> None:
    assert names(rollout_plan(ONE_REVISION)) == ["start", "wait_ready", "move_traffic"]
    assert "stop_others" not in names(deploy_plan(ONE_REVISION)) and "drain" not in names(deploy_plan(ONE_REVISION))


def test_in_place_syncs_then_reloads_or_restarts_and_records_the_cold_start() -> None:
    assert names(deploy_plan(IN_PLACE)) == ["sync", "reload_adapters", "restart", "wait_ready", "cold_start"]


def test_a_rollback_is_the_release_rollout_alone() -> None:
    assert names(rollout_plan(ZERO_DOWNTIME)) == ["start", "wait_ready", "move_traffic", "drain"]
    assert names(rollout_plan(RESTART)) == ["start", "stop_others", "wait_ready", "move_traffic"]


@pytest.mark.parametrize("plan", [deploy_plan(s) for s in (ZERO_DOWNTIME, RESTART, ONE_REVISION, IN_PLACE)]
                         + [rollout_plan(s) for s in (ZERO_DOWNTIME, RESTART, ONE_REVISION)])
def test_progress_comes_from_the_plan_rising_step_after_step_to_100(plan: list[Step]) -> None:
    starts = [step.percentage for step in plan]
    assert starts == sorted(starts) and starts[0] == 2 and plan[-1].until == 100
    assert all(step.until == following.percentage for step, following in zip(plan, plan[1:], strict=False))


def test_the_upload_takes_most_of_the_bar() -> None:
    publish = next(step for step in deploy_plan(ZERO_DOWNTIME) if step.name == "publish")
    sync = next(step for step in deploy_plan(IN_PLACE) if step.name == "sync")
    assert publish.until - publish.percentage >= 40 and sync.until - sync.percentage >= 50


def _run(tmp_path: Path, progress: RecordingProgress, strategy: Strategy = ZERO_DOWNTIME) -> Run:
    return Run(context(tmp_path), FakeContainerAppGateway(app()), app(), {}, "https://app.fake.example", None,
               ReadinessCheck(path="/", our_app=False), strategy, progress)


async def test_the_loop_runs_the_steps_in_order_and_a_step_that_finishes_the_deploy_ends_it(tmp_path: Path) -> None:
    ran: list[str] = []

    async def record(run: Run, step: Step) -> None:
        ran.append(step.name)
        run.done = step.name == "reload_adapters"

    handlers: dict[Any, Any] = {name: record for name in names(deploy_plan(IN_PLACE))}
    await run_plan(_run(tmp_path, RecordingProgress("deploy"), IN_PLACE), deploy_plan(IN_PLACE), handlers)
    assert ran == ["sync", "reload_adapters"]


async def test_a_cancel_during_the_upload_is_reported_as_cancelled_before_anything_changes(tmp_path: Path) -> None:
    ran: list[str] = []
    progress = RecordingProgress("deploy")

    async def record(run: Run, step: Step) -> None:
        ran.append(step.name)
        if step.name == "publish":
            run.after_upload = "release R was uploaded; the app was not changed"
            progress.cancel()

    handlers: dict[Any, Any] = {name: record for name in names(deploy_plan(ZERO_DOWNTIME))}
    with pytest.raises(Cancelled) as cancelled:
        await run_plan(_run(tmp_path, progress), deploy_plan(ZERO_DOWNTIME), handlers)
    assert str(cancelled.value) == "Deploy cancelled after release R was uploaded; the app was not changed."
    assert ran == ["prepare", "reload_adapters", "publish"]


class _CancelDuringUpload(RecordingReporter):
    """The user presses Cancel as the release's last content is uploaded."""

    def progress(self, title: str, *, cancellable: bool = True) -> Any:
        reporter = self

        class Pressing(RecordingProgress):
            def report(self, message: str, percentage: int | None = None) -> None:
                super().report(message, percentage)
                if re.match(r"Uploading (\d+)/\1 ", message):  # the last content is up
                    self.cancel()

        progress = Pressing(title)
        reporter.progresses.append(progress)
        return _Scope(progress)


async def test_a_whole_deploy_cancelled_during_its_upload_says_cancelled_and_leaves_the_app_as_it_was(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:  # noqa: F811
    async with workspace(tmp_path, storage, emulator) as ws:
        with pytest.raises(Cancelled) as cancelled:
            await deploy(ws.context(_CancelDuringUpload()))
        assert not isinstance(cancelled.value, OperationFailed)
        assert str(cancelled.value).startswith("Deploy cancelled ")  # while or after uploading: the app unchanged
        assert ws.gateway.calls == []
