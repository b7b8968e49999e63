"""Every operation the front ends offer, in one table: the CLI's subcommands and flags, the daemon's
`acaInference.server.<name>` commands and their arguments, and the VS Code palette entries all come from it.

Adding a command is one `Operation` here (plus its palette entry in package.json and client-ts/src/commands.ts
when it has one; tests/test_operation_registry.py keeps those in step). Handlers import their operation when
they run: the daemon starts without loading any operation (see bench/daemon_startup.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .arguments import (
    Argument,
    line_count,
    non_negative_seconds,
    path,
    positive_seconds,
    release_count,
    switch,
)

if TYPE_CHECKING:  # the daemon imports this table at start: nothing an operation needs is loaded before it runs
    from .context import OperationContext
    from .deploy.outcome import DeployResult
    from .results import (
        DeleteResult,
        DemoModelResult,
        EmulatorResult,
        InitResult,
        LogsResult,
        MigrateResult,
        OperationResult,
        ProvisionResult,
        RollbackResult,
        StatusResult,
        ValidateResult,
    )

# handler(context, **arguments) -> the operation's typed result (results.py; `summary` is the line a terminal
# prints, `as_json()` what --json and the daemon send).
Handler = Callable[..., Awaitable["OperationResult"]]
# What an operation works on, which decides the CLI's common flags: nothing (init, emulator), the workspace's
# files (--workspace), or the workspace and Azure (--workspace, --target, --emulator-data-dir).
Needs = Literal["nothing", "workspace", "target"]


@dataclass(frozen=True)
class Operation:
    name: str                       # CLI subcommand; daemon command acaInference.server.<name>
    title: str                      # VS Code palette title
    help: str                       # CLI help line
    handler: Handler
    arguments: tuple[Argument, ...] = ()
    needs: Needs = "target"
    palette: str | None = None      # the VS Code command id; None: not offered in VS Code
    cli: bool = True
    changes_workspace: bool = False  # one at a time per workspace (CLI and daemon share the lock)
    confirms: bool = False          # asks before changing things (CLI: --yes/-y answers for the user)
    # What the palette command runs with: VS Code has no flags, so these stand in for them.
    palette_values: Mapping[str, Any] = field(default_factory=dict)
    failure_exit_code: int = 1      # CLI exit code when the result says ok: false

    def changes_workspace_with(self, values: Mapping[str, Any]) -> bool:
        """Whether this run takes the workspace lock: a preview changes nothing, so it leaves no lock file."""
        return self.changes_workspace and not values.get("preview")

    def argument(self, name: str) -> Argument:
        return next(a for a in self.arguments if a.name == name)


async def apply(operation: Operation, context: OperationContext, values: Mapping[str, Any]) -> OperationResult:
    """Run the operation: arguments meant for the context set its fields (when given), the rest go to the
    handler, every one of them present (its default when not given)."""
    handler_values: dict[str, Any] = {}
    for argument in operation.arguments:
        value = values.get(argument.name)
        if argument.destination == "context":
            if value is not None and value is not False:
                setattr(context, argument.context_field or argument.name,
                        tuple(value) if isinstance(value, list) else value)
        else:
            handler_values[argument.name] = argument.default if value is None else value
    return await operation.handler(context, **handler_values)


# --- handlers: flags in, one operation call -------------------------------------------------------------

async def _init(context: OperationContext, *, directory: Path, force: bool) -> InitResult:
    from .scaffold import init_workspace

    return await init_workspace(directory.resolve(), context.reporter, force=force)


async def _validate(context: OperationContext) -> ValidateResult:
    from .validate import validate

    return await validate(context.root, context.reporter)


async def _provision(context: OperationContext, *, subscription: str | None, resource_group: str | None,
                     location: str | None, preview: bool, always_pick: bool) -> ProvisionResult:
    from .provision import ProvisionRequest, provision

    return await provision(context, ProvisionRequest(subscription=subscription, resource_group=resource_group,
                                                     location=location, preview=preview, always_pick=always_pick))


async def _deploy(context: OperationContext) -> DeployResult:
    from .deploy import deploy

    return await deploy(context)


async def _up(context: OperationContext, **provision_values: Any) -> OperationResult:
    from .results import UpResult

    provisioned = await _provision(context, **provision_values)
    if provisioned.preview:
        return provisioned
    deployed = await _deploy(context)
    return UpResult(summary=deployed.summary, provision=provisioned, deploy=deployed)


async def _rollback(context: OperationContext, *, to: str | None) -> RollbackResult:
    from .deploy.rollback import rollback

    return await rollback(context, to=to)


async def _logs(context: OperationContext, *, follow: bool, tail: int, replica: str | None) -> LogsResult:
    from .show_logs import show_logs

    return await show_logs(context, follow=follow, tail=tail, replica=replica)


async def _status(context: OperationContext, *, show_api_key: bool) -> StatusResult:
    from .status import show_status

    return await show_status(context, show_api_key=show_api_key)


async def _delete(context: OperationContext) -> DeleteResult:
    from .teardown import delete_app

    return await delete_app(context)


async def _migrate(context: OperationContext, *, preview: bool) -> MigrateResult:
    from .migrate import migrate

    return await migrate(context, preview=preview)


async def _emulator(context: OperationContext, *, action: str, data_dir: Path | None) -> EmulatorResult:
    from .emulator import emulator_command

    return await emulator_command(action, data_dir, context.reporter)


async def _make_demo_model(context: OperationContext, *, output: Path) -> DemoModelResult:
    from .demo import make_demo

    return await make_demo(output.resolve(), context.reporter)


# --- arguments shared by several operations --------------------------------------------------------------

_PROVISION = (
    Argument("subscription", "subscription id or name"),
    Argument("resource_group", "resource group name (created in --location if missing)"),
    Argument("location", "Azure region for a new resource group and the resources"),
    switch("preview", "print the plan and change nothing"),
    # The palette always offers the pickers (with the remembered choice first); the CLI only asks when needed.
    Argument("always_pick", "offer the subscription and group pickers even when there is one choice",
             kind=bool, default=False, cli=False),
)
_SWITCH = (
    Argument("timeout", "seconds to wait for the endpoint (default 900)", parse=positive_seconds, kind=float,
             destination="context", context_field="readiness_timeout"),
    Argument("drain_seconds", "seconds the previous revision keeps serving after the traffic moved, before it is "
                              "deactivated (default 20)", parse=non_negative_seconds, kind=float,
             destination="context"),
)
_DEPLOY = (
    *_SWITCH,
    Argument("keep_releases", "releases kept on the share for rollback (default 3; one a revision uses is always "
                              "kept)", parse=release_count, kind=int, destination="context"),
    Argument("include", "workspace folder to sync to the share (repeatable; default: inference)", kind=list,
             metavar="FOLDER", destination="context", context_field="deploy_include"),
    Argument("demo_model", "first put the offline demo model on the share if it has no model-cache/", kind=bool,
             default=False, destination="context", context_field="seed_demo_model_if_missing"),
)

_PROVISION_OPERATION = Operation(
    "provision", "Provision Azure Container Apps for inference", "create or update the Azure resources for inference",
    _provision, _PROVISION, palette="acaInference.provision", changes_workspace=True, confirms=True,
    palette_values={"always_pick": True})

OPERATIONS: tuple[Operation, ...] = (
    Operation("init", "Create an inference workspace",
              "write a ready workspace: infra/ templates and the inference/ app", _init,
              (path("directory", "the folder to create the workspace in (it may exist)", positional=True),
               switch("force", "overwrite existing files")),
              needs="nothing"),
    Operation("validate", "Validate inference workspace", "check the workspace's infra/ files", _validate,
              needs="workspace", palette="acaInference.validate", failure_exit_code=2),
    _PROVISION_OPERATION,
    replace(_PROVISION_OPERATION, name="preview", title="Preview provisioning for inference",
            help="show the provisioning plan and change nothing", palette="acaInference.previewProvision", cli=False,
            changes_workspace=False, palette_values={"preview": True, "always_pick": True}),
    Operation("up", "Provision and deploy for inference", "provision, then deploy", _up, _PROVISION + _DEPLOY,
              changes_workspace=True, confirms=True),
    Operation("migrate", "Move inference to the ACA Inference app (API key, OpenAI API, /health)",
              "move a project with its own app (e.g. AI Toolkit's gradio_chat.py) to the ACA Inference app: auth, "
              "OpenAI API, /health; your files are kept", _migrate,
              (switch("preview", "list every file change and change nothing"),),
              needs="workspace", palette="acaInference.migrateApp", changes_workspace=True, confirms=True),
    Operation("deploy", "Deploy for inference",
              "publish the code as a release, start it beside the serving one, switch the traffic once it answers "
              "(or restart, when the app cannot run two)", _deploy, _DEPLOY,
              palette="acaInference.deploy", changes_workspace=True),
    Operation("rollback", "Roll back inference deployment",
              "bring an earlier release back (ready first, then the traffic)", _rollback,
              (Argument("to", "release id (`status` lists them); default: the release before the serving one",
                        metavar="RELEASE"), *_SWITCH),
              palette="acaInference.rollback", changes_workspace=True),
    Operation("logs", "Show inference streaming logs", "the app's console log", _logs,
              (switch("follow", "keep printing new lines until interrupted", short="-f"),
               Argument("tail", "lines of the past to show first (default 100)", parse=line_count, kind=int,
                        default=100),
               Argument("replica", "one replica's log (`status` lists them); default: every replica, each line "
                                   "named when there are several")),
              palette="acaInference.showLogs", palette_values={"follow": True, "tail": 200}),
    Operation("status", "Show inference status", "app, revisions, replicas, health, endpoint", _status,
              (switch("show_api_key", "print the endpoint's API key (a secret: mind your screen)"),),
              palette="acaInference.showStatus"),
    Operation("delete", "Delete inference app", "delete the inference container app (shared resources stay)",
              _delete, palette="acaInference.deleteApp", changes_workspace=True, confirms=True),
    Operation("emulator", "Local Azure emulator", "the local Azure emulator", _emulator,
              (Argument("action", "start, stop or status", positional=True, choices=("start", "stop", "status")),
               path("data_dir", "data dir of the local emulator")),
              needs="nothing"),
    Operation("make-demo-model", "Make the offline demo model",
              "create a tiny offline model + LoRA adapter in the template's layout", _make_demo_model,
              (path("output", "folder that gets model-cache/ and models/", required=True),),
              needs="nothing"),
)

BY_NAME: Mapping[str, Operation] = {operation.name: operation for operation in OPERATIONS}
