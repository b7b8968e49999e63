"""The operation registry (ops/registry.py) is the one table of commands: the CLI, the daemon and the VS Code
client's palette all follow it, so a command added there (and in package.json) cannot drift."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from aca_inference.cli.parser import build_parser
from aca_inference.errors import InputError
from aca_inference.lsp.commands import PREFIX
from aca_inference.lsp.run_operation import named_arguments
from aca_inference.lsp.server import build_server
from aca_inference.ops.registry import BY_NAME, OPERATIONS, apply

REPO = Path(__file__).resolve().parent.parent
PALETTE = [operation for operation in OPERATIONS if operation.palette is not None]


VIEW_COMMAND = "acaInference.view."  # the Inference App view's own actions on a tree item (client-ts/src/appView.ts)


def test_package_json_palette_lists_every_palette_operation_with_its_title() -> None:
    contributed = json.loads((REPO / "package.json").read_text())["contributes"]["commands"]
    palette = {c["command"]: c["title"] for c in contributed if not c["command"].startswith(VIEW_COMMAND)}
    assert palette == {o.palette: o.title for o in PALETTE}


def test_the_app_views_own_commands_stay_out_of_the_palette_and_are_registered_by_the_client() -> None:
    manifest = json.loads((REPO / "package.json").read_text())["contributes"]
    view_commands = {c["command"] for c in manifest["commands"] if c["command"].startswith(VIEW_COMMAND)}
    hidden = {m["command"] for m in manifest["menus"]["commandPalette"] if m.get("when") == "false"}
    assert view_commands and view_commands <= hidden
    source = (REPO / "client-ts" / "src" / "appView.ts").read_text()
    table = source[source.index("VIEW_COMMANDS = {"):]
    assert set(re.findall(r"'(acaInference\.view\.\w+)'", table[:table.index("}")])) == view_commands


def test_client_runs_each_palette_command_as_its_server_command() -> None:
    source = (REPO / "client-ts" / "src" / "commands.ts").read_text()
    table = source[source.index("PALETTE_COMMANDS"):]
    table = table[:table.index("};")]
    assert dict(re.findall(r"'([\w.]+)':\s*'([\w-]+)'", table)) == {o.palette: o.name for o in PALETTE}


def test_daemon_registers_one_command_per_palette_operation() -> None:
    server = build_server()
    assert set(server.protocol.fm.commands) == {PREFIX + o.name for o in PALETTE}


def test_cli_offers_every_cli_operation_and_each_argument_as_a_flag() -> None:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[union-attr]
    assert list(subcommands) == [o.name for o in OPERATIONS if o.cli]
    for operation in OPERATIONS:
        if not operation.cli:
            continue
        offered = {action.dest for action in subcommands[operation.name]._actions}
        assert {a.name for a in operation.arguments if a.cli} <= offered, operation.name


def test_named_arguments_of_a_server_command_are_checked_like_the_flags() -> None:
    rollback, logs = BY_NAME["rollback"], BY_NAME["logs"]
    assert named_arguments(rollback, ({"to": "r2", "timeout": 30},)) == {"to": "r2", "timeout": 30.0}
    assert named_arguments(logs, ()) == {"follow": True, "tail": 200}
    with pytest.raises(InputError, match="must be zero or more lines"):
        named_arguments(logs, ({"tail": -1},))
    with pytest.raises(InputError, match="no argument 'bogus'"):
        named_arguments(logs, ({"bogus": 1},))
    with pytest.raises(InputError, match="true or false"):
        named_arguments(logs, ({"follow": "yes"},))


def test_context_arguments_set_the_context_and_the_rest_reach_the_handler(tmp_path: Path) -> None:
    from dataclasses import replace

    from aca_inference.ops.context import OperationContext

    seen = {}

    async def handler(context: OperationContext, **values: object) -> dict[str, object]:
        seen.update(values)
        return {"timeout": context.readiness_timeout, "include": context.deploy_include}

    operation = replace(BY_NAME["rollback"], handler=handler)
    context = OperationContext(root=tmp_path, reporter=None)  # type: ignore[arg-type]
    result = asyncio.run(apply(operation, context, {"timeout": 5.0}))
    assert result == {"timeout": 5.0, "include": ("inference",)} and seen == {"to": None}


def test_daemon_start_loads_the_registry_and_no_operation() -> None:
    import subprocess
    import sys

    code = ("import sys; from aca_inference.lsp.server import build_server; build_server(); "
            "print(sorted(m for m in sys.modules if m.startswith('aca_inference.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == str(["aca_inference.lsp", "aca_inference.lsp.commands", "aca_inference.lsp.server",
                          "aca_inference.ops", "aca_inference.ops.arguments", "aca_inference.ops.registry"])
