"""The deploy operation, front-end agnostic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ...azure.container_apps import AppRef
from ...azure.errors import azure_error, is_not_found
from ...errors import InputError
from ...workspace.app_contract import API_KEY_SECRET
from ...workspace.inference_config import CONFIG_KEYS, load_config, record_endpoint
from ...workspace.paths import INFERENCE_CONFIG
from ..context import OperationContext
from .code_sync import check_app_files
from .in_place import IN_PLACE_STEPS, SyncTarget
from .outcome import DeployResult
from .pipeline import Run, StepHandler, run_deploy
from .plan import StepName, StrategyKind
from .preflight import deploy_preflight
from .readiness import readiness_check
from .release_deploy import RELEASE_STEPS, merged_template
from .restart import desired_template
from .rollout import choose_strategy
from .storage_key import account_key

REQUIRED_KEYS = tuple(k for k in CONFIG_KEYS if k != "ACA_APP_ENDPOINT")
GO_TO_ENDPOINT = "Go to Inference Endpoint"
COPY_API_KEY = "Copy API Key"
_background: set[asyncio.Task[Any]] = set()
# Each strategy's steps: its own (release_deploy.py, in_place.py) and the shared ones (pipeline.py, rollout.py).
STEPS: dict[StrategyKind, dict[StepName, StepHandler]] = {"release": RELEASE_STEPS, "in_place": IN_PLACE_STEPS}


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
            merged = merged_template(app, wanted)
            strategy = await choose_strategy(apps, app, merged)  # chosen once; the plan follows from it
            run = Run(context, apps, app, merged, endpoint, api_key, readiness_check(merged, api_key), strategy,
                      progress, share=share, wanted=wanted)
            run.state["sync_target"] = SyncTarget(session, str(config.STORAGE_ACCOUNT_NAME), key,
                                                  str(config.FILE_SHARE_NAME))
            outcome = await run_deploy(run, STEPS[strategy.kind])

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
