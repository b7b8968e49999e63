"""The deploy operation, front-end agnostic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from ...azure.container_apps import AppRef, ContainerApp, ContainerAppGateway
from ...azure.errors import azure_error, is_not_found
from ...azure.session import AzureSession
from ...errors import InputError, OperationFailed
from ...workspace.app_contract import API_KEY_SECRET
from ...workspace.inference_config import CONFIG_KEYS, load_config, record_endpoint
from ...workspace.paths import INFERENCE_CONFIG
from ..context import OperationContext
from .code_sync import check_app_files, sync_code
from .crash_hint import placeholder_crash_hint
from .failure_logs import last_log_lines
from .model_reload import record_cold_start, reload_instead_of_restart
from .outcome import DeployOutcome, DeployResult
from .preflight import deploy_preflight
from .readiness import NotReady, readiness_check, wait_until_ready
from .release_deploy import deploy_release, merged_template
from .restart import desired_template, template_changes, update_or_restart
from .revisions import runs_launcher
from .storage_key import account_key

REQUIRED_KEYS = tuple(k for k in CONFIG_KEYS if k != "ACA_APP_ENDPOINT")
GO_TO_ENDPOINT = "Go to Inference Endpoint"
COPY_API_KEY = "Copy API Key"
_background: set[asyncio.Task[Any]] = set()


PUBLIC_ENDPOINT = ("The endpoint is public: the app has no authentication, so anyone with the URL can use it. "
                   "Our inference app (`aca-inference init`) protects it with an API key and adds the OpenAI API "
                   "and /health.")


def _offer_endpoint(context: OperationContext, url: str, api_key: str | None) -> None:
    """The notification waits for a click; the command itself finishes now."""
    reporter = context.reporter
    actions = [GO_TO_ENDPOINT, COPY_API_KEY] if api_key else [GO_TO_ENDPOINT]
    message = f"Inference endpoint is ready: {url}" + ("" if api_key else " (public: no authentication)")

    async def offer() -> None:
        choice = await reporter.notify(message, actions=actions)
        if choice == GO_TO_ENDPOINT:
            await reporter.open_url(await _signed_in_url(url, api_key, reporter))
        elif choice == COPY_API_KEY and api_key:
            await reporter.copy_to_clipboard(api_key)

    task = asyncio.get_running_loop().create_task(offer())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _signed_in_url(url: str, api_key: str | None, reporter: Any) -> str:
    """Our app opens signed in through a one-time ticket minted at the click (it lives 60 s and is never
    logged); the key itself never goes into a URL."""
    if not api_key:
        return url
    from .app_admin import AppAdminError, mint_sign_in_link

    try:
        return await mint_sign_in_link(url, api_key)
    except AppAdminError as error:
        reporter.log(f"Could not get a sign-in link ({error}); the page will ask for the API key.", "warning")
        return url


async def _restart_until_ready(context: OperationContext, apps: ContainerAppGateway, app: ContainerApp,
                               wanted: dict[str, Any] | None, endpoint: str, api_key: str | None,
                               progress: Any) -> tuple[str, str, float]:
    """Restart (or roll a new revision), then wait until the app answers as ACA counts it."""
    reporter = context.reporter
    name = apps.ref.name
    progress.report("Restarting the app", 60)
    restarted_at = datetime.now(UTC)
    try:
        action, revision, changes = await update_or_restart(apps, app, wanted)
    except Exception as error:
        raise azure_error(error, f"restarting container app {name}") from None
    reporter.log(f"App {name}: {action} revision {revision}" + (f" ({', '.join(changes)})" if changes else ""))
    if action == "updated":
        app = await apps.get_app()
    check = readiness_check(app.template, api_key)
    progress.report(f"Waiting for {endpoint}", 70)
    try:
        ready = await wait_until_ready(apps, revision, endpoint=endpoint, api_key=api_key, check=check,
                                       since=restarted_at, timeout=context.readiness_timeout, progress=progress)
    except NotReady as failure:
        lines = await last_log_lines(apps, failure.revision, tail=40)
        for line in lines:
            reporter.log(f"  | {line}", "error")
        hint = placeholder_crash_hint(context.root, lines)
        raise OperationFailed((f"{failure}\n  The app's last log lines are in the output above." if lines
                               else str(failure)) + (f"\n  {hint}" if hint else "")) from None
    return action, revision, ready.seconds


async def _deploy_in_place(context: OperationContext, session: AzureSession, apps: ContainerAppGateway,
                           app: ContainerApp,
                           wanted: dict[str, Any] | None, share: Any, config: Any, key: str, endpoint: str,
                           api_key: str | None, progress: Any, template: dict[str, Any] | None) -> DeployOutcome:
    """An app that does not start through the release launcher (e.g. an AI Toolkit project's own app): its
    folders are synced where it runs, then it restarts (or gets a new revision when the bicep changed it)."""
    progress.report(f"Syncing code to {config.STORAGE_ACCOUNT_NAME}/{config.FILE_SHARE_NAME}", 5)
    synced = await sync_code(context, session, str(config.STORAGE_ACCOUNT_NAME), key, str(config.FILE_SHARE_NAME),
                             progress, template)
    if progress.cancelled:
        raise OperationFailed("Deploy cancelled after the sync; the app was not restarted.")
    context.reporter.log("This app runs its code in place on the share, so the deploy restarts it and the endpoint "
                         "is down until it answers again. Apps started through the release launcher (our template: "
                         "`aca-inference migrate`) switch releases without downtime.", "info")
    outcome = DeployOutcome(files_uploaded=synced.files_uploaded, bytes_uploaded=synced.bytes_uploaded,
                            files_deleted=synced.files_deleted, files_unchanged=synced.files_unchanged)
    if synced.files_uploaded == 0 and synced.files_deleted == 0 and not template_changes(app, wanted):
        progress.report("Code unchanged: reloading the adapters", 60)
        reloaded = await reload_instead_of_restart(share, endpoint, api_key, context.reporter)
        if reloaded is not None:
            outcome.action, outcome.revision, outcome.ready_seconds = "reloaded", str(app.latest_revision), \
                reloaded.seconds
            return outcome
    outcome.action, outcome.revision, outcome.ready_seconds = await _restart_until_ready(
        context, apps, app, wanted, endpoint, api_key, progress)
    if api_key:
        await record_cold_start(share, endpoint, context.reporter)
    return outcome


@asynccontextmanager
async def _share_found(config: Any) -> AsyncIterator[None]:
    """A share the config names that does not exist is bad input, said as such."""
    try:
        yield
    except Exception as error:
        if getattr(error, "error_code", None) == "ShareNotFound":
            from ...sync.engine import share_missing

            raise share_missing(str(config.STORAGE_ACCOUNT_NAME), str(config.FILE_SHARE_NAME)) from None
        raise


async def deploy(context: OperationContext) -> DeployResult:
    reporter = context.reporter
    config = load_config(context.root, INFERENCE_CONFIG, required_keys=REQUIRED_KEYS)
    await check_app_files(context)
    ref = AppRef(str(config.SUBSCRIPTION_ID), str(config.RESOURCE_GROUP_NAME), str(config.ACA_APP_NAME))

    async with context.open_session() as session:
        apps = context.container_apps(session, ref)
        try:
            app = await apps.get_app()
        except Exception as error:
            if is_not_found(error):
                raise InputError(f"{INFERENCE_CONFIG}: ACA_APP_NAME: container app '{ref.name}' was not found in "
                                 f"resource group '{ref.resource_group}' (subscription {ref.subscription_id}); run "
                                 "provision or correct the value.") from None
            raise azure_error(error, f"reading container app {ref.name}") from None
        endpoint = app.endpoint
        if endpoint is None:
            raise InputError(f"Container app {ref.name} has no ingress: enable external ingress on the target port.")
        wanted = desired_template(context.root, ref, app, reporter)  # the bicep's problems before any change
        key = await account_key(session, ref.subscription_id, ref.resource_group, str(config.STORAGE_ACCOUNT_NAME))
        share = session.share(str(config.STORAGE_ACCOUNT_NAME), key, str(config.FILE_SHARE_NAME))
        # Everything that would make the app fail on the container, before anything is uploaded.
        async with _share_found(config):
            await deploy_preflight(context, merged_template(app, wanted), share, str(config.FILE_SHARE_NAME))

        async with reporter.progress("Deploying for inference") as progress:
            if context.seed_demo_model_if_missing:
                from ..seed_model import ensure_demo_model

                progress.report("Checking the share for a model", 2)
                async with _share_found(config):
                    await ensure_demo_model(session, str(config.STORAGE_ACCOUNT_NAME), key,
                                            str(config.FILE_SHARE_NAME), reporter)
            template = wanted or app.template
            secrets = await apps.secrets()
            api_key = secrets.get(API_KEY_SECRET)
            if runs_launcher(merged_template(app, wanted)):
                outcome = await deploy_release(context, apps, app, wanted, share, endpoint, api_key, progress)
            else:
                outcome = await _deploy_in_place(context, session, apps, app, wanted, share, config, key, endpoint,
                                                 api_key, progress, template)

    if (note := record_endpoint(context.root, INFERENCE_CONFIG, endpoint)) is not None:
        reporter.log(note, "warning")
    reporter.log(f"Inference endpoint: {endpoint}  ({outcome.describe()})")
    scale = (template or {}).get("scale") or {}  # what the bicep gives the app (else what it has)
    if scale.get("minReplicas") == 0:
        reporter.log("The app scales to zero when idle (minReplicas 0): no replica is billed then, and the first "
                     "request after that waits for a cold start (minutes on a GPU). Set minReplicas to 1 to keep "
                     "one warm.")
    if not api_key:
        reporter.log(PUBLIC_ENDPOINT, "warning")
    if api_key:
        reporter.log(f"The API key is the app's secret '{API_KEY_SECRET}': Copy API Key, or "
                     f"`aca-inference status --workspace {context.root} --show-api-key`.")
    _offer_endpoint(context, endpoint, api_key)
    return DeployResult(summary=f"Inference endpoint is ready: {endpoint}", endpoint=endpoint, outcome=outcome,
                        public=api_key is None, scales_to_zero=scale.get("minReplicas") == 0)
