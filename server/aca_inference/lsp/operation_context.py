"""The context an operation runs with in the daemon: the workspace folder, the client's settings, tokens from
VS Code's Microsoft sign-in; and an operation run quietly for the app view (app_view.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from ..azure.target import TargetSettings
from ..errors import InputError
from ..ops.context import OperationContext
from ..ops.registry import apply
from ..ops.reporter import Reporter
from .reporter import GET_ACCESS_TOKEN, QuietReporter
from .settings import DaemonSettings, read_settings


def workspace_root(server: LanguageServer) -> Path | None:
    folders = list(server.workspace.folders.values())
    if folders:
        path = to_fs_path(folders[0].uri)
        return Path(path) if path else None
    return Path(server.workspace.root_path) if server.workspace.root_path else None


def token_provider(server: LanguageServer, *, silent: bool = False) -> Callable[[list[str]], Awaitable[tuple[str, int]]]:
    """`silent`: a background read (the app view's poll) takes a session VS Code already has and never opens a
    sign-in; without one it fails with the sign-in message."""
    async def provide(scopes: list[str]) -> tuple[str, int]:
        answer = await server.protocol.send_request_async(GET_ACCESS_TOKEN, {"scopes": scopes, "silent": silent})
        token = answer.get("token") if isinstance(answer, dict) else getattr(answer, "token", None)
        expires = answer.get("expiresOnTimestamp") if isinstance(answer, dict) else getattr(answer, "expiresOnTimestamp", 0)
        if not token:
            raise InputError("Not signed in to Azure: sign in with the Accounts menu (Microsoft account), then run the command again.")
        return str(token), int(expires or 0)

    return provide


def operation_context(server: LanguageServer, root: Path, reporter: Reporter, settings: DaemonSettings, *,
                      silent: bool = False) -> OperationContext:
    """The context an operation runs with, from the client's settings."""
    return OperationContext(
        root=root, reporter=reporter,
        target=TargetSettings(kind=settings.target,  # type: ignore[arg-type]
                              emulator_data_dir=settings.emulator_data_dir,
                              token_provider=token_provider(server, silent=silent)),
        readiness_timeout=settings.readiness_timeout,
        drain_seconds=settings.drain_seconds, keep_releases=settings.keep_releases,
        # Offline in VS Code there is no fine-tuning job: give the local app the demo model to serve.
        seed_demo_model_if_missing=settings.target == "local")


async def run_quietly(server: LanguageServer, name: str, values: dict[str, Any], *, silent: bool) -> dict[str, Any]:
    """An operation of the registry run for the app view: no log line, no toast, never a question; errors raise."""
    from ..ops.registry import BY_NAME

    root = workspace_root(server)
    if root is None:
        raise InputError("Open a folder (the fine-tuning project) first: the app view reads its infra/ files.")
    settings = await read_settings(server)
    context = operation_context(server, root, QuietReporter(), settings, silent=silent)
    return (await apply(BY_NAME[name], context, values)).as_json()
