"""How a release reaches the endpoint, decided in-process against a fake container app: zero downtime or a
restart (and why), the traffic moved only after the new revision answers, and what a failure leaves serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from aca_inference.azure.container_apps import ContainerApp, WorkloadProfile
from aca_inference.errors import Cancelled, OperationFailed
from aca_inference.ops.context import OperationContext
from aca_inference.ops.deploy.pipeline import Run
from aca_inference.ops.deploy.readiness import ReadinessCheck
from aca_inference.ops.deploy.rollout import RolloutChoice, choose_rollout, release_strategy, roll_out
from tests.fakes.container_apps import FakeContainerAppGateway
from tests.fakes.reporter import RecordingProgress, RecordingReporter
from tests.inprocess.builders import (
    RELEASE_A,
    RELEASE_B,
    answering_endpoint,
    app,
    context,
    launcher_template,
    revision,
)

BICEP = "infra/provision/inference.bicep"
ROOT_CHECK = ReadinessCheck(path="/", our_app=False)


def _run(context: OperationContext, apps: FakeContainerAppGateway, the_app: ContainerApp, *, endpoint: str,
         progress: RecordingProgress, zero_downtime: bool) -> Run:
    """A rollout of our launcher template on `the_app`, zero downtime or not as choose_rollout would say."""
    return Run(context, apps, the_app, launcher_template(), endpoint, None, ROOT_CHECK,
               release_strategy(RolloutChoice(zero_downtime), the_app), progress)


async def test_zero_downtime_when_a_second_revision_fits_on_the_profile() -> None:
    apps = FakeContainerAppGateway(app(), profile=WorkloadProfile("gpu", "NC24-A100", 2))
    choice = await choose_rollout(apps, app(), revision("r1", RELEASE_A, traffic=100), BICEP)
    assert choice.zero_downtime and choice.why_not == ""


async def test_an_app_outside_the_launcher_restarts_in_place() -> None:
    plain = app(template=launcher_template(launcher=False))
    choice = await choose_rollout(FakeContainerAppGateway(plain), plain, None, BICEP)
    assert not choice.zero_downtime
    assert "does not start through the release launcher" in choice.why_not


async def test_single_revision_mode_restarts_and_says_how_to_allow_the_switch() -> None:
    single = app(mode="Single")
    choice = await choose_rollout(FakeContainerAppGateway(single), single, revision("r1", RELEASE_A, traffic=100),
                                  BICEP)
    assert not choice.zero_downtime
    assert "activeRevisionsMode 'Single'" in choice.why_not
    assert f"Set activeRevisionsMode: 'Multiple' in {BICEP}" in choice.why_not


async def test_one_gpu_node_restarts_and_names_the_node_count_needed() -> None:
    apps = FakeContainerAppGateway(app(), profile=WorkloadProfile("gpu", "NC24-A100", 1))
    choice = await choose_rollout(apps, app(), revision("r1", RELEASE_A, traffic=100), BICEP)
    assert not choice.zero_downtime
    assert "the workload profile 'gpu' allows 1 node(s) (maximumCount)" in choice.why_not
    assert "Set maximumInstanceCount to 2" in choice.why_not


async def test_more_replicas_need_more_nodes() -> None:
    wide = app(template=launcher_template(max_replicas=3))
    apps = FakeContainerAppGateway(wide, profile=WorkloadProfile("gpu", "NC24-A100", 3))
    choice = await choose_rollout(apps, wide, revision("r1", RELEASE_A, traffic=100), BICEP)
    assert not choice.zero_downtime and "needs 4" in choice.why_not


async def test_consumption_profiles_and_first_deploys_have_no_node_limit() -> None:
    consumption = FakeContainerAppGateway(app(), profile=WorkloadProfile("small", "Consumption-GPU-NC8as-T4", 1))
    assert (await choose_rollout(consumption, app(), revision("r1", RELEASE_A, traffic=100), BICEP)).zero_downtime
    one_node = FakeContainerAppGateway(app(), profile=WorkloadProfile("gpu", "NC24-A100", 1))
    assert (await choose_rollout(one_node, app(), None, BICEP)).zero_downtime  # nothing serves yet


async def test_a_new_release_serves_only_after_its_revision_answers(tmp_path: Path) -> None:
    reporter = RecordingReporter()
    async with answering_endpoint() as fqdn:
        apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)], new_revision_fqdn=fqdn)
        result = await roll_out(_run(context(tmp_path, reporter), apps, app(), endpoint="https://app.fake.example",
                                     progress=RecordingProgress("deploy"),
                                     zero_downtime=True), RELEASE_B)
    new = result.revision
    assert new.startswith("app--r0102120000-bbbbbbb")
    # Made at 0 % beside the serving one, then the traffic moves in one call, then the old one stops.
    assert apps.calls == [("update", new), ("set_traffic", f"{new}=100"), ("deactivate", "app--r1")]
    assert apps.serving_weights() == {new: 100}
    assert (result.release, result.previous_release, result.zero_downtime) == (RELEASE_B, RELEASE_A, True)
    assert f"Revision {new} created for release {RELEASE_B}, with 0 % of the traffic beside app--r1" \
        in reporter.messages()
    assert f"Revision app--r1 (release {RELEASE_A}) deactivated." in reporter.messages()


async def test_a_release_that_fails_never_gets_the_traffic(tmp_path: Path) -> None:
    reporter = RecordingReporter()
    apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)], new_revision_state="Failed",
                                   new_revision_fqdn="127.0.0.1:9")
    with pytest.raises(OperationFailed) as failure:
        await roll_out(_run(context(tmp_path, reporter), apps, app(), endpoint="https://app.fake.example",
                            progress=RecordingProgress("deploy"),
                                     zero_downtime=True), RELEASE_B)
    new = apps.changed("update")[0]
    assert apps.changed("set_traffic") == []
    assert apps.changed("deactivate") == [new]
    assert apps.serving_weights() == {"app--r1": 100}
    message = str(failure.value)
    assert f"revision {new} failed (running state Failed" in message
    assert f"Revision {new} was deactivated." in message
    assert f"The endpoint still serves release {RELEASE_A} (revision app--r1): the traffic never moved." in message


async def test_cancelling_before_the_switch_stops_the_new_revision(tmp_path: Path) -> None:
    apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)], new_revision_fqdn="127.0.0.1:9")
    progress = RecordingProgress("deploy")
    progress.cancel()
    with pytest.raises(Cancelled) as cancelled:
        await roll_out(_run(context(tmp_path), apps, app(), endpoint="https://app.fake.example", progress=progress,
                                     zero_downtime=True), RELEASE_B)
    new = apps.changed("update")[0]
    assert apps.changed("deactivate") == [new] and apps.changed("set_traffic") == []
    assert f"the endpoint still serves release {RELEASE_A}" in str(cancelled.value)


async def test_rolling_back_activates_the_kept_revision_again(tmp_path: Path) -> None:
    reporter = RecordingReporter()
    async with answering_endpoint() as fqdn:
        kept = revision("r1", RELEASE_A, active=False, fqdn=fqdn)
        apps = FakeContainerAppGateway(app(), [kept, revision("r2", RELEASE_B, traffic=100)])
        result = await roll_out(_run(context(tmp_path, reporter), apps, app(), endpoint="https://app.fake.example",
                                     progress=RecordingProgress("rollback"),
                                     zero_downtime=True), RELEASE_A)
    assert apps.calls == [("activate", "app--r1"), ("set_traffic", "app--r1=100"), ("deactivate", "app--r2")]
    assert (result.revision, result.previous_release) == ("app--r1", RELEASE_B)
    assert f"Revision app--r1 (release {RELEASE_A}) activated again." in reporter.messages()


async def test_the_release_already_serving_changes_nothing(tmp_path: Path) -> None:
    apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)])
    result = await roll_out(_run(context(tmp_path), apps, app(), endpoint="https://app.fake.example",
                                 progress=RecordingProgress("deploy"),
                                     zero_downtime=True), RELEASE_A)
    assert apps.calls == [] and result.revision == "app--r1"


async def test_one_revision_at_a_time_replaces_the_serving_one(tmp_path: Path) -> None:
    single = app(mode="Single")
    progress = RecordingProgress("deploy")
    async with answering_endpoint() as fqdn:
        apps = FakeContainerAppGateway(single, [revision("r1", RELEASE_A, traffic=100)])
        result = await roll_out(_run(context(tmp_path), apps, single, endpoint=f"http://{fqdn}", progress=progress,
                                     zero_downtime=False), RELEASE_B)
    # ACA itself replaces the revision: no traffic call, no deactivation of ours.
    assert [call for call, _ in apps.calls] == ["update"]
    assert apps.serving_weights() == {result.revision: 100}
    assert "Stopping revision app--r1 to make room" in [message for message, _ in progress.reports]
    assert not result.zero_downtime


async def test_a_restart_rollout_on_multiple_mode_stops_the_old_revision_first(tmp_path: Path) -> None:
    async with answering_endpoint() as fqdn:
        apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)])
        result = await roll_out(_run(context(tmp_path), apps, app(), endpoint=f"http://{fqdn}",
                                     progress=RecordingProgress("deploy"),
                                     zero_downtime=False), RELEASE_B)
    new = result.revision
    # Not pinned: the new revision takes the traffic as it becomes the latest; the old one makes room at once.
    assert apps.calls == [("update", new), ("deactivate", "app--r1"), ("set_traffic", f"{new}=100")]
    assert not apps.revisions["app--r1"].active
