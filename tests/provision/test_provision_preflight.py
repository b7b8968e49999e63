"""Provision's preflight through the CLI against the local Azure: each thing Azure would refuse midway (a
provider not registered, a GPU profile the location does not offer, GPU quota, a storage name taken, no right
to write, a body Azure refuses, a wrong fine-tuning file) is refused before the first PUT, with the file, field
or resource and the fix, all problems together, exit 2 - and nothing is created or changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NULL_TEMPLATE, cli_run, last_json, write_parameters
from tests.provision.arm import ArmProbe

QUOTA_PAGE = "https://portal.azure.com/#view/Microsoft_Azure_Capacity/QuotaMenuBlade/~/myQuotas"


@pytest.fixture
def arm(emulator: Any) -> Iterator[ArmProbe]:
    """The session's local Azure, its subscription state back to defaults after each test."""
    probe = ArmProbe(emulator)
    yield probe
    probe.reset_subscription_state()


def provision(emulator: Any, workspace: Path, group: str, *extra: str, yes: bool = True) -> Any:
    return cli_run("provision", "--workspace", str(workspace), "--target", "local",
                   "--emulator-data-dir", str(emulator.data_dir), "--resource-group", group,
                   "--location", "westus3", "--json", *(["--yes"] if yes else []), *extra)


def _group(arm: ArmProbe) -> str:
    group = f"rg-pf-{uuid.uuid4().hex[:6]}"
    arm.ensure_group(group)
    return group


def _refused(run: Any, arm: ArmProbe, mark: int) -> str:
    """The run was refused before any change: exit 2, no traceback, not one ARM write."""
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert arm.writes_since(mark) == []
    return str(run.stderr)


