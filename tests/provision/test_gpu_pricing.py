"""The provision plan prices each GPU kind, through the CLI as a user previews it (`provision --preview`), from
the dated table in the package: serverless GPUs per second while a replica runs and nothing scaled to zero,
a dedicated profile per node-hour for its node count; an always-on minimum is said as a monthly figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aca_inference.ops.provision.costs import PRICES_AS_OF
from tests.conftest import cli_run, last_json, write_parameters
from tests.provision.arm import ArmProbe


def preview(emulator: Any, workspace: Path, group: str) -> Any:
    return cli_run("provision", "--workspace", str(workspace), "--target", "local", "--emulator-data-dir",
                   str(emulator.data_dir), "--resource-group", group, "--location", "westus3", "--preview", "--json")


@pytest.mark.parametrize(("kind", "per_hour", "stated"), [
    ("Consumption-GPU-NC8as-T4", 0.752, "about $0.00021 per GPU-second ($0.75 per GPU-hour), nothing while scaled "
                                        "to zero"),
    ("Consumption-GPU-NC24-A100", 3.673, "about $0.00102 per GPU-second ($3.67 per GPU-hour), nothing while scaled "
                                         "to zero"),
])
def test_a_serverless_gpu_is_priced_per_second_of_use(emulator: Any, tmp_path: Path, kind: str, per_hour: float,
                                                      stated: str) -> None:
    write_parameters(tmp_path, {"workloadProfileType": kind})
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = preview(emulator, tmp_path, f"rg-price-{kind[-4:].lower()}")
    assert run.returncode == 0, run.stderr
    [cost] = last_json(run.stdout)["cost"]
    assert (cost["type"], cost["billing"], cost["per_hour"], cost["per_node_hour"]) == (kind, "per-second", per_hour,
                                                                                       None)
    assert cost["per_second"] == pytest.approx(per_hour / 3600)
    assert cost["scales_to_zero"] and cost["prices_as_of"] == PRICES_AS_OF
    assert f"GPU: serverless workload profile gpu-{kind.split('-')[-1].lower()} ({kind}" in run.stderr
    assert f"Price: billed per second while a replica runs: {stated}" in run.stderr
    assert "Scales to zero: no GPU is billed while the app is idle" in run.stderr
    assert arm.writes_since(mark) == []  # a preview changes nothing


def test_a_dedicated_gpu_is_priced_per_node_hour_for_its_nodes(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"workloadProfileType": "NC24-A100", "maximumInstanceCount": 2, "minReplicas": 1})
    run = preview(emulator, tmp_path, "rg-price-dedicated")
    assert run.returncode == 0, run.stderr
    [cost] = last_json(run.stdout)["cost"]
    assert (cost["billing"], cost["max_nodes"], cost["per_node_hour"]) == ("per-node-hour", 2, pytest.approx(3.773))
    assert ("Price: billed per node-hour for each of up to 2 node(s) while it runs: about $3.77 per node-hour"
            in run.stderr)
    assert "Always on: minReplicas 1 keeps 1 GPU node(s) running all month, about $2,754 a month" in run.stderr


def test_an_always_on_serverless_gpu_says_its_monthly_cost(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"workloadProfileType": "Consumption-GPU-NC8as-T4", "minReplicas": 1})
    run = preview(emulator, tmp_path, "rg-price-warm")
    assert run.returncode == 0, run.stderr
    assert "Always on: minReplicas 1 keeps 1 GPU(s) running all month, about $549 a month" in run.stderr
