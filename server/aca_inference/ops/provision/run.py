"""The provision operation: the workspace's bicep (or ours) evaluated for the chosen resource group, planned
against what exists, previewed with what the GPU costs, confirmed, applied along the dependency graph, and
`infra/inference.config.json` written from the bicep's outputs. Every word to the user goes through the
Reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio

from ...azure.arm_resources import property_at
from ...azure.container_apps import ContainerApp
from ...azure.endpoints import app_url
from ...azure.errors import azure_error
from ...errors import Cancelled, InputError, UserFacingError
from ...workspace.bicep import Deployment
from ...workspace.finetuning import FINETUNING_NAMES, finetuning_problems
from ...workspace.inference_config import CONFIG_KEYS, check_config, update_config
from ...workspace.json_file import read_json_object
from ...workspace.paths import FINETUNING_CONFIG, FINETUNING_PARAMETERS, INFERENCE_CONFIG
from ...workspace.problems import WorkspaceInvalid
from ...workspace.template import EvaluatedTemplate, evaluate, load_template
from ..context import OperationContext
from ..results import ProvisionResult
from .costs import GpuCost, gpu_cost
from .execute import PlanRunner
from .plan import PlannedResource, choose_action, wait_until_settled
from .preflight import ProviderStates, read_providers, run_preflight
from .scope import Scope, ScopeRequest, choose_scope, create_group
from .shared import SharedResources, parameter_defaults, shared_resources


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


async def plan_resources(evaluated: EvaluatedTemplate, session: Any, shared: SharedResources,
                progress: Any = None, providers: ProviderStates | None = None) -> list[PlannedResource]:
    """Read every resource in parallel (waiting for any still being provisioned), then choose each one's action.
    Nothing can exist of a provider the subscription is not registered for: those are not read."""
    arm = session.arm(evaluated.deployment.subscription_id)
    planned = [PlannedResource(r) for r in evaluated.resources]
    errors: list[Exception] = []

    async def read(item: PlannedResource) -> None:
        resource = item.resource
        try:
            if resource.deployed and not (providers and providers.blocks(resource.type.split("/")[0])):
                item.current = await arm.get(resource.handle.id, resource.api_version)
                await wait_until_settled(arm, item, progress)
            choose_action(item, shared)
        except UserFacingError as error:
            errors.append(error)
        except Exception as error:  # noqa: BLE001 - Azure's refusal becomes a message with the fix
            errors.append(azure_error(error, f"reading {item.label} {resource.short_name}"))

    async with anyio.create_task_group() as group:
        for item in planned:
            group.start_soon(read, item)
    if errors:
        raise errors[0]
    _check_shared_storage(planned, shared)
    return planned


def _check_shared_storage(planned: list[PlannedResource], shared: SharedResources) -> None:
    """The fine-tuning environment's storage mounts the fine-tuning share: when the fine-tuning files name
    another account or share, they are wrong - say so instead of repointing the fine-tuning job's mount."""
    for item in planned:
        resource = item.resource
        if resource.type.lower() != "microsoft.app/managedenvironments/storages" or item.current is None \
                or not shared.owns(resource):
            continue
        wanted = property_at(resource.body, "azureFile") or {}
        found = property_at(item.current, "azureFile") or {}
        for key, attribute in (("accountName", "storage_account"), ("shareName", "file_share")):
            if isinstance(wanted.get(key), str) and str(found.get(key, "")).lower() != wanted[key].lower():
                file, field = FINETUNING_NAMES[attribute].file, FINETUNING_NAMES[attribute].key
                raise InputError(
                    f"{file}: {field} names '{wanted[key]}', but the fine-tuning environment storage "
                    f"'{resource.short_name}' mounts {key} '{found.get(key)}'. Correct {field} in {file} (or "
                    f"{FINETUNING_PARAMETERS}) to '{found.get(key)}'; provision never repoints the fine-tuning "
                    "project's mount. Nothing was changed.")


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def gpu_costs(evaluated: EvaluatedTemplate, planned: list[PlannedResource]) -> list[GpuCost]:
    """What each container app's GPU workload profile (dedicated or serverless) costs, from the bicep (or what
    exists)."""
    costs = []
    environments = {p.resource.handle.id.lower(): p for p in planned
                    if p.resource.type.lower() == "microsoft.app/managedenvironments"}
    for item in planned:
        if item.resource.type.lower() != "microsoft.app/containerapps" or not item.resource.deployed:
            continue
        properties = item.resource.body.get("properties") or {}
        profile_name = properties.get("workloadProfileName")
        if not isinstance(profile_name, str) or profile_name.lower() == "consumption":
            continue
        environment = environments.get(str(properties.get("environmentId", "")).lower())
        profiles: list[Any] = []
        if environment is not None:
            profiles = [*(property_at(environment.resource.body, "workloadProfiles") or []),
                        *(property_at(environment.current, "workloadProfiles") or [])]
        profile = next((p for p in profiles if isinstance(p, dict)
                        and str(p.get("name", "")).lower() == profile_name.lower()), {})
        scale = (properties.get("template") or {}).get("scale") or {}
        min_replicas = _int(scale.get("minReplicas"), 0)
        max_replicas = _int(scale.get("maxReplicas"), 10)  # ACA's default
        max_nodes = _int(profile.get("maximumCount"), max_replicas)
        costs.append(gpu_cost(profile_name, str(profile.get("workloadProfileType") or profile_name), min_replicas,
                              max_replicas, max_nodes))
    return costs