def test_a_provider_not_registered_is_refused_without_yes_and_names_the_fix(
        emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    group = _group(arm)
    arm.set_subscription_state(unregistered_providers=["Microsoft.App"])
    mark = arm.mark()
    stderr = _refused(provision(emulator, tmp_path, group, yes=False), arm, mark)
    assert "Resource provider Microsoft.App is not registered" in stderr
    assert "MissingSubscriptionRegistration" in stderr and "az provider register --namespace Microsoft.App" in stderr
    assert not [r for r in arm.requests_since(mark) if r["path"].endswith("/register")]


def test_with_yes_provision_registers_the_provider_then_provisions(
        emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    group = _group(arm)
    arm.set_subscription_state(unregistered_providers=["Microsoft.App", "Microsoft.OperationalInsights"])
    mark = arm.mark()
    run = provision(emulator, tmp_path, group)
    assert run.returncode == 0, run.stderr
    registered = sorted(r["path"].split("/")[-2] for r in arm.requests_since(mark) if r["method"] == "POST"
                        and r["path"].endswith("/register"))
    assert registered == ["Microsoft.App", "Microsoft.OperationalInsights"]
    assert "Registered resource provider Microsoft.App." in run.stderr
    assert arm.set_subscription_state()["unregistered_providers"] == []


# The template's default GPU is serverless T4; these cases are about a dedicated profile's nodes.
DEDICATED_A100 = {"workloadProfileType": "NC24-A100"}


def test_a_gpu_profile_the_location_does_not_offer_is_refused_with_the_locations_that_do(
        emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, {**NULL_TEMPLATE, **DEDICATED_A100})
    group = _group(arm)
    arm.set_subscription_state(offered_workload_profiles={"westus3": ["Consumption", "D4"],
                                                          "eastus": ["Consumption", "NC24-A100"]})
    mark = arm.mark()
    stderr = _refused(provision(emulator, tmp_path, group), arm, mark)
    assert "Workload profile type NC24-A100 (profile GPU of Container Apps environment" in stderr
    assert "is not offered in westus3" in stderr
    offering = stderr.split("Locations that offer it: ")[1].split(".")[0].split(", ")
    assert "eastus" in offering and "westus3" not in offering
    assert "`location` in infra/provision/inference.parameters.json" in stderr


def test_gpu_quota_short_of_the_profiles_nodes_is_refused_with_the_figure_and_the_quota_page(
        emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, {**NULL_TEMPLATE, **DEDICATED_A100, "maximumInstanceCount": 2})
    group = _group(arm)
    arm.set_subscription_state(gpu_quota={"westus3": {"SubscriptionNCA100Gpus": 1}})
    mark = arm.mark()
    stderr = _refused(provision(emulator, tmp_path, group), arm, mark)
    assert "GPU quota: workload profile GPU (NC24-A100: 1 GPU per node x maximumCount 2)" in stderr
    assert "needs 2 GPU(s) of 'Subscription NCA 100 GPUs' (SubscriptionNCA100Gpus) in westus3" in stderr
    assert QUOTA_PAGE in stderr and "`maximumInstanceCount` in infra/provision/inference.parameters.json" in stderr


def test_serverless_gpus_for_the_replicas_but_not_the_release_overlap_provision_with_a_warning(
        emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, {**NULL_TEMPLATE, "workloadProfileType": "Consumption-GPU-NC8as-T4",
                                "containerCpu": 8, "containerMemory": "56Gi", "maxReplicas": 1})
    group = _group(arm)
    # One T4 more than the module's other apps on the default serverless T4 already hold in westus3.
    usages = arm.get(f"/subscriptions/{emulator.subscription_id}/providers/Microsoft.App/locations/westus3/usages",
                     "2025-01-01")["value"]
    used = next((u["currentValue"] for u in usages if u["name"]["value"] == "SubscriptionConsumptionT4Gpus"), 0)
    arm.set_subscription_state(gpu_quota={"westus3": {"SubscriptionConsumptionT4Gpus": int(used) + 1}})
    run = provision(emulator, tmp_path, group)
    assert run.returncode == 0, run.stderr
    assert "a zero-downtime release needs 2 (one more replica beside the serving one)" in run.stderr
    assert "deploys will fall back to a restart" in run.stderr and QUOTA_PAGE in run.stderr


def test_everything_wrong_at_once_is_reported_together(emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, {**NULL_TEMPLATE, **DEDICATED_A100, "storageAccountName": "takenbyothers01"})
    group = _group(arm)
    arm.set_subscription_state(taken_storage_names=["takenbyothers01"],
                               gpu_quota={"westus3": {"SubscriptionNCA100Gpus": 0}},
                               permissions=[{"actions": ["*/read"], "notActions": []}])
    mark = arm.mark()
    stderr = _refused(provision(emulator, tmp_path, group), arm, mark)
    assert "3 things Azure would refuse midway" in stderr
    assert ("Storage account name 'takenbyothers01' (parameters.storageAccountName.value in "
            "infra/provision/inference.parameters.json) cannot be used: AlreadyExists") in stderr
    assert f"You may not write to resource group {group}" in stderr and "Microsoft.App/containerApps/write" in stderr
    assert "Contributor role" in stderr
    assert "GPU quota:" in stderr and "Nothing was created or changed." in stderr


def test_a_body_azure_would_refuse_stops_provision_and_preview_with_the_parameters_field(
        emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, {**NULL_TEMPLATE, "minReplicas": 3, "maxReplicas": 1, "containerMemory": "lots",
                                "environmentVariables": [{"name": 1}, "X=1"], "defaultCommands": []})
    group = _group(arm)
    mark = arm.mark()
    for extra in ((), ("--preview",)):
        stderr = _refused(provision(emulator, tmp_path, group, *extra), arm, mark)
        assert "The workspace has 5 problems" in stderr
        assert "parameters.minReplicas.value: Azure needs minReplicas <= maxReplicas: minReplicas 3 > maxReplicas 1" \
            in stderr
        assert "parameters.containerMemory.value: memory must be a quantity" in stderr
        assert "parameters.environmentVariables.value[0].name: name must be a string" in stderr
        assert "parameters.environmentVariables.value[1]: each environment variable must be an object" in stderr
        assert "parameters.defaultCommands.value: the start command's shell script is empty" in stderr
        assert "$" not in stderr.split("The workspace has")[1]  # never priced


def test_wrong_fine_tuning_files_are_blamed_on_themselves(emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    (tmp_path / "infra" / "finetuning.config.json").write_text(json.dumps({"RESOURCE_GROUP_NAME": "rg with spaces!"}))
    (tmp_path / "infra" / "provision" / "finetuning.parameters.json").write_text(json.dumps(
        {"parameters": {"storageAccountName": {"value": "Bad_Store"}}}))
    group = _group(arm)
    mark = arm.mark()
    run = provision(emulator, tmp_path, group)
    assert run.returncode == 2, run.stderr
    assert "infra/provision/finetuning.parameters.json: parameters.storageAccountName.value: Storage account names" \
        in run.stderr
    assert "infra/finetuning.config.json: RESOURCE_GROUP_NAME: Resource group names" in run.stderr
    assert "inference.bicep" not in run.stderr
    assert arm.requests_since(mark) == []


def test_preview_reports_the_preflight_too_and_registers_nothing(
        emulator: Any, arm: ArmProbe, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    group = _group(arm)
    arm.set_subscription_state(unregistered_providers=["Microsoft.Storage"])
    mark = arm.mark()
    stderr = _refused(provision(emulator, tmp_path, group, "--preview"), arm, mark)
    assert "Resource provider Microsoft.Storage is not registered" in stderr
    assert not [r for r in arm.requests_since(mark) if r["path"].endswith("/register")]
    arm.reset_subscription_state()
    again = provision(emulator, tmp_path, group, "--preview")
    assert again.returncode == 0 and last_json(again.stdout)["preview"] is True


def test_validate_names_each_bad_value_of_the_issue_with_its_field(tmp_path: Path) -> None:
    write_parameters(tmp_path, {"minReplicas": 3, "maxReplicas": 1, "containerMemory": "lots",
                                "environmentVariables": [{"name": 1}, "X=1"], "defaultCommands": []})
    run = cli_run("validate", "--workspace", str(tmp_path), "--json")
    assert run.returncode == 2, run.stderr
    problems = last_json(run.stdout)["problems"]
    assert [p.split(": ")[1] for p in problems] == [
        "parameters.minReplicas.value", "parameters.defaultCommands.value",
        "parameters.environmentVariables.value[0].name", "parameters.environmentVariables.value[1]",
        "parameters.containerMemory.value"]
    assert all(p.startswith("infra/provision/inference.parameters.json: ") for p in problems)


def test_a_preflight_question_whose_connection_drops_or_meets_a_503_is_asked_again(emulator: Any, arm: ArmProbe,
                                                                    tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    group = _group(arm)
    arm.inject_fault(r"/checkNameAvailability", drop="before", count=1, methods=["POST"])  # a read: sent again
    arm.inject_fault(r"/providers/Microsoft\.App/locations/westus3/usages", status=503, count=1, methods=["GET"])
    try:
        run = provision(emulator, tmp_path, group, "--preview")
        injected = [f["injected"] for f in arm._admin("GET", "faults")["faults"]]
    finally:
        arm.clear_faults()
    assert run.returncode == 0, run.stderr
    assert injected == [1, 1]
