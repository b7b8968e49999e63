"""Show inference status: the app, its revisions and replicas, health and the endpoint.

A revision runs 0 to maxReplicas replicas. At zero (ACA's `ScaledToZero`, after the scale rule's cooldown without
requests) the app is not broken: the status says so, and that the first request waits while a replica starts (a
cold start: the container starts and the model loads)."""

from __future__ import annotations

from typing import Any

from ..azure.container_apps import AppRef, Revision
from ..azure.endpoints import portal_link
from ..azure.session import AzureSession
from ..sync.releases import ReleaseCatalog
from ..workspace.app_contract import API_KEY_SECRET
from ..workspace.paths import INFERENCE_CONFIG
from .app_target import app_ref, read_app
from .context import OperationContext
from .deploy.revisions import release_run_by, runs_launcher
from .deploy.storage_key import account_key
from .results import StatusResult


def release_rows(catalog: ReleaseCatalog, revisions: list[Revision]) -> list[dict[str, Any]]:
    """The releases kept on the share, newest last, each with the revisions that run it and whether it serves."""
    by_release: dict[str, list[Revision]] = {}
    for revision in revisions:
        if (release := release_run_by(revision)) is not None:
            by_release.setdefault(release, []).append(revision)
    rows = []
    for manifest in catalog.releases:
        running = by_release.get(manifest.id, [])
        rows.append({"id": manifest.id, "created": manifest.created, "files": len(manifest.files),
                     "bytes": manifest.size, "folders": manifest.folders,
                     "serving": any(r.traffic_weight > 0 for r in running),
                     "revisions": [r.name for r in running],
                     "active": any(r.active for r in running)})
    return rows


async def _releases(context: OperationContext, session: AzureSession, ref: AppRef,
                    revisions: list[Revision]) -> list[dict[str, Any]]:
    from ..sync.releases import list_releases
    from ..workspace.inference_config import load_config

    config = load_config(context.root, INFERENCE_CONFIG, required_keys=("STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME"))
    key = await account_key(session, ref.subscription_id, ref.resource_group, str(config.STORAGE_ACCOUNT_NAME))
    catalog = await list_releases(session.share(str(config.STORAGE_ACCOUNT_NAME), key, str(config.FILE_SHARE_NAME)))
    return release_rows(catalog, revisions)


def _log_releases(reporter: Any, releases: list[dict[str, Any]], revisions: list[dict[str, Any]]) -> None:
    reporter.log(f"  releases on the share ({len(releases)}, newest last; * serves):")
    by_name = {r["name"]: r for r in revisions}
    for row in releases:
        states = []
        for name in row["revisions"]:
            revision = by_name.get(name) or {}
            replicas = revision.get("replicas") or []
            ready = sum(1 for r in replicas if r["ready"])
            states.append(f"{name} ({revision.get('running_state') or 'inactive'}, {ready}/{len(replicas)} replica(s) "
                          "ready)" if revision.get("active") else f"{name} (inactive)")
        where = f"revision {', '.join(states)}" if states else "no revision"
        reporter.log(f"  {'*' if row['serving'] else ' '} {row['id']}: {row['files']} files, "
                     f"{row['bytes'] / 1e6:.1f} MB, {where}")


async def show_status(context: OperationContext, *, show_api_key: bool = False) -> StatusResult:
    reporter = context.reporter
    ref = app_ref(context)
    async with context.open_session() as session:
        apps = context.container_apps(session, ref)
        app = await read_app(apps)
        revisions = await apps.list_revisions()
        rows: list[dict[str, Any]] = []
        for revision in revisions:
            replicas = await apps.list_replicas(revision.name) if revision.active else []
            # created and release: what the VS Code tree groups and orders revisions by (release None: the
            # revision runs no release, e.g. an app that runs its code in place on the share).
            rows.append({"name": revision.name, "active": revision.active, "created": revision.created or None,
                         "release": release_run_by(revision), "running_state": revision.running_state or None,
                         "health_state": revision.health_state or None,
                         "traffic_weight": revision.traffic_weight, "fqdn": revision.fqdn,
                         "replica_count": len(replicas),
                         "replicas": [{"name": r.name, "running_state": r.running_state, "ready": r.ready,
                                       "restart_count": r.restart_count} for r in replicas]})
        api_key = (await apps.secrets()).get(API_KEY_SECRET) if show_api_key else None
        releases = await _releases(context, session, ref, revisions) if runs_launcher(app.template) else None
    endpoint = app.endpoint
    reporter.log(f"Container app {ref.name} ({app.provisioning_state}, {app.running_status or 'unknown'})")
    reporter.log(f"  endpoint: {endpoint or 'no ingress'}")
    reporter.log(f"  portal:   {portal_link(app.id)}")
    reporter.log(f"  replicas: {app.min_replicas} to {app.max_replicas} per revision, mode {app.revisions_mode}")
    for revision, row in zip(revisions, rows, strict=True):
        marker = "*" if row["active"] else " "
        url = f", {revision.url}" if revision.url and revision.active else ""
        reporter.log(f"{marker} revision {row['name']}: {row['running_state']}, health {row['health_state']}, "
                     f"traffic {row['traffic_weight']}%, {row['replica_count']} replica(s){url}")
        for replica in row["replicas"]:
            reporter.log(f"    replica {replica['name']}: {replica['running_state']}, ready={replica['ready']}, "
                         f"restarts={replica['restart_count']}")
    if releases is not None:
        _log_releases(reporter, releases, rows)
    healthy = any(r["active"] and str(r["health_state"]).lower() == "healthy" for r in rows)
    active = [r for r in rows if r["active"]]
    scaled_to_zero = bool(active) and all(str(r["running_state"]) == "ScaledToZero" for r in active)
    if scaled_to_zero:
        summary = (f"{ref.name}: scaled to zero (no replica runs, minReplicas 0); the first request waits while a "
                   f"replica starts and loads the model (cold start); endpoint {endpoint}")
    else:
        summary = f"{ref.name}: {'healthy' if healthy else 'not healthy'}; endpoint {endpoint}"
    await reporter.notify(summary)
    if show_api_key:
        # Asked for explicitly: only the result (stdout) carries it, never a log line.
        summary = api_key or "(the app has no API key: endpoint auth is off)"
    return StatusResult(summary=summary, app=ref.name, endpoint=endpoint, provisioning_state=app.provisioning_state,
                        healthy=healthy, scaled_to_zero=scaled_to_zero, revisions=rows, releases=releases,
                        serving_release=next((r["id"] for r in releases or [] if r["serving"]), None),
                        api_key=api_key if show_api_key else None, show_api_key=show_api_key)