def _config_values(evaluated: EvaluatedTemplate, outputs: dict[str, Any], scope: Scope,
                   planned: list[PlannedResource]) -> dict[str, str | None]:
    """The config from the bicep's outputs; keys it has no output for come from the resources themselves."""
    values: dict[str, str | None] = {}
    for key in CONFIG_KEYS:
        value = outputs.get(key)
        if isinstance(value, str) and value:
            values[key] = value
    by_type = {p.resource.type.lower(): p for p in planned if p.resource.deployed}
    app = by_type.get("microsoft.app/containerapps")
    storage = by_type.get("microsoft.app/managedenvironments/storages")
    azure_file = (property_at(storage.resource.body, "azureFile") or {}) if storage else {}
    values.setdefault("SUBSCRIPTION_ID", scope.subscription_id)
    values.setdefault("RESOURCE_GROUP_NAME", scope.resource_group)
    if isinstance(azure_file.get("accountName"), str):
        values.setdefault("STORAGE_ACCOUNT_NAME", azure_file["accountName"])
    if isinstance(azure_file.get("shareName"), str):
        values.setdefault("FILE_SHARE_NAME", azure_file["shareName"])
    if app is not None:
        values.setdefault("ACA_APP_NAME", app.name)
        live = ContainerApp.from_arm(app.current) if app.current else None
        if live is not None and live.endpoint:
            values.setdefault("ACA_APP_ENDPOINT", live.endpoint)
    endpoint = values.get("ACA_APP_ENDPOINT")
    if endpoint and "://" not in endpoint:
        values["ACA_APP_ENDPOINT"] = app_url(endpoint)
    return values


