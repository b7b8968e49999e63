"""The daemon's commands (`acaInference.server.<name>`): each builds an OperationContext and runs one
operation; user-facing errors become an error notification plus the lines in the output panel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ..errors import UserFacingError
from ..ops.context import OperationContext, TargetSettings
from .reporter import GET_ACCESS_TOKEN, LspReporter
from .server import AcaInferenceServer
from .settings import read_settings

PREFIX = "acaInference.server."
Operation = Callable[[OperationContext], Awaitable[dict[str, Any]]]
logger = logging.getLogger(__name__)


def workspace_root(server: AcaInferenceServer) -> Path | None:
    folders = list(server.workspace.folders.values())
    if folders:
        path = to_fs_path(folders[0].uri)
        return Path(path) if path else None
    return Path(server.workspace.root_path) if server.workspace.root_path else None


def _token_provider(server: AcaInferenceServer) -> Callable[[list[str]], Awaitable[tuple[str, int]]]:
    async def provide(scopes: list[str]) -> tuple[str, int]:
        answer = await server.protocol.send_request_async(GET_ACCESS_TOKEN, {"scopes": scopes})
        token = answer.get("token") if isinstance(answer, dict) else getattr(answer, "token", None)
        expires = answer.get("expiresOnTimestamp") if isinstance(answer, dict) else getattr(answer, "expiresOnTimestamp", 0)
        if not token:
            from ..errors import InputError

            raise InputError("Not signed in to Azure: sign in with the Accounts menu (Microsoft account), then run the command again.")
        return str(token), int(expires or 0)

    return provide


CHANGING = {"provision", "deploy", "rollback", "delete", "migrate"}  # one at a time per workspace, with the CLI too


async def _run(server: AcaInferenceServer, operation: Operation, name: str = "") -> dict[str, Any]:
    reporter = LspReporter(server)
    root = workspace_root(server)
    if root is None:
        message = "Open a folder (the fine-tuning project) first: the command works on its infra/ files."
        await reporter.notify(message, level="error")
        return {"ok": False, "error": message}
    try:
        settings = await read_settings(server)
        reporter.log_level = settings.log_level  # type: ignore[assignment]
        context = OperationContext(
            root=root, reporter=reporter,
            target=TargetSettings(kind=settings.target,  # type: ignore[arg-type]
                                  emulator_data_dir=settings.emulator_data_dir,
                                  token_provider=_token_provider(server)),
            readiness_timeout=settings.readiness_timeout,
            drain_seconds=settings.drain_seconds, keep_releases=settings.keep_releases,
            # Offline in VS Code there is no fine-tuning job: give the local app the demo model to serve.
            seed_demo_model=settings.target == "local")
        with contextlib.ExitStack() as stack:
            if name in CHANGING:
                from ..workspace.lock import workspace_lock

                if (note := stack.enter_context(workspace_lock(root, name))) is not None:
                    reporter.log(note, "warning")
            result = await operation(context)
        result.setdefault("ok", True)
        return result
    except UserFacingError as error:
        reporter.log(str(error), "error")
        first_line = str(error).splitlines()[0]
        server.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=first_line))
        return {"ok": False, "error": str(error)}
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - never let a traceback reach the user as the answer
        logger.error("unexpected error\n%s", traceback.format_exc())
        message = f"Unexpected error ({type(error).__name__}): {error}"
        reporter.log(message, "error")
        server.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=message))
        return {"ok": False, "error": message}


async def _validate(context: OperationContext) -> dict[str, Any]:
    from ..ops.validate import validate

    return await validate(context.root, context.reporter)


async def _provision(context: OperationContext) -> dict[str, Any]:
    from ..ops.provision import ProvisionRequest, provision

    return await provision(context, ProvisionRequest(always_pick=True))


async def _preview(context: OperationContext) -> dict[str, Any]:
    from ..ops.provision import ProvisionRequest, provision

    return await provision(context, ProvisionRequest(preview=True, always_pick=True))


async def _deploy(context: OperationContext) -> dict[str, Any]:
    from ..ops.deploy import deploy

    return await deploy(context)


async def _rollback(context: OperationContext) -> dict[str, Any]:
    from ..ops.deploy.rollback import rollback

    return await rollback(context)


async def _logs(context: OperationContext) -> dict[str, Any]:
    from ..ops.logs import show_logs

    return await show_logs(context, follow=True, tail=200)


async def _status(context: OperationContext) -> dict[str, Any]:
    from ..ops.status import show_status

    return await show_status(context)


async def _delete(context: OperationContext) -> dict[str, Any]:
    from ..ops.teardown import delete_app

    return await delete_app(context)


async def _migrate(context: OperationContext) -> dict[str, Any]:
    from ..ops.migrate import migrate

    return await migrate(context, preview=False)


OPERATIONS: dict[str, Operation] = {
    "validate": _validate,
    "provision": _provision,
    "preview": _preview,
    "deploy": _deploy,
    "rollback": _rollback,
    "logs": _logs,
    "status": _status,
    "delete": _delete,
    "migrate": _migrate,
}


def register_commands(server: AcaInferenceServer) -> None:
    for name, operation in OPERATIONS.items():
        def make(op: Operation, command: str) -> Callable[..., Awaitable[dict[str, Any]]]:
            async def handler(ls: AcaInferenceServer, *args: Any) -> dict[str, Any]:
                return await _run(ls, op, command)

            return handler

        server.command(PREFIX + name)(make(operation, name))
