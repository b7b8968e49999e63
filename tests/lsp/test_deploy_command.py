"""Deploy through the daemon over real stdio: progress, the endpoint notification with its two buttons,
Go to Inference Endpoint opening the browser (showDocument, external) and the URL in the output panel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.deploy.conftest import make_workspace, provision_workspace
from tests.lsp.conftest import open_workspace, run_command


async def test_deploy_offers_the_endpoint_and_opens_it_in_the_browser(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    root = make_workspace(tmp_path)
    config = provision_workspace(emulator, root, "rg-lsp-deploy")
    offered: list[lsp.ShowMessageRequestParams] = []

    @lsp_client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def click(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem:
        offered.append(params)
        return lsp.MessageActionItem(title="Go to Inference Endpoint")

    await open_workspace(lsp_client, root, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)},
                                                "deploy": {"drainSeconds": 0.5}})
    result = await run_command(lsp_client, "deploy")
    assert result["ok"] is True, result
    endpoint = config["ACA_APP_ENDPOINT"]
    assert result["endpoint"] == endpoint
    for _ in range(50):
        if lsp_client.shown_documents:
            break
        await asyncio.sleep(0.1)
    assert offered[0].message == f"Inference endpoint is ready: {endpoint}"
    assert [a.title for a in offered[0].actions or []] == ["Go to Inference Endpoint", "Copy API Key"]
    assert [(d.uri, d.external) for d in lsp_client.shown_documents] == [(endpoint, True)]
    logged = "\n".join(m.message for m in lsp_client.log_messages)
    assert f"Inference endpoint: {endpoint}" in logged
    reports = [v for values in lsp_client.progress_reports.values() for v in values]
    assert any(getattr(v, "title", "") == "Deploying for inference" for v in reports)


async def test_copy_api_key_goes_to_the_clipboard_and_never_to_the_output(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    root = make_workspace(tmp_path)
    provision_workspace(emulator, root, "rg-lsp-copykey")
    copied: list[str] = []

    @lsp_client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def click(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> lsp.MessageActionItem:
        return lsp.MessageActionItem(title="Copy API Key")

    @lsp_client.feature("acaInference/copyToClipboard")
    def clipboard(ls: LanguageClient, params: Any) -> None:
        copied.append(params["text"] if isinstance(params, dict) else params.text)

    await open_workspace(lsp_client, root, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)},
                                                "deploy": {"drainSeconds": 0.5}})
    assert (await run_command(lsp_client, "deploy"))["ok"] is True
    for _ in range(50):
        if copied:
            break
        await asyncio.sleep(0.1)
    assert len(copied) == 1 and len(copied[0]) >= 32
    everything_shown = "\n".join([m.message for m in lsp_client.log_messages] + [m.message for m in lsp_client.messages])
    assert copied[0] not in everything_shown


async def test_local_deploy_from_vscode_gives_the_app_the_demo_model_once(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    from tests.provision.arm import ArmProbe

    root = make_workspace(tmp_path)
    config = provision_workspace(emulator, root, "rg-lsp-seed")
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])

    @lsp_client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def dismiss(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> None:
        return None

    await open_workspace(lsp_client, root, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)},
                                                "deploy": {"drainSeconds": 0.5}})
    assert (await run_command(lsp_client, "deploy"))["ok"] is True
    assert (share / "model-cache" / "aca-inference" / "tiny-phi-3-demo" / "config.json").exists()
    adapter = share / "models" / "qlora" / "qlora" / "gpu_model" / "adapter" / "adapter_config.json"
    seeded_at = adapter.stat().st_mtime_ns
    assert (await run_command(lsp_client, "deploy"))["ok"] is True
    assert adapter.stat().st_mtime_ns == seeded_at


async def test_streaming_logs_follow_the_app_until_cancelled(lsp_client: LanguageClient, tmp_path: Path,
                                                             emulator: Any) -> None:
    root = make_workspace(tmp_path)
    provision_workspace(emulator, root, "rg-lsp-logs")

    @lsp_client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def dismiss(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> None:
        return None

    await open_workspace(lsp_client, root, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)},
                                                "deploy": {"drainSeconds": 0.5}})
    assert (await run_command(lsp_client, "deploy"))["ok"] is True
    streaming = asyncio.create_task(run_command(lsp_client, "logs"))
    token = None
    for _ in range(200):
        token = next((key for key, values in lsp_client.progress_reports.items()
                      if any("Streaming logs" in (getattr(v, "title", "") or "") for v in values)), None)
        if token is not None and any("tiny app:" in m.message for m in lsp_client.log_messages):
            break
        await asyncio.sleep(0.05)
    assert token is not None
    lsp_client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(streaming, timeout=10)
    assert result["ok"] is True and result["lines"] >= 1
    assert any("tiny app: listening on" in m.message for m in lsp_client.log_messages)


async def test_roll_back_from_the_palette_brings_the_previous_release_back(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    import urllib.request

    root = make_workspace(tmp_path)
    config = provision_workspace(emulator, root, "rg-lsp-rollback")

    @lsp_client.feature(lsp.WINDOW_SHOW_MESSAGE_REQUEST)
    def dismiss(ls: LanguageClient, params: lsp.ShowMessageRequestParams) -> None:
        return None

    await open_workspace(lsp_client, root, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)},
                                            "deploy": {"drainSeconds": 0.5}})
    first = await run_command(lsp_client, "deploy")
    (root / "inference" / "message.txt").write_text("the broken second version\n")
    second = await run_command(lsp_client, "deploy")
    assert first["ok"] and second["ok"] and second["release"] != first["release"]
    result = await run_command(lsp_client, "rollback")
    assert result["ok"] is True and result["release"] == first["release"], result
    with urllib.request.urlopen(config["ACA_APP_ENDPOINT"] + "/", timeout=10) as response:
        assert response.read() == b"hello from version 1\n"
    assert any(f"Rolled back to release {first['release']}" in m.message for m in lsp_client.messages)
