"""Provision through the daemon over real stdio: the test client answers the quick picks, the input boxes
and the confirmation like VS Code would, and sees progress, output lines and the config written."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.conftest import NULL_TEMPLATE, write_parameters
from tests.lsp.conftest import open_workspace, run_command


def _get(params: Any, name: str) -> Any:
    return params.get(name) if isinstance(params, dict) else getattr(params, name)


def answer_like_a_user(client: LanguageClient, *, group_choice: str, inputs: list[str], confirm: str = "Provision"):
    asked: dict[str, list[Any]] = {"picks": [], "inputs": [], "confirm": []}

    @client.feature("acaInference/showQuickPick")
    def quick_pick(ls: LanguageClient, params: Any) -> dict[str, Any]:
        items = [dict(i) if isinstance(i, dict) else {k: getattr(i, k) for k in ("label", "value", "description")}
                 for i in _get(params, "items")]
        asked["picks"].append((_get(params, "title"), items))
        if "subscription" in _get(params, "title"):
            return {"value": items[0]["value"]}
        wanted = next(i for i in items if i["label"].startswith(group_choice) or i["value"] == group_choice)
        return {"value": wanted["value"]}

    @client.feature("acaInference/showInputBox")
    def input_box(ls: LanguageClient, params: Any) -> str:
        asked["inputs"].append(_get(params, "prompt"))
        return inputs.pop(0)

    @client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def message_request(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem | None:
        asked["confirm"].append(params.message)
        return lsp.MessageActionItem(title=confirm) if params.actions else None

    return asked


async def test_provision_asks_subscription_and_group_then_writes_the_config(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    asked = answer_like_a_user(lsp_client, group_choice="Create new resource group", inputs=["rg-from-vscode", "westus3"])
    await open_workspace(lsp_client, tmp_path, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}})
    result = await run_command(lsp_client, "provision")
    assert result["ok"] is True, result
    titles = [title for title, _ in asked["picks"]]
    assert titles == ["Select the subscription for inference", "Select the resource group for inference"]
    assert asked["picks"][0][1][0]["value"] == emulator.subscription_id
    assert asked["inputs"] == ["Name of the new resource group", "Location of the new resource group"]
    assert any("Provision will create or update 7 resource(s)" in m for m in asked["confirm"])
    config = json.loads((tmp_path / "infra" / "inference.config.json").read_text())
    assert config["RESOURCE_GROUP_NAME"] == "rg-from-vscode"
    assert config["ACA_APP_ENDPOINT"].startswith("http://127.0.0.1:")
    logged = "\n".join(m.message for m in lsp_client.log_messages)
    assert "Created storage account" in logged and "https://portal.azure.com/#@/resource/subscriptions/" in logged
    reports = [v for values in lsp_client.progress_reports.values() for v in values]
    assert any(getattr(v, "kind", "") == "begin" and v.title == "Provisioning Azure Container Apps for inference"
               for v in reports)
    percentages = [v.percentage for v in reports if getattr(v, "kind", "") == "report" and v.percentage is not None]
    assert percentages and percentages == sorted(percentages) and percentages[-1] == 100


async def test_fine_tuning_subscription_and_group_are_listed_first_and_marked(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    from tests.provision.finetuning import prepare_finetuning

    prepare_finetuning(emulator, tmp_path, "rg-ft-marked")
    write_parameters(tmp_path, NULL_TEMPLATE)
    asked = answer_like_a_user(lsp_client, group_choice="rg-ft-marked", inputs=[])
    await open_workspace(lsp_client, tmp_path, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}})
    result = await run_command(lsp_client, "preview")
    assert result["ok"] is True and result["preview"] is True, result
    subscription_items, group_items = asked["picks"][0][1], asked["picks"][1][1]
    assert subscription_items[0]["description"] == "used for fine-tuning"
    assert group_items[0]["label"] == "rg-ft-marked" and group_items[0]["description"] == "used for fine-tuning"
    assert group_items[-1]["label"].startswith("Create new resource group")


async def test_declining_the_confirmation_changes_nothing(lsp_client: LanguageClient, tmp_path: Path,
                                                          emulator: Any) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)
    answer_like_a_user(lsp_client, group_choice="Create new resource group", inputs=["rg-declined", "westus3"],
                       confirm="Cancel")
    await open_workspace(lsp_client, tmp_path, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}})
    result = await run_command(lsp_client, "provision")
    assert result["ok"] is False and "cancelled" in result["error"]
    assert not (tmp_path / "infra" / "inference.config.json").exists()


async def test_azure_target_without_sign_in_says_how_to_sign_in(lsp_client: LanguageClient, tmp_path: Path) -> None:
    write_parameters(tmp_path, NULL_TEMPLATE)

    @lsp_client.feature("acaInference/getAccessToken")
    def no_token(ls: LanguageClient, params: Any) -> None:
        return None

    await open_workspace(lsp_client, tmp_path, {"target": "azure"})
    result = await run_command(lsp_client, "provision")
    assert result["ok"] is False
    assert "sign in" in result["error"].lower()
    assert any(m.type == lsp.MessageType.Error and "sign in" in m.message.lower() for m in lsp_client.messages)


async def test_cancel_half_way_launches_nothing_new_and_a_rerun_converges(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    from tests.provision.arm import ArmProbe

    arm = ArmProbe(emulator)
    arm.ensure_group("rg-cancelled")
    write_parameters(tmp_path, NULL_TEMPLATE)
    answer_like_a_user(lsp_client, group_choice="rg-cancelled", inputs=[])
    await open_workspace(lsp_client, tmp_path, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)}})
    # A slow environment keeps one branch in flight while the user cancels.
    arm.set_durations(managed_environment=1500.0)
    try:
        running = asyncio.create_task(run_command(lsp_client, "provision"))
        token = None
        for _ in range(300):
            for key, values in lsp_client.progress_reports.items():
                if any("Created storage account" in (getattr(v, "message", "") or "") for v in values):
                    token = key
            if token is not None:
                break
            await asyncio.sleep(0.05)
        assert token is not None, "provision never reported the storage account"
        lsp_client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
        result = await running
    finally:
        arm.set_durations(managed_environment=240.0)
    assert result["ok"] is False and "Provision cancelled" in result["error"]
    assert "not done: " in result["error"] and "aiacaapp" in result["error"].split("not done: ")[1]
    assert not (tmp_path / "infra" / "inference.config.json").exists()

    rerun = await run_command(lsp_client, "provision")
    assert rerun["ok"] is True, rerun
    actions = {row["resource"]: row["action"] for row in rerun["plan"]}
    assert actions["storage account"] == "reuse" and actions["Container Apps environment"] == "reuse"
    assert actions["container app"] == "create"
    assert (tmp_path / "infra" / "inference.config.json").exists()
