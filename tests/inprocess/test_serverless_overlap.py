"""The release overlap rule on serverless GPUs, decided in-process: a new release starts beside the serving one
when the subscription's serverless GPU quota covers both (one GPU per replica, no node limit); otherwise deploy
restarts and says how many GPUs the switch needs, which quota to request, and what the extra GPU costs."""

from __future__ import annotations

from aca_inference.azure.container_apps import WorkloadProfile
from aca_inference.ops.deploy.rollout import choose_rollout
from tests.fakes.container_apps import FakeContainerAppGateway
from tests.inprocess.builders import RELEASE_A, app, launcher_template, revision

BICEP = "infra/provision/inference.bicep"
T4 = WorkloadProfile("gpu-t4", "Consumption-GPU-NC8as-T4", 1)  # what the gateway reads: no maximumCount
A100 = WorkloadProfile("gpu-a100", "Consumption-GPU-NC24-A100", 1)
SERVING = revision("r1", RELEASE_A, traffic=100)


async def test_serverless_gpu_switches_without_downtime_when_the_quota_has_one_more_gpu() -> None:
    choice = await choose_rollout(FakeContainerAppGateway(app(), profile=T4), app(), SERVING, BICEP,
                                  serverless_gpu_quota=2)
    assert choice.zero_downtime and choice.why_not == ""


async def test_serverless_gpu_with_an_unknown_quota_tries_the_switch() -> None:
    # No node count limits a serverless profile; without the quota figure the overlap is tried (a release that
    # cannot start never gets the traffic).
    choice = await choose_rollout(FakeContainerAppGateway(app(), profile=T4), app(), SERVING, BICEP)
    assert choice.zero_downtime


async def test_serverless_t4_quota_of_one_gpu_restarts_and_names_the_quota_to_request() -> None:
    choice = await choose_rollout(FakeContainerAppGateway(app(), profile=T4), app(), SERVING, BICEP,
                                  serverless_gpu_quota=1)
    assert not choice.zero_downtime
    assert "serverless GPUs ('gpu-t4', Consumption-GPU-NC8as-T4: one GPU per replica)" in choice.why_not
    assert "needs 2 GPUs at once; the subscription's quota leaves this app 1 in the region" in choice.why_not
    assert "Request 'Managed Environment Consumption T4 Gpus' quota of at least 2" in choice.why_not
    assert "per GPU-hour" in choice.why_not


async def test_serverless_a100_counts_every_replica_of_the_serving_revision() -> None:
    wide = app(template=launcher_template(max_replicas=3, min_replicas=0))
    apps = FakeContainerAppGateway(wide, profile=A100)
    short = await choose_rollout(apps, wide, SERVING, BICEP, serverless_gpu_quota=3)
    assert not short.zero_downtime and "needs 4 GPUs" in short.why_not
    assert "'Managed Environment Consumption NCA100 Gpus'" in short.why_not
    assert (await choose_rollout(apps, wide, SERVING, BICEP, serverless_gpu_quota=4)).zero_downtime


async def test_the_quota_does_not_matter_for_a_first_deploy_or_a_dedicated_profile() -> None:
    assert (await choose_rollout(FakeContainerAppGateway(app(), profile=T4), app(), None, BICEP,
                                 serverless_gpu_quota=0)).zero_downtime  # nothing serves yet
    dedicated = FakeContainerAppGateway(app(), profile=WorkloadProfile("GPU", "NC24-A100", 2))
    assert (await choose_rollout(dedicated, app(), SERVING, BICEP, serverless_gpu_quota=0)).zero_downtime


async def test_serverless_gpu_quota_is_read_from_azure_with_the_gpus_the_app_holds_counted_as_its_own() -> None:
    # Microsoft.App usages leave 1 GPU free; the serving revision's one replica holds another: 2 in all, enough for
    # maxReplicas 1 beside one new replica. With nothing free, the serving replica alone is not enough: a restart.
    serving = revision("r1", RELEASE_A, traffic=100, replicas=1)
    enough = await choose_rollout(FakeContainerAppGateway(app(), [serving], profile=T4, gpu_quota_free=1), app(),
                                  serving, BICEP)
    assert enough.zero_downtime
    short = await choose_rollout(FakeContainerAppGateway(app(), [serving], profile=T4, gpu_quota_free=0), app(),
                                 serving, BICEP)
    assert not short.zero_downtime and "needs 2 GPUs at once" in short.why_not
