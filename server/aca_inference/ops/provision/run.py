"""The provision operation, front-end agnostic: every word to the user goes through the Reporter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio

from ...azure.endpoints import app_url
from ...azure.errors import azure_error
from ...azure.session import open_session
from ...errors import Cancelled, InputError, UserFacingError
from ...workspace.finetuning import read_finetuning
from ...workspace.inference_config import check_config, update_config
from ...workspace.json_file import read_json_object
from ...workspace.parameters import load_parameters
from ...workspace.paths import INFERENCE_CONFIG, INFERENCE_PARAMETERS
from ...workspace.problems import WorkspaceInvalid
from ..context import OperationContext
from .desired import DesiredState, resolve_names
from .execute import PlanRunner
from .resources import (
    ContainerApp,
    EnvironmentStorage,
    FileShare,
    LogAnalyticsWorkspace,
    ManagedEnvironment,
    Resource,
    StorageAccount,
)
from .scope import Scope, ScopeRequest, choose_scope


@dataclass(frozen=True)
class ProvisionRequest:
    subscription: str | None = None
    resource_group: str | None = None
    location: str | None = None
    preview: bool = False
    # VS Code shows the subscription / resource group pickers even when flags or defaults would do.
    always_pick: bool = False


def _previous_config(context: OperationContext) -> dict[str, Any]:
    path = context.root / INFERENCE_CONFIG
    if not path.exists():
        return {}
    try:
        config, _ = check_config(read_json_object(path, INFERENCE_CONFIG), INFERENCE_CONFIG)
    except WorkspaceInvalid:
        return {}
    return config.model_dump() if config else {}


def _plan_rows(resources: list[Resource]) -> list[dict[str, Any]]:
    return [{"resource": r.change.label, "name": r.change.name, "action": r.change.action,
             "changes": r.change.changes, "id": r.change.resource_id, "status": r.change.status} for r in resources]


async def _read_all(resources: list[Resource]) -> None:
    """Read every resource in parallel; the first problem is reported as one message."""
    errors: list[Exception] = []

    async def read(resource: Resource) -> None:
        try:
            await resource.plan()
        except UserFacingError as error:
            errors.append(error)
        except Exception as error:  # noqa: BLE001 - Azure's refusal becomes a message with the fix
            errors.append(azure_error(error, f"reading {resource.label} {resource.name}"))

    async with anyio.create_task_group() as group:
        for resource in resources:
            group.start_soon(read, resource)
    if errors:
        raise errors[0]


async def provision(context: OperationContext, request: ProvisionRequest) -> dict[str, Any]:
    reporter = context.reporter
    params = load_parameters(context.root, INFERENCE_PARAMETERS)
    finetuning, problems = read_finetuning(context.root)
    if problems:
        raise WorkspaceInvalid(problems)
    previous = _previous_config(context)
    scope_request = ScopeRequest(
        subscription=request.subscription, resource_group=request.resource_group, location=request.location,
        always_pick=request.always_pick, preview=request.preview,
        preferred_subscription=previous.get("SUBSCRIPTION_ID") or finetuning.subscription_id,
        preferred_group=previous.get("RESOURCE_GROUP_NAME") or finetuning.resource_group,
        preferred_location=params.location or finetuning.location)

    async with open_session(context.target) as session:
        scope: Scope = await choose_scope(session, scope_request, reporter)
        same_place = (finetuning.subscription_id in (None, scope.subscription_id)
                      and (finetuning.resource_group or "").lower() in ("", scope.resource_group.lower()))
        names, named = resolve_names(params, finetuning, scope.resource_group_id, same_place_as_finetuning=same_place)
        desired = DesiredState(subscription_id=scope.subscription_id, resource_group=scope.resource_group,
                               resource_group_id=scope.resource_group_id,
                               location=params.location or scope.location, names=names, parameters=params,
                               named=named)
        logs, environment = LogAnalyticsWorkspace(session, desired), ManagedEnvironment(session, desired)
        storage, share = StorageAccount(session, desired), FileShare(session, desired)
        environment_storage, app = EnvironmentStorage(session, desired), ContainerApp(session, desired)
        resources: list[Resource] = [storage, share, logs, environment, environment_storage, app]

        reporter.log(f"Planning in subscription {scope.subscription_name} ({scope.subscription_id}), "
                     f"resource group {scope.resource_group}, location {desired.location}.")
        if getattr(scope, "created_group", False) and request.preview:
            reporter.log(f"create  resource group {scope.resource_group}")
        await _read_all(resources)
        for resource in resources:
            reporter.log(resource.change.describe())
        pending = [r for r in resources if r.change.action != "reuse"]

        if request.preview:
            summary = (f"Preview: {len(pending)} change(s), {len(resources) - len(pending)} resource(s) reused. "
                       "Nothing was changed.")
            await reporter.notify(summary)
            return {"preview": True, "plan": _plan_rows(resources), "summary": summary}
        if pending and not await reporter.confirm(
                f"Provision will create or update {len(pending)} resource(s) in {scope.resource_group} "
                "(see the output for the plan).", action="Provision"):
            raise Cancelled("Provision cancelled; nothing was changed.")

        async with reporter.progress("Provisioning Azure Container Apps for inference") as progress:
            runner = PlanRunner(reporter, progress, total=len(pending))
            await runner.run(branches=[[logs, environment], [storage, share]], then=[environment_storage, app])
            if runner.errors:
                done = [r.change.name for r in pending if r.change.status == "done"]
                what = f" Done before the failure: {', '.join(done)}." if done else ""
                raise type(runner.errors[0])(f"{runner.errors[0]}\n  Run provision again to finish: it reuses what "
                                             f"exists.{what}")
            if progress.cancelled:
                done = [r.change.name for r in pending if r.change.status == "done"]
                left = [r.change.name for r in pending if r.change.status != "done"]
                raise Cancelled(f"Provision cancelled. Created or updated: {', '.join(done) or 'nothing'}; not done: "
                                f"{', '.join(left)}. Run provision again to finish.")
            current = app.change.current or await app.read() or {}
            fqdn = ((current.get("properties") or {}).get("configuration") or {}).get("ingress", {}).get("fqdn")
            progress.report("Writing infra/inference.config.json", 100)

        values = {"SUBSCRIPTION_ID": scope.subscription_id, "RESOURCE_GROUP_NAME": scope.resource_group,
                  "STORAGE_ACCOUNT_NAME": names.storage_account, "FILE_SHARE_NAME": names.file_share,
                  "ACA_APP_NAME": names.container_app, "ACA_APP_ENDPOINT": app_url(fqdn) if fqdn else None}
        update_config(context.root, INFERENCE_CONFIG, values)
        reporter.log(f"Wrote {INFERENCE_CONFIG}.")
        if not fqdn:
            raise InputError(f"The container app {names.container_app} has no ingress FQDN; check its ingress settings.")
        summary = (f"Provisioned {names.container_app} in {scope.resource_group}: {len(pending)} change(s), "
                   f"{len(resources) - len(pending)} reused. Endpoint {values['ACA_APP_ENDPOINT']} "
                   "(run Deploy for inference next).")
        await reporter.notify(summary)
        return {"config": values, "plan": _plan_rows(resources), "summary": summary}
