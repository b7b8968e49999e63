"""The release strategy's own steps: prepare (hash the app folders into a release, see whether the serving release
is this code), publish it as an immutable release on the share (only contents the store lacks travel), and prune
old releases; the rollout's steps (rollout.py) bring it to the endpoint. The app must start through the release
launcher (our template does). The plan: plan.deploy_plan."""

from __future__ import annotations

import copy
from collections.abc import Awaitable
from typing import Any, TypeVar

from ...azure.container_apps import ContainerApp, ContainerAppGateway
from ...azure.share_store import ShareStore
from ...errors import UserFacingError
from ...sync.releases import ReleaseManifest, prepare_release, prune_releases, publish_release, read_release
from ...sync.releases.layout import content_hash
from ...workspace.bicep import reveal
from ..context import OperationContext
from .code_sync import app_folders, cache_dir
from .pipeline import Run, StepHandler, cold_start, reload_adapters
from .plan import Step, StepName
from .restart import template_changes
from .revisions import release_run_by, serving
from .rollout import ROLLOUT_STEPS


def merged_template(app: ContainerApp, wanted: dict[str, Any] | None) -> dict[str, Any]:
    """The container template a new revision gets: the app's, with what the workspace's bicep states."""
    template = copy.deepcopy(app.template)
    if wanted is not None:
        template.update({k: v for k, v in reveal(wanted).items() if v is not None})
    template.pop("revisionSuffix", None)
    return template


def serves_already(serving_manifest: ReleaseManifest | None, prepared: ReleaseManifest, changes: list[str]) -> bool:
    """The release prepared holds the serving release's files, path for path and byte for byte, and the bicep
    changes nothing in the container template: nothing to publish (only the release id, a time stamp, differs)."""
    return (serving_manifest is not None and not changes
            and content_hash(serving_manifest.files) == content_hash(prepared.files))


T = TypeVar("T")


async def _share_step(share: ShareStore, step: Awaitable[T], doing: str) -> T:
    from ...sync.engine import share_error

    try:
        return await step
    except UserFacingError:
        raise  # ours: already a clear message
    except Exception as error:
        raise share_error(share, error, doing) from None


async def prepare(run: Run, step: Step) -> None:
    """Hash the app's files into the release they make; read the serving release to see whether it is this code."""
    reporter, context = run.reporter, run.context
    run.progress.report("Hashing the app's files", step.percentage)
    include = app_folders(context.root, tuple(context.deploy_include), run.template)
    prepared = await prepare_release(context.root, include=include, cache_dir=cache_dir(),
                                     on_warning=lambda message: reporter.log(message, "warning"))
    run.current = current = serving(await run.apps.list_revisions())
    serving_release = release_run_by(current) if current else None
    serving_manifest = await _share_step(run.store, read_release(run.store, serving_release),
                                         "reading the releases") if serving_release else None
    if serving_manifest is not None:
        for path in prepared.keep_skipped_from(serving_manifest):
            reporter.log(f"{path} keeps its content from release {serving_manifest.id} (skipped here, not deleted).")
    unchanged = serves_already(serving_manifest, prepared.manifest, template_changes(run.app, run.wanted))
    run.state.update(prepared=prepared, serving_manifest=serving_manifest)
    run.code_unchanged = run.fresh = unchanged and serving_manifest is not None and current is not None
    if run.code_unchanged and serving_manifest is not None:
        run.outcome.release, run.outcome.files_unchanged = serving_manifest.id, len(prepared.manifest.files)


async def publish(run: Run, step: Step) -> None:
    """Upload what the share lacks and write the release (nothing, when the serving release is this code)."""
    reporter, progress = run.reporter, run.progress
    prepared, serving_manifest = run.state["prepared"], run.state["serving_manifest"]
    if run.code_unchanged and serving_manifest is not None:
        reporter.log(f"Code unchanged: release {serving_manifest.id} starts again in a new revision (nothing is "
                     "uploaded), so the app loads what changed on the share.")
    if not run.strategy.zero_downtime:
        reporter.log(f"This deploy restarts the app (the endpoint is down until the new release answers): "
                     f"{run.strategy.why_not}.", "warning")

    def on_progress(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
        share_of_work = bytes_done / bytes_total if bytes_total else (files_done / files_total if files_total else 1)
        progress.report(f"Uploading {files_done}/{files_total} new contents, {bytes_done / 1e6:.1f}/"
                        f"{bytes_total / 1e6:.1f} MB", step.percentage + int((step.until - step.percentage)
                                                                             * share_of_work))

    outcome = run.outcome
    if run.code_unchanged and serving_manifest is not None:
        run.release, outcome.files_unchanged = serving_manifest.id, len(serving_manifest.files)
    else:
        published = await _share_step(run.store, publish_release(run.store, prepared, on_progress=on_progress,
                                                                 is_cancelled=lambda: progress.cancelled),
                                      "publishing the release")
        reporter.log(f"Release {published.release_id}: {len(prepared.manifest.files)} files, "
                     f"{published.files_uploaded} new content(s) uploaded ({published.bytes_uploaded / 1e6:.1f} MB), "
                     f"{published.files_reused} reused from the share, {published.requests_sent} requests.")
        run.release = published.release_id
        outcome.files_uploaded, outcome.bytes_uploaded = published.files_uploaded, published.bytes_uploaded
        outcome.files_unchanged = published.files_reused
    outcome.files_deleted = prepared.dropped_from(serving_manifest) if serving_manifest else 0
    run.after_upload = f"release {run.release} was uploaded; the app was not changed"


async def prune(run: Run, step: Step) -> None:
    # Nothing new on the share when the same release started again: nothing to prune either.
    run.outcome.releases_removed = [] if run.code_unchanged else await _prune(run.context, run.apps, run.store)


RELEASE_STEPS: dict[StepName, StepHandler] = {**ROLLOUT_STEPS, "prepare": prepare, "publish": publish,
                                              "reload_adapters": reload_adapters, "cold_start": cold_start,
                                              "prune": prune}


async def _prune(context: OperationContext, apps: ContainerAppGateway, share: ShareStore) -> list[str]:
    """Old releases go only after no revision uses them; a failure here costs only space."""
    try:
        in_use = {release for r in await apps.list_revisions() if r.active and (release := release_run_by(r))}
        pruned = await prune_releases(share, keep=context.keep_releases, in_use=in_use)
    except Exception as error:  # noqa: BLE001
        context.reporter.log(f"Old releases were not pruned ({type(error).__name__}); the next deploy tries again.",
                             "warning")
        return []
    if pruned.releases_removed:
        context.reporter.log(f"Removed old release(s) {', '.join(pruned.releases_removed)} (keeping the newest "
                             f"{context.keep_releases}); {pruned.objects_removed} content(s) no release uses, "
                             f"{pruned.bytes_freed / 1e6:.1f} MB.")
    return pruned.releases_removed
