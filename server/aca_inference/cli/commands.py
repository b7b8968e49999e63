"""One handler per CLI command: turn flags into an operation call. No Azure here."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ..ops.context import OperationContext, TargetSettings
from .reporter import CliReporter

Handler = Callable[[argparse.Namespace, CliReporter], Coroutine[Any, Any, dict[str, Any]]]


def _context(args: argparse.Namespace, reporter: CliReporter) -> OperationContext:
    target = TargetSettings(kind=getattr(args, "target", "local"),
                            emulator_data_dir=getattr(args, "emulator_data_dir", None))
    context = OperationContext(root=args.workspace.resolve(), reporter=reporter, target=target)
    if getattr(args, "timeout", None):
        context.readiness_timeout = args.timeout
    if getattr(args, "include", None):
        context.deploy_include = tuple(args.include)
    if getattr(args, "drain_seconds", None) is not None:
        context.drain_seconds = args.drain_seconds
    if getattr(args, "keep_releases", None) is not None:
        context.keep_releases = args.keep_releases
    context.seed_demo_model = bool(getattr(args, "demo_model", False))
    return context


async def _init(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.scaffold import init_workspace

    result = await init_workspace(args.directory.resolve(), reporter, force=args.force)
    result["summary"] = f"Workspace ready: {result['workspace']}"
    return result


async def _validate(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.validate import validate

    result = await validate(args.workspace.resolve(), reporter)
    result["ok"] = result["valid"]
    result["exit_code"] = 0 if result["valid"] else 2
    return result


async def _provision(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.provision import ProvisionRequest, provision

    request = ProvisionRequest(subscription=args.subscription, resource_group=args.resource_group,
                               location=args.location, preview=args.preview)
    return await provision(_context(args, reporter), request)


async def _deploy(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.deploy import deploy

    return await deploy(_context(args, reporter))


async def _rollback(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.deploy.rollback import rollback

    return await rollback(_context(args, reporter), to=args.to)


async def _up(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.deploy import deploy
    from ..ops.provision import ProvisionRequest, provision

    context = _context(args, reporter)
    request = ProvisionRequest(subscription=args.subscription, resource_group=args.resource_group,
                               location=args.location, preview=args.preview)
    provisioned = await provision(context, request)
    if args.preview:
        return provisioned
    deployed = await deploy(context)
    return {**deployed, "config": provisioned.get("config"), "provision": provisioned.get("plan")}


async def _logs(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.logs import show_logs

    return await show_logs(_context(args, reporter), follow=args.follow, tail=args.tail, replica=args.replica)


async def _status(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.status import show_status

    return await show_status(_context(args, reporter), show_api_key=args.show_api_key)


async def _delete(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.teardown import delete_app

    return await delete_app(_context(args, reporter))


async def _migrate(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.migrate import migrate

    return await migrate(_context(args, reporter), preview=args.preview)


async def _emulator(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.emulator import emulator_command

    return await emulator_command(args.action, args.data_dir, reporter)


async def _make_demo_model(args: argparse.Namespace, reporter: CliReporter) -> dict[str, Any]:
    from ..ops.demo import make_demo

    return await make_demo(Path(args.output).resolve(), reporter)


COMMANDS: dict[str, Handler] = {
    "init": _init,
    "validate": _validate,
    "provision": _provision,
    "up": _up,
    "deploy": _deploy,
    "rollback": _rollback,
    "logs": _logs,
    "status": _status,
    "delete": _delete,
    "migrate": _migrate,
    "emulator": _emulator,
    "make-demo-model": _make_demo_model,
}
