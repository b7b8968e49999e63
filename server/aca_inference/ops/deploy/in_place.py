"""The in-place strategy's own steps, for an app that does not start through the release launcher (e.g. an AI
Toolkit project's own app): its folders are synced where it runs, then it restarts (or gets a new revision when the
bicep changed it). The endpoint is down until it answers again. The plan: plan.deploy_plan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from ...azure.errors import azure_error
from ...azure.session import AzureSession
from .code_sync import sync_code
from .pipeline import Run, StepHandler, cold_start, reload_adapters, wait_ready
from .plan import Step, StepName
from .readiness import readiness_check
from .restart import template_changes, update_or_restart

IN_PLACE_NOTE = ("This app runs its code in place on the share, so the deploy restarts it and the endpoint is down "
                 "until it answers again. Apps started through the release launcher (our template: `aca-inference "
                 "migrate`) switch releases without downtime.")


class SyncTarget(NamedTuple):
    """Where the in-place code goes: the share the app mounts."""

    session: AzureSession
    account: str
    key: str
    share: str


async def sync(run: Run, step: Step) -> None:
    where: SyncTarget = run.state["sync_target"]
    run.progress.report(f"Syncing code to {where.account}/{where.share}", step.percentage)
    synced = await sync_code(run.context, where.session, where.account, where.key, where.share, run.progress,
                             run.wanted or run.app.template, percentages=(step.percentage, step.until))
    run.after_upload = "the sync; the app was not restarted"
    if not run.progress.cancelled:  # a cancel now is reported as such, right after this step
        run.reporter.log(IN_PLACE_NOTE, "info")
    outcome = run.outcome
    outcome.files_uploaded, outcome.bytes_uploaded = synced.files_uploaded, synced.bytes_uploaded
    outcome.files_deleted, outcome.files_unchanged = synced.files_deleted, synced.files_unchanged
    run.code_unchanged = (synced.files_uploaded == 0 and synced.files_deleted == 0
                          and not template_changes(run.app, run.wanted))


async def restart(run: Run, step: Step) -> None:
    """Restart the serving revision so it loads the new code (or update the app: ACA makes a new revision)."""
    run.progress.report("Restarting the app", step.percentage)
    run.since = datetime.now(UTC)
    name = run.apps.ref.name
    try:
        action, revision, changes = await update_or_restart(run.apps, run.app, run.wanted)
    except Exception as error:
        raise azure_error(error, f"restarting container app {name}") from None
    run.reporter.log(f"App {name}: {action} revision {revision}" + (f" ({', '.join(changes)})" if changes else ""))
    if action == "updated":
        run.app = await run.apps.get_app()
    run.check = readiness_check(run.app.template, run.api_key)
    run.outcome.action, run.revision = action, revision


IN_PLACE_STEPS: dict[StepName, StepHandler] = {"sync": sync, "reload_adapters": reload_adapters, "restart": restart,
                                               "wait_ready": wait_ready, "cold_start": cold_start}