async def provision(context: OperationContext, request: ProvisionRequest) -> ProvisionResult:
    reporter = context.reporter
    finetuning, problems = finetuning_problems(context.root)
    try:
        template = load_template(context.root)  # parse + parameters: every problem before any Azure call
    except WorkspaceInvalid as invalid:
        raise WorkspaceInvalid([*invalid.problems, *problems]) from None
    if problems:
        raise WorkspaceInvalid(problems)
    for warning in template.warnings:
        reporter.log(warning, "warning")
    has_finetuning = (context.root / FINETUNING_CONFIG).exists() or (context.root / FINETUNING_PARAMETERS).exists()
    previous = _previous_config(context)
    location = template.parameters.get("location")
    scope_request = ScopeRequest(
        subscription=request.subscription, resource_group=request.resource_group, location=request.location,
        always_pick=request.always_pick, preview=request.preview,
        preferred_subscription=previous.get("SUBSCRIPTION_ID") or finetuning.subscription_id,
        preferred_group=previous.get("RESOURCE_GROUP_NAME") or finetuning.resource_group,
        preferred_location=location if isinstance(location, str) else finetuning.location)

    async with context.open_session() as session:
        scope: Scope = await choose_scope(session, scope_request, reporter)
        same_place = (finetuning.subscription_id in (None, scope.subscription_id)
                      and (finetuning.resource_group or "").lower() in ("", scope.resource_group.lower()))
        deployment = Deployment(scope.subscription_id, scope.resource_group, scope.location,
                                subscription_name=scope.subscription_name)
        evaluated = evaluate(template, deployment, defaults=parameter_defaults(finetuning, same_place))
        shared = shared_resources(finetuning, has_finetuning, deployment.resource_group_id, same_place)

        source = "the built-in template" if template.builtin else template.display
        reporter.log(f"Planning {source} in subscription {scope.subscription_name} ({scope.subscription_id}), "
                     f"resource group {scope.resource_group} ({scope.location}).")
        if scope.created_group and (request.preview or scope.group_pending):
            reporter.log(f"create  resource group {scope.resource_group}")
        async with reporter.progress("Reading what exists") as reading:
            providers = await read_providers(evaluated, session, scope.subscription_id)
            planned = await plan_resources(evaluated, session, shared, reading, providers)
        for item in planned:
            for line in item.describe():
                reporter.log(line)
        costs = gpu_costs(evaluated, planned)
        for cost in costs:
            for line in cost.lines():
                reporter.log(line)
        pending = [p for p in planned if p.changing]
        cost_rows = [c.row() for c in costs]

        await run_preflight(evaluated, planned, scope, session, reporter, providers, preview=request.preview)

        if request.preview:
            summary = (f"Preview: {len(pending)} change(s), {len(planned) - len(pending)} resource(s) unchanged. "
                       "Nothing was changed.")
            await reporter.notify(summary)
            return ProvisionResult(summary=summary, plan=[p.row() for p in planned], cost=cost_rows, preview=True)
        always_on = next((c.always_on_month for c in costs if c.always_on_month), None)
        extra = f" The GPU stays on: about ${always_on:,.0f} a month." if always_on else ""
        if pending and not await reporter.confirm(
                f"Provision will create or update {len(pending)} resource(s) in {scope.resource_group} "
                f"(see the output for the plan and the GPU cost).{extra}", action="Provision"):
            raise Cancelled("Provision cancelled; nothing was changed.")

        if scope.group_pending:
            await create_group(session, scope.subscription_id, scope.resource_group, scope.location, reporter)
        arm = session.arm(scope.subscription_id)
        async with reporter.progress("Provisioning Azure Container Apps for inference") as progress:
            runner = PlanRunner(evaluated, arm, reporter, progress, planned)
            await runner.run()
            done = [p.name for p in pending if p.status == "done"]
            if runner.errors:
                what = f" Done before the failure: {', '.join(done)}." if done else ""
                raise runner.errors[0].hint(f"Run provision again to finish: it reuses what exists.{what}")
            if progress.cancelled:
                left = [p.name for p in pending if p.status != "done"]
                raise Cancelled(f"Provision cancelled. Created or updated: {', '.join(done) or 'nothing'}; not done: "
                                f"{', '.join(left)}. Run provision again to finish.")
            try:
                outputs = await runner.outputs()
            except UserFacingError:
                raise
            except Exception as error:  # noqa: BLE001
                raise azure_error(error, "reading the template's outputs") from None
            progress.report("Writing infra/inference.config.json", 100)

        values = _config_values(evaluated, outputs, scope, planned)
        update_config(context.root, INFERENCE_CONFIG, {k: values.get(k) for k in CONFIG_KEYS})
        reporter.log(f"Wrote {INFERENCE_CONFIG}.")
        if not values.get("ACA_APP_ENDPOINT"):
            raise InputError(f"The container app {values.get('ACA_APP_NAME')} has no ingress FQDN: enable external "
                             f"ingress in {template.display}.")
        summary = (f"Provisioned {values.get('ACA_APP_NAME')} in {scope.resource_group}: {len(pending)} change(s), "
                   f"{len(planned) - len(pending)} unchanged. Endpoint {values['ACA_APP_ENDPOINT']} "
                   "(run Deploy for inference next).")
        await reporter.notify(summary)
        return ProvisionResult(summary=summary, plan=[p.row() for p in planned], cost=cost_rows, config=values)
