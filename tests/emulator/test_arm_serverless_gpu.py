"""Serverless GPU workload profiles on the local Azure, as ACA answers them: accepted without node counts (a
minimumCount is refused), and one GPU per replica - an app whose containers ask more than one GPU's share of
vCPU or memory is refused with ACA's error shape, before anything is created."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from .conftest import Azure, app_body

SERVERLESS = [{"name": "gpu-t4", "workloadProfileType": "Consumption-GPU-NC8as-T4"},
              {"name": "gpu-a100", "workloadProfileType": "Consumption-GPU-NC24-A100"}]
SERVE = ["/bin/bash", "-c", "exec python3 -m http.server $PORT --bind 127.0.0.1"]


@pytest.fixture(scope="module")
def gpu_place(azure: Azure, place: dict[str, str]) -> dict[str, str]:
    client = azure.apps()
    env = client.managed_environments.get(place["group"], place["env"])
    profiles = [p.as_dict() for p in env.workload_profiles]
    client.managed_environments.begin_update(place["group"], place["env"], {"properties": {
        "workloadProfiles": [*profiles, *SERVERLESS]}}).result()
    return place


def _on_gpu(place: dict[str, str], profile: str, cpu: Any, memory: str) -> dict[str, Any]:
    body = app_body(place["env_id"], SERVE)
    body["properties"]["workloadProfileName"] = profile
    body["properties"]["template"]["containers"][0]["resources"] = {"cpu": cpu, "memory": memory}
    return body


def test_serverless_gpu_profiles_are_added_without_node_counts(azure: Azure, gpu_place: dict[str, str]) -> None:
    env = azure.apps().managed_environments.get(gpu_place["group"], gpu_place["env"])
    added = {p.name: (p.workload_profile_type, p.minimum_count, p.maximum_count) for p in env.workload_profiles}
    assert added["gpu-t4"] == ("Consumption-GPU-NC8as-T4", None, None)
    assert added["gpu-a100"] == ("Consumption-GPU-NC24-A100", None, None)


def test_a_node_count_on_a_serverless_gpu_profile_is_refused(azure: Azure, place: dict[str, str]) -> None:
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().managed_environments.begin_create_or_update(place["group"], "env-gpu-counts", {
            "location": "westus3", "properties": {"workloadProfiles": [
                {"name": "gpu-t4", "workloadProfileType": "Consumption-GPU-NC8as-T4", "minimumCount": 0,
                 "maximumCount": 2}]}}).result()
    assert (raised.value.status_code, raised.value.error.code) == (400, "WorkloadProfilePropertyNotSupported")
    assert "'MinimumCount' is not supported for Consumption_GPU_NC8as_T4" in raised.value.error.message


@pytest.mark.parametrize(("profile", "cpu", "memory"), [
    ("gpu-t4", 16, "112Gi"),  # two T4 shares
    ("gpu-t4", 8, "57Gi"),  # memory over the share
    ("gpu-a100", 48, "220Gi"),  # CPU over the share
    ("gpu-a100", "24.5", "200Gi"),
])
def test_more_than_one_gpu_per_replica_is_refused(azure: Azure, gpu_place: dict[str, str], profile: str, cpu: Any,
                                                  memory: str) -> None:
    name = f"big-{profile}-{str(cpu).replace('.', '')}"
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().container_apps.begin_create_or_update(gpu_place["group"], name,
                                                           _on_gpu(gpu_place, profile, cpu, memory)).result()
    error = raised.value
    assert (error.status_code, error.error.code) == (400, "ContainerAppInvalidResourceTotal")
    assert f"workload profile '{profile}'" in error.error.message and "one GPU" in error.error.message
    assert name not in [a.name for a in azure.apps().container_apps.list_by_resource_group(gpu_place["group"])]


@pytest.mark.parametrize(("profile", "cpu", "memory"), [("gpu-t4", 8, "56Gi"), ("gpu-a100", 24, "220Gi"),
                                                        ("gpu-t4", 4, "28Gi")])
def test_one_gpu_share_or_less_is_accepted(azure: Azure, gpu_place: dict[str, str], profile: str, cpu: Any,
                                           memory: str) -> None:
    name = f"fits-{profile}-{cpu}"
    app = azure.apps().container_apps.begin_create_or_update(gpu_place["group"], name,
                                                             _on_gpu(gpu_place, profile, cpu, memory)).result()
    assert (app.provisioning_state, app.workload_profile_name) == ("Succeeded", profile)


def test_a_dedicated_gpu_profile_is_not_held_to_one_gpu_share(azure: Azure, gpu_place: dict[str, str]) -> None:
    # NC24-A100 (dedicated, the module's environment): the app may use the node as it likes; ACA places it by node.
    app = azure.apps().container_apps.begin_create_or_update(gpu_place["group"], "dedicated-wide",
                                                             _on_gpu(gpu_place, "GPU", 24, "220Gi")).result()
    assert app.provisioning_state == "Succeeded"
