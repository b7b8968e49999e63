"""The deploy operation, front-end agnostic."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from ...azure.endpoints import app_url
from ...azure.errors import azure_error, is_not_found
from ...azure.session import AzureSession, open_session
from ...errors import InputError, OperationFailed
from ...workspace.inference_config import CONFIG_KEYS, load_config, record_endpoint
from ...workspace.parameters import InferenceParameters, load_parameters
from ...workspace.paths import INFERENCE_CONFIG, INFERENCE_PARAMETERS
from ..context import OperationContext
from ..provision.desired import API_KEY_SECRET
from .app_state import AppRef, app_secrets, get_app, wire
from .code_sync import check_app_files, sync_code
from .failure_logs import last_log_lines
from .readiness import NotReady, wait_until_ready
from .restart import update_or_restart

REQUIRED_KEYS = tuple(k for k in CONFIG_KEYS if k != "ACA_APP_ENDPOINT")
GO_TO_ENDPOINT = "Go to Inference Endpoint"
COPY_API_KEY = "Copy API Key"
_background: set[asyncio.Task[Any]] = set()


def _parameters(context: OperationContext) -> InferenceParameters | None:
    """A hand-provisioned workspace may lack the parameters file: then the app's template is kept as is."""
    if not (context.root / INFERENCE_PARAMETERS).exists():
        context.reporter.log(f"{INFERENCE_PARAMETERS} not found: keeping the app's container settings as they are.",
                             "warning")
        return None
    return load_parameters(context.root, INFERENCE_PARAMETERS)


async def _account_key(session: AzureSession, subscription: str, group: str, account: str) -> str:
    try:
        keys = wire(await session.storage(subscription).storage_accounts.list_keys(group, account))
    except Exception as error:
        if is_not_found(error):
            raise InputError(f"{INFERENCE_CONFIG}: STORAGE_ACCOUNT_NAME: storage account '{account}' was not found in "
                             f"resource group '{group}'; run provision or correct the value.") from None
        raise azure_error(error, f"reading the keys of storage account {account}") from None
    return str(keys["keys"][0]["value"])


def _offer_endpoint(context: OperationContext, url: str, api_key: str | None) -> None:
    """The notification waits for a click; the command itself finishes now."""
    reporter = context.reporter
    actions = [GO_TO_ENDPOINT, COPY_API_KEY] if api_key else [GO_TO_ENDPOINT]

    async def offer() -> None:
        choice = await reporter.notify(f"Inference endpoint is ready: {url}", actions=actions)
        if choice == GO_TO_ENDPOINT:
            await reporter.open_url(url)
        elif choice == COPY_API_KEY and api_key:
            await reporter.copy_to_clipboard(api_key)

    task = asyncio.get_running_loop().create_task(offer())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def deploy(context: OperationContext) -> dict[str, Any]:
    reporter = context.reporter
    config = load_config(context.root, INFERENCE_CONFIG, required_keys=REQUIRED_KEYS)
    params = _parameters(context)
    await check_app_files(context)
    ref = AppRef(str(config.SUBSCRIPTION_ID), str(config.RESOURCE_GROUP_NAME), str(config.ACA_APP_NAME))

    async with open_session(context.target) as session:
        try:
            app = await get_app(session, ref)
        except Exception as error:
            if is_not_found(error):
                raise InputError(f"{INFERENCE_CONFIG}: ACA_APP_NAME: container app '{ref.name}' was not found in "
                                 f"resource group '{ref.resource_group}' (subscription {ref.subscription_id}); run "
                                 "provision or correct the value.") from None
            raise azure_error(error, f"reading container app {ref.name}") from None
        fqdn = ((app.get("properties") or {}).get("configuration") or {}).get("ingress", {}).get("fqdn")
        if not fqdn:
            raise InputError(f"Container app {ref.name} has no ingress: enable external ingress on the target port.")
        endpoint = app_url(fqdn)
        key = await _account_key(session, ref.subscription_id, ref.resource_group, str(config.STORAGE_ACCOUNT_NAME))

        async with reporter.progress("Deploying for inference") as progress:
            if context.seed_demo_model:
                from ..seed_model import seed_demo_model

                progress.report("Checking the share for a model", 2)
                try:
                    await seed_demo_model(session, str(config.STORAGE_ACCOUNT_NAME), key,
                                          str(config.FILE_SHARE_NAME), reporter)
                except Exception as error:
                    if getattr(error, "error_code", None) == "ShareNotFound":
                        from ...sync.engine import share_missing

                        raise share_missing(str(config.STORAGE_ACCOUNT_NAME), str(config.FILE_SHARE_NAME)) from None
                    raise
            progress.report(f"Syncing code to {config.STORAGE_ACCOUNT_NAME}/{config.FILE_SHARE_NAME}", 5)
            synced = await sync_code(context, session, str(config.STORAGE_ACCOUNT_NAME), key,
                                     str(config.FILE_SHARE_NAME), progress)
            if progress.cancelled:
                raise OperationFailed("Deploy cancelled after the sync; the app was not restarted.")
            progress.report("Restarting the app", 60)
            restarted_at = datetime.now(UTC)
            try:
                action, revision, changes = await update_or_restart(session, ref, app, params)
            except Exception as error:
                raise azure_error(error, f"restarting container app {ref.name}") from None
            reporter.log(f"App {ref.name}: {action} revision {revision}"
                         + (f" ({', '.join(changes)})" if changes else ""))
            secrets = await app_secrets(session, ref)
            api_key = secrets.get(API_KEY_SECRET)
            progress.report(f"Waiting for {endpoint}", 70)
            try:
                ready = await wait_until_ready(session, ref, revision, endpoint=endpoint, api_key=api_key,
                                               since=restarted_at, timeout=context.readiness_timeout,
                                               progress=progress)
            except NotReady as failure:
                lines = await last_log_lines(session, ref, failure.revision, tail=40)
                for line in lines:
                    reporter.log(f"  | {line}", "error")
                raise OperationFailed(f"{failure}\n  The app's last log lines are in the output above."
                                      if lines else str(failure)) from None

    if (note := record_endpoint(context.root, INFERENCE_CONFIG, endpoint)) is not None:
        reporter.log(note, "warning")
    reporter.log(f"Inference endpoint: {endpoint}  (ready {ready.seconds:.1f}s after the {action[:-2]})")
    if api_key:
        reporter.log(f"The API key is the app's secret '{API_KEY_SECRET}': Copy API Key, or "
                     f"`aca-inference status --workspace {context.root} --show-api-key`.")
    _offer_endpoint(context, endpoint, api_key)
    return {"endpoint": endpoint, "files_uploaded": synced.files_uploaded, "bytes_uploaded": synced.bytes_uploaded,
            "files_deleted": synced.files_deleted, "files_unchanged": synced.files_unchanged,
            "revision": revision, "action": action, "ready_seconds": round(ready.seconds, 2),
            "summary": f"Inference endpoint is ready: {endpoint}"}
