"""Deploy as a release: publish the app folders as an immutable release on the share (only contents the store
lacks travel), then bring it to the endpoint (rollout.py), then prune old releases. The app must start through
the release launcher (our template does)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from ...azure.container_apps import ContainerApp, ContainerAppGateway
from ...errors import OperationFailed, UserFacingError
from ...sync.releases import ReleaseManifest, prepare_release, prune_releases, publish_release, read_release
from ...sync.releases.layout import content_hash
from ...workspace.bicep import reveal
from ...workspace.paths import INFERENCE_BICEP
from ..context import OperationContext
from ..reporter import Progress
from .code_sync import app_folders, cache_dir
from .model_reload import record_cold_start, reload_instead_of_restart
from .outcome import DeployOutcome
from .readiness import readiness_check
from .restart import template_changes
from .revisions import release_run_by, serving
from .rollout import choose_rollout, deactivate_others, roll_out


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


async def _share_step(share: Any, step: Any, doing: str) -> Any:
    from ...sync.engine import share_error

    try:
        return await step
    except UserFacingError:
        raise  # ours: already a clear message
    except Exception as error:
        raise share_error(share, error, doing) from None


async def deploy_release(context: OperationContext, apps: ContainerAppGateway, app: ContainerApp,
                         wanted: dict[str, Any] | None, share: Any, endpoint: str, api_key: str | None,
                         progress: Progress) -> DeployOutcome:
    reporter = context.reporter
    template = merged_template(app, wanted)
    progress.report("Hashing the app's files", 3)
    include = app_folders(context.root, tuple(context.deploy_include), template)
    prepared = await prepare_release(context.root, include=include, cache_dir=cache_dir(),
                                     on_warning=lambda message: reporter.log(message, "warning"))
    current = serving(await apps.list_revisions())
    serving_release = release_run_by(current) if current else None
    serving_manifest = await _share_step(share, read_release(share, serving_release), "reading the releases") \
        if serving_release else None
    if serving_manifest is not None:
        for path in prepared.keep_skipped_from(serving_manifest):
            reporter.log(f"{path} keeps its content from release {serving_manifest.id} (skipped here, not deleted).")
    unchanged = serves_already(serving_manifest, prepared.manifest, template_changes(app, wanted))
    if unchanged and serving_manifest is not None and current is not None:
        progress.report("Code unchanged: reloading the adapters", 60)
        reloaded = await reload_instead_of_restart(share, endpoint, api_key, reporter)
        if reloaded is not None:
            # A revision an interrupted deploy left active at 0 % is not needed: this code already serves.
            await deactivate_others(apps, keep=current.name, reporter=reporter)
            return DeployOutcome(action="reloaded", revision=current.name, release=serving_manifest.id,
                                 ready_seconds=reloaded.seconds, files_unchanged=len(prepared.manifest.files))
        reporter.log(f"Code unchanged: release {serving_manifest.id} starts again in a new revision (nothing is "
                     "uploaded), so the app loads what changed on the share.")

    choice = await choose_rollout(apps, dataclasses.replace(app, template=template), current, str(INFERENCE_BICEP))
    if not choice.zero_downtime:
        reporter.log(f"This deploy restarts the app (the endpoint is down until the new release answers): "
                     f"{choice.why_not}.", "warning")

    def on_progress(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
        share_of_work = bytes_done / bytes_total if bytes_total else (files_done / files_total if files_total else 1)
        progress.report(f"Uploading {files_done}/{files_total} new contents, {bytes_done / 1e6:.1f}/"
                        f"{bytes_total / 1e6:.1f} MB", 5 + int(45 * share_of_work))

    if unchanged and serving_manifest is not None:
        release_id, uploaded, uploaded_bytes, reused = serving_manifest.id, 0, 0, len(serving_manifest.files)
    else:
        published = await _share_step(share, publish_release(share, prepared, on_progress=on_progress,
                                                             is_cancelled=lambda: progress.cancelled),
                                      "publishing the release")
        reporter.log(f"Release {published.release_id}: {len(prepared.manifest.files)} files, "
                     f"{published.files_uploaded} new content(s) uploaded ({published.bytes_uploaded / 1e6:.1f} MB), "
                     f"{published.files_reused} reused from the share, {published.requests_sent} requests.")
        release_id, uploaded, uploaded_bytes, reused = (published.release_id, published.files_uploaded,
                                                        published.bytes_uploaded, published.files_reused)
    if progress.cancelled:
        raise OperationFailed(f"Deploy cancelled after release {release_id} was uploaded; the app was not changed.")
    result = await roll_out(context, apps, app, template, release_id,
                            check=readiness_check(template, api_key), api_key=api_key,
                            endpoint=endpoint, progress=progress, zero_downtime=choice.zero_downtime, fresh=unchanged)
    outcome = DeployOutcome(action="released", revision=result.revision, ready_seconds=result.ready_seconds,
                            files_uploaded=uploaded, bytes_uploaded=uploaded_bytes, files_unchanged=reused,
                            files_deleted=prepared.dropped_from(serving_manifest) if serving_manifest else 0,
                            release=result.release,
                            previous_release=result.previous_release, zero_downtime=result.zero_downtime,
                            switch_seconds=result.switch_seconds)
    if api_key:
        await record_cold_start(share, endpoint, reporter)
    # Nothing new on the share when the same release started again: nothing to prune either.
    outcome.releases_removed = [] if unchanged else await _prune(context, apps, share)
    return outcome


async def _prune(context: OperationContext, apps: ContainerAppGateway, share: Any) -> list[str]:
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
