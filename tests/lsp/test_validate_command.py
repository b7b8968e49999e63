"""Validate workspace over real stdio: every problem in the output panel, one notification."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.conftest import write_parameters
from tests.lsp.conftest import open_workspace, run_command


async def test_server_advertises_all_commands(lsp_client: LanguageClient, tmp_path: Path) -> None:
    await open_workspace(lsp_client, tmp_path)
    # executeCommandProvider lists them; unknown ones would answer "command not found" in VS Code.
    result = await run_command(lsp_client, "validate")
    assert result is not None


async def test_validate_reports_every_problem_in_the_output_panel(lsp_client: LanguageClient, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"storageAccountName": "Bad_Name", "maximumInstanceCount": "2"})
    await open_workspace(lsp_client, tmp_path)
    result = await run_command(lsp_client, "validate")
    assert result["valid"] is False and len(result["problems"]) == 2
    logged = "\n".join(m.message for m in lsp_client.log_messages)
    assert "parameters.storageAccountName.value" in logged
    assert "parameters.maximumInstanceCount.value" in logged
    errors = [m for m in lsp_client.messages if m.type == lsp.MessageType.Error]
    assert errors and "2 problems" in errors[-1].message


async def test_validate_of_a_good_workspace_says_valid(lsp_client: LanguageClient, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"acaAppName": None, "maximumInstanceCount": 2})
    await open_workspace(lsp_client, tmp_path)
    result = await run_command(lsp_client, "validate")
    assert result == {"valid": True, "problems": [], "ok": True}
    assert any("valid" in m.message for m in lsp_client.messages)


def test_daemon_start_imports_no_azure_sdk() -> None:
    code = ("import sys; from aca_inference.lsp.server import build_server; build_server(); "
            "print(sorted(m for m in sys.modules if m.startswith(('azure', 'torch', 'transformers'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_log_level_setting_hides_lines_below_it(lsp_client: LanguageClient, tmp_path: Path) -> None:
    write_parameters(tmp_path, {"acaAppName": None})
    await open_workspace(lsp_client, tmp_path, {"target": "local", "logLevel": "warning"})
    result = await run_command(lsp_client, "validate")
    assert result["valid"] is True
    assert not any("is valid" in m.message for m in lsp_client.log_messages)
    assert any("valid" in m.message for m in lsp_client.messages)


async def test_a_changing_command_is_refused_while_another_holds_the_workspace(lsp_client: LanguageClient,
                                                                            tmp_path: Path) -> None:
    """The daemon and the CLI share one lock per workspace: a deploy from VS Code while `aca-inference deploy`
    runs is refused with a message naming the other, and nothing is changed."""
    from aca_inference.workspace.lock import workspace_lock

    write_parameters(tmp_path, {"acaAppName": None})
    await open_workspace(lsp_client, tmp_path)
    with workspace_lock(tmp_path, "deploy"):  # held by this (test) process, as a running CLI would
        result = await run_command(lsp_client, "deploy")
    assert result["ok"] is False
    assert "Another command is changing workspace" in result["error"] and str(os.getpid()) in result["error"]
