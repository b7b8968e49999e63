"""Parsed flags -> one operation run from the registry (ops/registry.py). No Azure here."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..azure.target import TargetSettings
from ..ops.context import OperationContext
from ..ops.registry import Operation, apply
from ..ops.results import OperationResult
from .reporter import CliReporter


def _context(args: argparse.Namespace, reporter: CliReporter) -> OperationContext:
    target = TargetSettings(kind=getattr(args, "target", "local"),
                            emulator_data_dir=getattr(args, "emulator_data_dir", None))
    # Operations that need no workspace (init, emulator, make-demo-model) get the current folder and ignore it.
    root = getattr(args, "workspace", None) or Path(".")
    return OperationContext(root=root.resolve(), reporter=reporter, target=target)


async def run_operation(operation: Operation, args: argparse.Namespace, reporter: CliReporter) -> OperationResult:
    values = {argument.name: getattr(args, argument.name, None) for argument in operation.arguments}
    return await apply(operation, _context(args, reporter), values)
