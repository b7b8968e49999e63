"""The daemon under test runs as a real subprocess over stdio, driven by pytest-lsp's client."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities


def _server_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "aca_inference.lsp"],
                                              server_env=_server_env()))
async def lsp_client(lsp_client: LanguageClient):
    """A client that speaks like VS Code; tests call `open_workspace` to initialize on their folder."""
    yield lsp_client
    await lsp_client.shutdown_session()


async def open_workspace(client: LanguageClient, root: Path, settings: dict[str, Any] | None = None) -> None:
    client.set_configuration(settings or {"target": "local"}, section="acaInference")
    await client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
    ))


async def run_command(client: LanguageClient, name: str) -> Any:
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=f"acaInference.server.{name}", arguments=[]))
