"""Deploy's preflight through the daemon (VS Code, local target, where a share without a model first gets the
demo model): an untouched AI Toolkit project is refused with every problem, and nothing reaches the share - not
its code, not the demo model either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.conftest import cli_run, last_json
from tests.deploy.test_preflight import untouched_aitoolkit_project
from tests.lsp.conftest import open_workspace, run_command
from tests.provision.arm import ArmProbe


async def test_untouched_aitoolkit_project_is_refused_from_vscode_before_the_demo_model_or_code_is_uploaded(
        lsp_client: LanguageClient, tmp_path: Path, emulator: Any) -> None:
    root = untouched_aitoolkit_project(tmp_path / "project")
    provisioned = cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                          "--resource-group", "rg-lsp-preflight", "--location", "westus3", "--yes", "--json")
    assert provisioned.returncode == 0, provisioned.stderr
    config = last_json(provisioned.stdout)["config"]
    await open_workspace(lsp_client, root, {"target": "local", "emulator": {"dataDir": str(emulator.data_dir)},
                                            "deploy": {"drainSeconds": 0.5}})
    arm = ArmProbe(emulator)
    mark = arm.mark()
    result = await run_command(lsp_client, "deploy")
    assert result["ok"] is False
    error = result["error"]
    assert error.startswith("Deploy refused before uploading anything: the app has 4 problems:")
    assert "inference/gradio_chat.py:30:32: unfilled template placeholder torch.<compute_dtype>" in error
    # The demo model the local target would seed counts as the adapter the app reads; the base model it names
    # is still missing, and the demo model is offered in its place.
    assert "reads ../models/" not in error
    assert "point the app at a model the share has: model-cache/aca-inference/tiny-phi-3-demo" in error
    assert "`aca-inference migrate`" in error
    shown = [m for m in lsp_client.messages if m.type == lsp.MessageType.Error]
    assert [m.message for m in shown][-1] == "Deploy refused before uploading anything: the app has 4 problems:"
    assert arm.writes_since(mark, port="files") == [] and arm.writes_since(mark) == []
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    assert not (share / "model-cache").exists() and not (share / "inference").exists()
