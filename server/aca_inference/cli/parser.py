"""The CLI's flags, built from the operation registry (ops/registry.py): one subcommand per operation, one
flag per argument, plus the common ones its `needs` call for: --workspace, --target, --json, --verbose."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..ops.arguments import Argument
from ..ops.registry import OPERATIONS, Operation


def _cli_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """argparse turns an ArgumentTypeError into exit 2 with its words; a ValueError would lose them."""
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def _add(parser: argparse.ArgumentParser, argument: Argument) -> None:
    options: dict[str, Any] = {"help": argument.help}
    if argument.positional:
        if argument.choices:
            options["choices"] = argument.choices
        parser.add_argument(argument.name, type=_cli_type(argument.parse), **options)
        return
    names = [argument.flag, *([argument.short] if argument.short else [])]
    options["dest"] = argument.name
    if argument.kind is bool:
        options.update(action="store_true")
    else:
        options.update(type=_cli_type(argument.parse), default=argument.default)
        if argument.kind is list:
            options["action"] = "append"
        if argument.metavar:
            options["metavar"] = argument.metavar
        if argument.required:
            options["required"] = True
        if argument.choices:
            options["choices"] = argument.choices
    parser.add_argument(*names, **options)


def _common(parser: argparse.ArgumentParser, operation: Operation) -> None:
    if operation.needs != "nothing":
        parser.add_argument("--workspace", type=Path, default=Path("."),
                            help="workspace folder (default: current folder)")
    if operation.needs == "target":
        parser.add_argument("--target", choices=("local", "azure"), default="local",
                            help="local: the embedded Azure emulator (default); azure: the real cloud")
        parser.add_argument("--emulator-data-dir", type=Path, default=None, help="data dir of the local emulator")
    if operation.confirms:
        parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    parser.add_argument("--verbose", "-v", action="store_true", help="more detail (and tracebacks of unexpected errors)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aca-inference",
                                     description="Take a fine-tuned model to an inference endpoint on Azure Container Apps.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for operation in OPERATIONS:
        if not operation.cli:
            continue
        command = sub.add_parser(operation.name, help=operation.help)
        for argument in operation.arguments:
            if argument.cli:
                _add(command, argument)
        _common(command, operation)
    return parser
