"""Provision through the CLI against the local emulator: the real SDK calls, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aca_inference.workspace.naming import default_names
from aca_inference.workspace.unique_string import unique_string
from tests.conftest import NULL_TEMPLATE, cli_run, last_json, write_parameters
from tests.provision.arm import ArmProbe


def provision(emulator: Any, workspace: Path, group: str, *extra: str) -> Any:
    return cli_run("provision", "--workspace", str(workspace), "--target", "local",
                   "--emulator-data-dir", str(emulator.data_dir), "--resource-group", group,
                   "--location", "westus3", "--yes", "--json", *extra)


def test_fresh_provision_of_the_untouched_template_uses_the_bicep_default_names(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, {**NULL_TEMPLATE, "defaultCommands": None, "maximumInstanceCount": None})
    run = provision(emulator, tmp_path, "rg-fresh")
    assert run.returncode == 0, run.stderr
    config = last_json(run.stdout)["config"]
    group_id = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-fresh"
    suffix = unique_string(group_id)[:5]
    assert config["STORAGE_ACCOUNT_NAME"] == f"aistorage{suffix}"
    assert config["FILE_SHARE_NAME"] == f"aifileshare{suffix}"
    assert config["ACA_APP_NAME"] == f"aiacaapp{suffix}"
    assert config["ACA_APP_NAME"] == default_names(group_id).container_app
    written = json.loads((tmp_path / "infra" / "inference.config.json").read_text())
    assert list(written) == ["SUBSCRIPTION_ID", "RESOURCE_GROUP_NAME", "STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME",
                             "ACA_APP_NAME", "ACA_APP_ENDPOINT"]
    assert written["SUBSCRIPTION_ID"] == emulator.subscription_id
    assert written["ACA_APP_ENDPOINT"].startswith("http://127.0.0.1:")
    arm = ArmProbe(emulator)
    app = arm.get(f"{group_id}/providers/Microsoft.App/containerApps/{config['ACA_APP_NAME']}", "2026-07-01")
    container = app["properties"]["template"]["containers"][0]
    assert container["volumeMounts"] == [{"volumeName": "azurefile", "mountPath": "/mount"}]
    assert {"name": "INFERENCE_API_KEY", "secretRef": "inference-api-key"} in container["env"]
    env = arm.get(f"{group_id}/providers/Microsoft.App/managedEnvironments/aienv{suffix}", "2026-07-01")
    profiles = {p["name"]: p["workloadProfileType"] for p in env["properties"]["workloadProfiles"]}
    assert profiles == {"Consumption": "Consumption", "gpu-t4": "Consumption-GPU-NC8as-T4"}  # the default kind


def test_reprovision_with_nothing_to_change_makes_zero_writes(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    assert provision(emulator, tmp_path, "rg-again").returncode == 0
    arm = ArmProbe(emulator)
    mark = arm.mark()
    again = provision(emulator, tmp_path, "rg-again")
    assert again.returncode == 0, again.stderr
    assert [row["action"] for row in last_json(again.stdout)["plan"]] == ["reuse"] * 7
    assert arm.writes_since(mark) == []


def test_preview_prints_the_plan_and_changes_nothing(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"acaAppName": "previewed-app"})
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = provision(emulator, tmp_path, "rg-preview", "--preview")
    assert run.returncode == 0, run.stderr
    plan = last_json(run.stdout)["plan"]
    assert {row["action"] for row in plan} == {"create"}
    assert "create  container app previewed-app" in run.stderr
    assert arm.writes_since(mark) == []
    assert not (tmp_path / "infra" / "inference.config.json").exists()


def test_custom_names_are_used(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"storageAccountName": "customstore42", "fileShareName": "custom-share",
                                "acaAppName": "custom-app", "acaEnvironmentName": "custom-env",
                                "acaLogAnalyticsName": "custom-logs", "acaEnvironmentStorageName": "customstorage"})
    run = provision(emulator, tmp_path, "rg-custom")
    assert run.returncode == 0, run.stderr
    config = last_json(run.stdout)["config"]
    assert (config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"], config["ACA_APP_NAME"]) == (
        "customstore42", "custom-share", "custom-app")


def test_invalid_names_are_rejected_before_any_network_call(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"storageAccountName": "Not_Valid", "acaAppName": "x" * 40})
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = provision(emulator, tmp_path, "rg-invalid")
    assert run.returncode == 2
    assert "parameters.storageAccountName.value" in run.stderr and "parameters.acaAppName.value" in run.stderr
    assert "Traceback" not in run.stderr
    assert arm.requests_since(mark) == []


def test_unknown_subscription_lists_the_available_ones(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    run = provision(emulator, tmp_path, "rg-x", "--subscription", "00000000-1111-2222-3333-444444444444")
    assert run.returncode == 2
    assert "Subscription '00000000-1111-2222-3333-444444444444' was not found" in run.stderr
    assert emulator.subscription_id in run.stderr


def test_missing_resource_group_without_location_says_how_to_create_it(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    run = cli_run("provision", "--workspace", str(tmp_path), "--emulator-data-dir", str(emulator.data_dir),
                  "--resource-group", "rg-nowhere", "--yes")
    assert run.returncode == 2
    assert "pass --location" in run.stderr


def test_non_interactive_without_yes_asks_for_it(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    run = cli_run("provision", "--workspace", str(tmp_path), "--emulator-data-dir", str(emulator.data_dir),
                  "--resource-group", "rg-noyes", "--location", "westus3")
    assert run.returncode == 2
    assert "--yes" in run.stderr


def test_reuses_the_fine_tuning_resources(emulator: Any, tmp_path: Path) -> None:
    from tests.provision.finetuning import prepare_finetuning

    names = prepare_finetuning(emulator, tmp_path, "rg-finetune")
    write_parameters(tmp_path, NULL_TEMPLATE)
    run = cli_run("provision", "--workspace", str(tmp_path), "--emulator-data-dir", str(emulator.data_dir),
                  "--yes", "--json")
    assert run.returncode == 0, run.stderr
    result = last_json(run.stdout)
    actions = {row["resource"]: (row["name"], row["action"]) for row in result["plan"]}
    # The fine-tuning project's resources are reused and never changed.
    assert actions["storage account"] == (names["storageAccountName"], "shared")
    assert actions["file share"] == (names["fileShareName"], "shared")
    assert actions["Log Analytics workspace"] == (names["acaLogAnalyticsName"], "shared")
    assert actions["Container Apps environment"][0] == names["acaEnvironmentName"]
    assert actions["Container Apps environment"][1] in ("shared", "add-profile")
    assert actions["container app"][1] == "create"
    assert result["config"]["RESOURCE_GROUP_NAME"] == "rg-finetune"


def test_arm_failure_half_way_then_rerun_converges(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    arm = ArmProbe(emulator)
    arm.inject_fault(r"/providers/Microsoft\.App/containerApps/", status=500, rate=1.0, methods=["PUT"])
    try:
        failed = provision(emulator, tmp_path, "rg-fault")
    finally:
        arm.clear_faults()
    assert failed.returncode == 1
    assert "container app" in failed.stderr and "Run provision again" in failed.stderr
    assert not (tmp_path / "infra" / "inference.config.json").exists()
    again = provision(emulator, tmp_path, "rg-fault")
    assert again.returncode == 0, again.stderr
    plan = {row["resource"]: row["action"] for row in last_json(again.stdout)["plan"]}
    assert plan["storage account"] == "reuse" and plan["container app"] == "create"


def test_gpu_profile_added_to_a_reused_environment(emulator: Any, tmp_path: Path) -> None:
    arm = ArmProbe(emulator)
    arm.create_environment("rg-envreuse", "shared-env", profiles=[{"name": "Consumption",
                                                                   "workloadProfileType": "Consumption"}])
    write_parameters(tmp_path, {"acaEnvironmentName": "shared-env"})
    run = provision(emulator, tmp_path, "rg-envreuse")
    assert run.returncode == 0, run.stderr
    plan = {row["resource"]: row for row in last_json(run.stdout)["plan"]}
    assert plan["Container Apps environment"]["action"] == "update"
    assert any(c.startswith("properties.workloadProfiles") for c in plan["Container Apps environment"]["changes"])


def test_consumption_only_environment_is_explained(emulator: Any, tmp_path: Path) -> None:
    arm = ArmProbe(emulator)
    arm.create_environment("rg-envconsumption", "legacy-env", profiles=None)
    write_parameters(tmp_path, {"acaEnvironmentName": "legacy-env"})
    run = provision(emulator, tmp_path, "rg-envconsumption")
    assert run.returncode == 2
    assert "Consumption-only environment" in run.stderr and "acaEnvironmentName" in run.stderr


def test_azure_target_without_credentials_says_how_to_sign_in(tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    home = tmp_path / "home"
    home.mkdir()
    run = cli_run("provision", "--workspace", str(tmp_path), "--target", "azure", "--yes",
                  env={"HOME": str(home), "AZURE_CONFIG_DIR": str(home / ".azure"), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2, run.stderr
    assert "No Azure credential is available" in run.stderr and "az login" in run.stderr
    assert "Traceback" not in run.stderr


def test_storage_name_taken_elsewhere_is_refused_before_any_change(emulator: Any, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for root in (first, second):
        write_parameters(root, {"storageAccountName": "takenstore77"})
    assert provision(emulator, first, "rg-owner").returncode == 0
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = provision(emulator, second, "rg-latecomer")
    assert run.returncode == 2
    assert "Storage account name 'takenstore77' (parameters.storageAccountName.value in " \
           "infra/provision/inference.parameters.json) cannot be used: AlreadyExists" in run.stderr
    assert "choose another name" in run.stderr
    assert "Traceback" not in run.stderr
    assert arm.writes_since(mark) == []  # not even the resource group
    assert not (second / "infra" / "inference.config.json").exists()


def test_unsupported_gpu_profile_is_refused_before_any_change_with_the_fix(emulator: Any, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"workloadProfileType": "NC999-Z100"})
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = provision(emulator, tmp_path, "rg-noprofile")
    assert run.returncode == 2
    assert "Workload profile type NC999-Z100" in run.stderr and "is not offered in westus3" in run.stderr
    assert "another `workloadProfileType` in infra/provision/inference.parameters.json" in run.stderr
    assert arm.writes_since(mark) == []
