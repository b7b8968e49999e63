"""Delete inference app: removes the container app only; storage, share, environment and logs stay."""

from __future__ import annotations

from ..azure.errors import azure_error
from ..errors import Cancelled
from ..workspace.inference_config import update_config
from ..workspace.paths import INFERENCE_CONFIG
from .app_target import app_ref
from .context import OperationContext
from .results import DeleteResult


async def delete_app(context: OperationContext) -> DeleteResult:
    reporter = context.reporter
    ref = app_ref(context)
    if not await reporter.confirm(
            f"Delete the container app '{ref.name}' in resource group '{ref.resource_group}'? The storage account, "
            "file share (with your models), environment and Log Analytics workspace stay.", action="Delete"):
        raise Cancelled("Delete cancelled; nothing was changed.")
    async with context.open_session() as session, reporter.progress(f"Deleting {ref.name}") as progress:
        progress.report(f"Deleting container app {ref.name}")
        try:
            deleted = await context.container_apps(session, ref).delete()
        except Exception as error:
            raise azure_error(error, f"deleting container app {ref.name}") from None
    update_config(context.root, INFERENCE_CONFIG, {"ACA_APP_ENDPOINT": None})
    summary = f"Deleted container app {ref.name}." if deleted else f"Container app {ref.name} did not exist."
    await reporter.notify(summary)
    return DeleteResult(summary=summary, deleted=deleted, app=ref.name)
