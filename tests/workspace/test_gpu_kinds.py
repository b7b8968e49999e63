"""Our template's GPU kinds: serverless T4 (the default), serverless A100 and dedicated A100 each evaluate to the
workload profile and container app body Azure takes for that kind - a serverless profile without node counts, a
container sized to one GPU's share - and the parameters file picks the kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aca_inference.workspace.bicep import Deployment
from aca_inference.workspace.template import evaluate, load_template
from aca_inference.workspace.validate import validate_workspace
from tests.conftest import write_parameters

DEPLOYMENT = Deployment("11111111-2222-3333-4444-555555555555", "rg-gpu", "westus3")
CONSUMPTION = {"name": "Consumption", "workloadProfileType": "Consumption"}

KINDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("Consumption-GPU-NC8as-T4", {"name": "gpu-t4", "workloadProfileType": "Consumption-GPU-NC8as-T4"},
     {"cpu": 8, "memory": "56Gi"}),
    ("Consumption-GPU-NC24-A100", {"name": "gpu-a100", "workloadProfileType": "Consumption-GPU-NC24-A100"},
     {"cpu": 24, "memory": "220Gi"}),
    ("NC24-A100", {"name": "GPU", "workloadProfileType": "NC24-A100", "minimumCount": 0, "maximumCount": 2},
     {"cpu": 24, "memory": "220Gi"}),
]


def _bodies(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    evaluated = evaluate(load_template(root), DEPLOYMENT)
    environment = evaluated.of_type("Microsoft.App/managedEnvironments")[0].body["properties"]
    app = evaluated.of_type("Microsoft.App/containerApps")[0].body["properties"]
    return environment, app


@pytest.mark.parametrize(("kind", "profile", "resources"), KINDS, ids=[k[0] for k in KINDS])
def test_each_gpu_kind_gives_the_profile_and_container_azure_takes(
        tmp_path: Path, kind: str, profile: dict[str, Any], resources: dict[str, Any]) -> None:
    write_parameters(tmp_path, {"workloadProfileType": kind})
    assert validate_workspace(tmp_path) == []
    environment, app = _bodies(tmp_path)
    assert environment["workloadProfiles"] == [CONSUMPTION, profile]
    assert app["workloadProfileName"] == profile["name"]
    assert app["template"]["containers"][0]["resources"] == resources


def test_an_untouched_workspace_runs_on_a_serverless_t4(tmp_path: Path) -> None:
    environment, app = _bodies(tmp_path)  # no parameters file: our template's defaults
    assert environment["workloadProfiles"][1] == KINDS[0][1]
    assert app["template"]["scale"] == {"minReplicas": 0, "maxReplicas": 1}  # scales to zero: nothing billed idle


def test_the_shipped_parameters_file_names_the_kind_and_leaves_the_sizes_to_it() -> None:
    import json

    from aca_inference.workspace.paths import INFERENCE_PARAMETERS, template_source

    shipped = json.loads((template_source() / INFERENCE_PARAMETERS).read_text())["parameters"]
    assert shipped["workloadProfileType"]["value"] == "Consumption-GPU-NC8as-T4"
    assert shipped["containerCpu"]["value"] is None and shipped["containerMemory"]["value"] is None
    assert shipped["workloadProfileName"]["value"] is None


def test_sizes_and_names_given_in_the_parameters_file_win(tmp_path: Path) -> None:
    write_parameters(tmp_path, {"workloadProfileType": "Consumption-GPU-NC24-A100", "workloadProfileName": "infer",
                                "containerCpu": 12, "containerMemory": "110Gi"})
    environment, app = _bodies(tmp_path)
    assert environment["workloadProfiles"][1] == {"name": "infer", "workloadProfileType": "Consumption-GPU-NC24-A100"}
    assert app["workloadProfileName"] == "infer"
    assert app["template"]["containers"][0]["resources"] == {"cpu": 12, "memory": "110Gi"}


def test_a_dedicated_profile_keeps_its_node_count(tmp_path: Path) -> None:
    write_parameters(tmp_path, {"workloadProfileType": "NC48-A100", "maximumInstanceCount": 3})
    environment, _ = _bodies(tmp_path)
    assert environment["workloadProfiles"][1] == {"name": "GPU", "workloadProfileType": "NC48-A100",
                                                  "minimumCount": 0, "maximumCount": 3}


def test_the_kind_is_read_regardless_of_case_as_arm_compares(tmp_path: Path) -> None:
    write_parameters(tmp_path, {"workloadProfileType": "consumption-gpu-nc8as-t4"})
    environment, app = _bodies(tmp_path)
    assert environment["workloadProfiles"][1] == {"name": "gpu-t4", "workloadProfileType": "consumption-gpu-nc8as-t4"}
    assert app["template"]["containers"][0]["resources"] == {"cpu": 8, "memory": "56Gi"}
