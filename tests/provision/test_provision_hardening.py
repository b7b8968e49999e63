"""Provision as a careful user finds it: a fine-tuning file that does not match what exists is an error and
the shared mount is never repointed; a provision killed mid-way converges on the first re-run, waiting for
what is still being created; transient ARM faults are retried; secrets never reach the output."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NULL_TEMPLATE, cli_run, last_json, write_parameters
from tests.provision.arm import ArmProbe
from tests.provision.finetuning import prepare_finetuning

FULL = os.environ.get("ACA_CAMPAIGN") == "full"


def _provision(emulator: Any, root: Path, group: str, *extra: str) -> Any:
    return cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                   "--resource-group", group, "--location", "westus3", "--yes", "--json", *extra)


def _env_storage(arm: ArmProbe, group: str, env: str, name: str) -> dict[str, Any]:
    return arm.get(f"/subscriptions/{arm.emulator.subscription_id}/resourceGroups/{group}/providers/Microsoft.App/"
                   f"managedEnvironments/{env}/storages/{name}", "2026-07-01")


def test_a_fine_tuning_config_naming_a_missing_account_never_repoints_the_shared_mount(emulator: Any,
                                                                                       tmp_path: Path) -> None:
    names = prepare_finetuning(emulator, tmp_path, "rg-repoint")
    write_parameters(tmp_path, NULL_TEMPLATE)
    assert _provision(emulator, tmp_path, "rg-repoint").returncode == 0
    arm = ArmProbe(emulator)
    before = _env_storage(arm, "rg-repoint", names["acaEnvironmentName"], names["acaEnvironmentStorageName"])
    config = tmp_path / "infra" / "finetuning.config.json"
    data = json.loads(config.read_text())
    data["STORAGE_ACCOUNT_NAME"] = "nosuchaccount42"
    config.write_text(json.dumps(data, indent=2))
    mark = arm.mark()
    run = _provision(emulator, tmp_path, "rg-repoint")
    assert run.returncode == 2, run.stderr
    assert "infra/finetuning.config.json: STORAGE_ACCOUNT_NAME names 'nosuchaccount42'" in run.stderr
    assert names["storageAccountName"] in run.stderr and "Traceback" not in run.stderr
    assert arm.writes_since(mark) == []
    after = _env_storage(arm, "rg-repoint", names["acaEnvironmentName"], names["acaEnvironmentStorageName"])
    assert after["properties"]["azureFile"] == before["properties"]["azureFile"]


def test_validate_checks_the_fine_tuning_files_too(tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    (tmp_path / "infra" / "finetuning.config.json").write_text(json.dumps({"STORAGE_ACCOUNT_NAME": "Bad_Account"}))
    run = cli_run("validate", "--workspace", str(tmp_path))
    assert run.returncode == 2
    assert "infra/finetuning.config.json: STORAGE_ACCOUNT_NAME" in run.stderr


def _kill_during(emulator: Any, root: Path, group: str, delay: float) -> None:
    process = subprocess.Popen([sys.executable, "-m", "aca_inference.cli", "provision", "--workspace", str(root),
                                "--emulator-data-dir", str(emulator.data_dir), "--resource-group", group,
                                "--location", "westus3", "--yes"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.runs_for(60)
@pytest.mark.timeout(4 * 3600)  # the full campaign (ACA_CAMPAIGN=full) takes longer than the suite's default
def test_killed_provisions_converge_on_the_first_rerun(emulator: Any, tmp_path: Path) -> None:
    """SIGKILL at random points, the environment taking its time as Azure's does; every re-run succeeds first
    time and reuses what exists (no duplicates). Full size: ACA_CAMPAIGN=full."""
    arm = ArmProbe(emulator)
    trials = 100 if FULL else 4
    rng = random.Random(14)
    converged = 0
    for trial in range(trials):
        root = tmp_path / f"ws{trial}"
        write_parameters(root, NULL_TEMPLATE)
        group = f"rg-kill-{trial}"
        arm.set_time_scale(0.05)  # the environment takes seconds: kills land while it is being created
        try:
            _kill_during(emulator, root, group, rng.uniform(0.8, 4.0))
        finally:
            arm.set_time_scale(0.002)
        run = _provision(emulator, root, group)
        assert run.returncode == 0, f"trial {trial}: {run.stderr}"
        again = _provision(emulator, root, group)
        assert {r["action"] for r in last_json(again.stdout)["plan"]} == {"reuse"}, again.stderr
        json.loads((root / "infra" / "inference.config.json").read_text())
        converged += 1
        print(f"  trial {trial}: killed, then converged ({converged}/{trial + 1})", flush=True)
    assert converged == trials
    print(f"killed provisions converged on the first re-run: {converged}/{trials}")


def test_provisions_succeed_first_time_under_transient_arm_faults(emulator: Any, tmp_path: Path) -> None:
    """10% of ARM requests fail the way ARM fails (429 with Retry-After, 500, 503, dropped connections);
    every provision still succeeds first time. Full size: ACA_CAMPAIGN=full (50)."""
    arm = ArmProbe(emulator)
    runs = 50 if FULL else 3
    succeeded = 0
    for trial in range(runs):
        root = tmp_path / f"fault{trial}"
        write_parameters(root, NULL_TEMPLATE)
        for fault in ({"status": 429, "retry_after": 1}, {"status": 500}, {"status": 503},
                      {"status": None, "drop": "before"}):
            arm.inject_fault(r"/subscriptions/.*/resourceGroups/rg-fault-", rate=0.025, port="management", **fault)
        try:
            run = _provision(emulator, root, f"rg-fault-{trial}")
        finally:
            arm.clear_faults()
        assert run.returncode == 0, f"trial {trial}: {run.stderr}"
        keys = arm.storage().storage_accounts.list_keys(f"rg-fault-{trial}", last_json(run.stdout)["config"]
                                                        ["STORAGE_ACCOUNT_NAME"]).as_dict()["keys"]
        assert all(k["value"] not in run.stdout + run.stderr for k in keys)  # secrets never in the output
        succeeded += 1
    print(f"provisions succeeded first time under faults: {succeeded}/{runs}")


def test_the_plan_never_shows_secrets(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    run = _provision(emulator, tmp_path, "rg-secret")
    assert run.returncode == 0, run.stderr
    preview = _provision(emulator, tmp_path, "rg-secret", "--preview")
    arm = ArmProbe(emulator)
    config = last_json(run.stdout)["config"]
    keys = arm.storage().storage_accounts.list_keys("rg-secret", config["STORAGE_ACCOUNT_NAME"]).as_dict()["keys"]
    secrets = arm.apps().container_apps.list_secrets("rg-secret", config["ACA_APP_NAME"]).as_dict()["value"]
    for value in [k["value"] for k in keys] + [s["value"] for s in secrets]:
        assert value not in run.stdout + run.stderr + preview.stdout + preview.stderr
        assert value not in (tmp_path / "infra" / "inference.config.json").read_text()
