"""Provision's preflight through the daemon, as VS Code runs it: each refusal arrives as the command's error
with the fix, nothing is written to ARM; registering a provider is a question the user answers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.conftest import NULL_TEMPLATE, write_parameters
from tests.lsp.conftest import open_workspace, run_command
from tests.provision.arm import ArmProbe


def _answer(client: LanguageClient, group: str, *, register: bool) -> list[str]:
    """Pick the emulator's subscription and `group`; agree to register (or not) and to the plan."""
    asked: list[str] = []

    @client.feature("acaInference/showQuickPick")
    def quick_pick(ls: LanguageClient, params: Any) -> dict[str, Any]:
        items = [dict(i) if isinstance(i, dict) else {"label": i.label, "value": i.value} for i in
                 (params.get("items") if isinstance(params, dict) else params.items)]
        return {"value": next((i["value"] for i in items if i["label"] == group), items[0]["value"])}

    @client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def message_request(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
        asked.append(params.message)
        titles = [a.title for a in params.actions or []]
        wanted = "Register" if "Register" in titles and register else "Provision" if "Provision" in titles else None
        return lsp.MessageActionItem(title=wanted or "Cancel") if titles else None

    return asked


def _wrong_finetuning_files(root: Path) -> None:
    (root / "infra" / "finetuning.config.json").write_text(json.dumps({"RESOURCE_GROUP_NAME": "rg?bad"}))
    (root / "infra" / "provision" / "finetuning.parameters.json").write_text(json.dumps(
        {"parameters": {"storageAccountName": {"value": "UPPER_case"}}}))


CASES: dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]] = {
    # name: (parameters, subscription state, what the error says)
    "provider-declined": (NULL_TEMPLATE, {"unregistered_providers": ["Microsoft.App"]},
                          ["Provision cancelled: Microsoft.App not registered; nothing was changed."]),
    "profile-not-offered": (NULL_TEMPLATE, {"offered_workload_profiles": {"westus3": ["Consumption"],
                                                                          "australiaeast": ["Consumption"]}},
                            ["is not offered in westus3", "Locations that offer it: australiasoutheast, "]),
    "quota": ({**NULL_TEMPLATE, "workloadProfileType": "NC24-A100", "maximumInstanceCount": 3}, {"gpu_quota": {"westus3": {"SubscriptionNCA100Gpus": 2}}},
              ["needs 3 GPU(s) of 'Subscription NCA 100 GPUs'", "QuotaMenuBlade"]),
    "name-taken": ({**NULL_TEMPLATE, "storageAccountName": "takenindaemon1"},
                   {"taken_storage_names": ["takenindaemon1"]}, ["parameters.storageAccountName.value",
                                                                 "cannot be used: AlreadyExists"]),
    "no-permission": (NULL_TEMPLATE, {"permissions": [{"actions": ["*/read"], "notActions": []}]},
                      ["You may not write to resource group", "Contributor role"]),
    "body-rules": ({**NULL_TEMPLATE, "minReplicas": 3, "maxReplicas": 1, "environmentVariables": ["X=1"]}, {},
                   ["parameters.minReplicas.value: Azure needs minReplicas <= maxReplicas",
                    "parameters.environmentVariables.value[0]: each environment variable must be an object"]),
    "fine-tuning-files": (NULL_TEMPLATE, {}, [
        "infra/provision/finetuning.parameters.json: parameters.storageAccountName.value: Storage account names",
        "infra/finetuning.config.json: RESOURCE_GROUP_NAME: Resource group names"]),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_each_refusal_reaches_vs_code_with_the_fix_and_nothing_written(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any, case: str) -> None:
    parameters, state, said = CASES[case]
    arm = ArmProbe(emulator)
    group = f"rg-dpf-{uuid.uuid4().hex[:6]}"
    arm.ensure_group(group)
    write_parameters(tmp_path, parameters)
    if case == "fine-tuning-files":
        _wrong_finetuning_files(tmp_path)
    _answer(lsp_client, group, register=False)
    await open_workspace(lsp_client, tmp_path, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}})
    arm.set_subscription_state(**state)
    try:
        mark = arm.mark()
        result = await run_command(lsp_client, "provision")
    finally:
        arm.reset_subscription_state()
    assert result["ok"] is False, result
    for words in said:
        assert words in result["error"], result["error"]
    assert arm.writes_since(mark) == []
    assert not (tmp_path / "infra" / "inference.config.json").exists()


async def test_agreeing_to_register_registers_then_provisions(lsp_client: LanguageClient, tmp_path: Path,
                                                              emulator: Any) -> None:
    arm = ArmProbe(emulator)
    group = f"rg-dpf-{uuid.uuid4().hex[:6]}"
    arm.ensure_group(group)
    write_parameters(tmp_path, NULL_TEMPLATE)
    asked = _answer(lsp_client, group, register=True)
    await open_workspace(lsp_client, tmp_path, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}})
    arm.set_subscription_state(unregistered_providers=["Microsoft.Storage"])
    try:
        result = await run_command(lsp_client, "provision")
    finally:
        arm.reset_subscription_state()
    assert result["ok"] is True, result
    assert any("Register Microsoft.Storage now?" in message for message in asked)
    assert json.loads((tmp_path / "infra" / "inference.config.json").read_text())["RESOURCE_GROUP_NAME"] == group


async def test_serverless_quota_short_of_the_release_overlap_is_a_warning_in_the_output(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    arm = ArmProbe(emulator)
    group = f"rg-dpf-{uuid.uuid4().hex[:6]}"
    arm.ensure_group(group)
    write_parameters(tmp_path, {**NULL_TEMPLATE, "workloadProfileType": "Consumption-GPU-NC24-A100", "maxReplicas": 1})
    _answer(lsp_client, group, register=False)
    await open_workspace(lsp_client, tmp_path, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}})
    arm.set_subscription_state(gpu_quota={"westus3": {"SubscriptionConsumptionNCA100Gpus": 1}})
    try:
        result = await run_command(lsp_client, "provision")
    finally:
        arm.reset_subscription_state()
    assert result["ok"] is True, result
    warnings = [m.message for m in lsp_client.log_messages if m.type == lsp.MessageType.Warning]
    assert any("deploys will fall back to a restart" in w and "SubscriptionConsumptionNCA100Gpus" in w
               for w in warnings), warnings
