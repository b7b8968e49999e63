"""One run of a daemon command: the operation's context from the client's settings, its named arguments
checked, the workspace lock for changing operations; user-facing errors become an error notification plus
the lines in the output panel.

Imported on the first command, not at start: `initialize` answers before any of this is loaded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from ..errors import InputError, UserFacingError
from ..ops.registry import Operation, apply
from . import PREFIX
from .app_view import feed_of
from .operation_context import operation_context, workspace_root
from .reporter import LspReporter
from .settings import read_settings

logger = logging.getLogger(__name__)


async def run_operation(server: LanguageServer, operation: Operation, given: tuple[Any, ...]) -> dict[str, Any]:
    reporter = LspReporter(server)
    root = workspace_root(server)
    if root is None:
        message = "Open a folder (the fine-tuning project) first: the command works on its infra/ files."
        await reporter.notify(message, level="error")
        return {"ok": False, "error": message}
    feed = feed_of(server)
    changing = False
    try:
        values = named_arguments(operation, given)
        settings = await read_settings(server)
        reporter.log_level = settings.log_level  # type: ignore[assignment]
        context = operation_context(server, root, reporter, settings)
        changing = operation.changes_workspace_with(values)
        if changing:  # the app view shows it running ("Deploying 45 %") and reads the app again once it ends
            reporter.progress_listener = feed.operation_started(operation.name)
        with contextlib.ExitStack() as stack:
            # One changing operation at a time per workspace, with the CLI too.
            if operation.changes_workspace_with(values):
                from ..workspace.lock import workspace_lock

                if (note := stack.enter_context(workspace_lock(root, operation.name))) is not None:
                    reporter.log(note, "warning")
            answer = await apply(operation, context, values)
        result = {**answer.as_json(), "ok": answer.ok}
        if operation.name == "status":
            feed.status_read(result)
        return result
    except UserFacingError as error:
        reporter.log(str(error), "error")
        severity = lsp.MessageType[error.kind.severity]  # from the kind: a cancel is not shown as an error
        server.window_show_message(lsp.ShowMessageParams(type=severity, message=error.summary))
        return {"ok": False, "error": str(error), **error.as_json()}
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - never let a traceback reach the user as the answer
        logger.error("unexpected error\n%s", traceback.format_exc())
        message = f"Unexpected error ({type(error).__name__}): {error}"
        reporter.log(message, "error")
        server.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=message))
        return {"ok": False, "error": message}
    finally:
        if changing:
            feed.operation_ended()


def named_arguments(operation: Operation, given: tuple[Any, ...]) -> dict[str, Any]:
    """`arguments: []` runs the palette command as is; `[{"to": "r2"}]` names the operation's arguments
    (the same ones the CLI offers as flags), each checked like its flag."""
    values = dict(operation.palette_values)
    if not given:
        return values
    if len(given) > 1 or not isinstance(given[0], dict):
        raise InputError(f"{PREFIX}{operation.name} takes no arguments or one object of named arguments, e.g. "
                         f"{{\"{operation.arguments[0].name if operation.arguments else 'name'}\": ...}}.")
    known = {argument.name: argument for argument in operation.arguments}
    for name, value in given[0].items():
        if name not in known:
            raise InputError(f"{PREFIX}{operation.name}: no argument '{name}'. It takes: "
                             f"{', '.join(known) or 'none'}.")
        try:
            values[name] = known[name].from_json(value)
        except ValueError as error:
            raise InputError(f"{PREFIX}{operation.name}: {error}") from None
    return values
