"""The daemon's commands: one `acaInference.server.<name>` per operation of the registry (ops/registry.py)
that VS Code offers. A command runs through run_operation.py, imported on the first command so that the
daemon's start loads no more than the registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# pygls reads the handler's annotations at run time (get_type_hints): LanguageServer must be a real import.
from pygls.lsp.server import LanguageServer

from ..ops.registry import OPERATIONS, Operation
from . import PREFIX


def register_commands(server: LanguageServer) -> None:
    for operation in OPERATIONS:
        if operation.palette is None:
            continue

        def make(op: Operation) -> Callable[..., Awaitable[dict[str, Any]]]:
            async def handler(ls: LanguageServer, *args: Any) -> dict[str, Any]:
                from .run_operation import run_operation

                return await run_operation(ls, op, args)

            return handler

        server.command(PREFIX + operation.name)(make(operation))
