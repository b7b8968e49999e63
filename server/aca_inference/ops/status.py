"""Show inference status: the app, its revisions and replicas, health and the endpoint.

A revision runs 0 to maxReplicas replicas. At zero (ACA's `ScaledToZero`, after the scale rule's cooldown without
requests) the app is not broken: the status says so, and that the first request waits while a replica starts (a
cold start: the container starts and the model loads)."""

from __future__ import annotations

from typing import Any

from ..azure.arm_resources import as_arm_json
from ..azure.endpoints import app_url, portal_link
from ..azure.session import AzureSession, open_session
from ..workspace.app_contract import API_KEY_SECRET
from ..workspace.paths import INFERENCE_CONFIG
from .app_target import app_ref, read_app
from .context import OperationContext
from .deploy.app_state import AppRef, account_key, app_secrets, revision_state
from .deploy.revisions import release_of, runs_launcher


async def _releases(context: OperationContext, session: AzureSession, ref: AppRef,
                    revisions: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The releases kept on the share, newest last, each with the revisions that run it."""
    from ..sync.releases import list_releases
    from ..workspace.inference_config import load_config

    config = load_config(context.root, INFERENCE_CONFIG, required_keys=("STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME"))
    key = await account_key(session, ref.subscription_id, ref.resource_group, str(config.STORAGE_ACCOUNT_NAME))
    catalog = await list_releases(session.share(str(config.STORAGE_ACCOUNT_NAME), key, str(config.FILE_SHARE_NAME)))
    by_release: dict[str, list[dict[str, Any]]] = {}
    for revision in revisions:
        rp = revision.get("properties") or {}
        if (release := release_of(rp.get("template"))) is not None:
            by_release.setdefault(release, []).append(revision)
    rows = []
    for manifest in catalog.releases:
        running = by_release.get(manifest.id, [])
        rows.append({"id": manifest.id, "created": manifest.created, "files": len(manifest.files),
                     "bytes": manifest.size, "folders": manifest.folders,
                     "serving": any(int((r.get("properties") or {}).get("trafficWeight") or 0) > 0 for r in running),
                     "revisions": [r.get("name") for r in running],
                     "active": any((r.get("properties") or {}).get("active") for r in running)})
    return rows


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


async def show_status(context: OperationContext, *, show_api_key: bool = False) -> dict[str, Any]:
    reporter = context.reporter
    ref = app_ref(context)
    async with open_session(context.target) as session:
        app = await read_app(session, ref)
        properties = app.get("properties") or {}
        fqdn = (properties.get("configuration") or {}).get("ingress", {}).get("fqdn")
        client = session.container_apps(ref.subscription_id)
        revisions = [as_arm_json(r) async for r in client.container_apps_revisions.list_revisions(ref.resource_group, ref.name)]
        rows = []
        for revision in revisions:
            rp = revision.get("properties") or {}
            state = await revision_state(session, ref, revision["name"]) if rp.get("active") else None
            rows.append({"name": revision["name"], "active": bool(rp.get("active")),
                         "running_state": rp.get("runningState"), "health_state": rp.get("healthState"),
                         "traffic_weight": rp.get("trafficWeight"), "fqdn": rp.get("fqdn") or None,
                         "replica_count": len(state.replicas) if state else 0,
                         "replicas": [{"name": r.name, "running_state": r.running_state, "ready": r.ready,
                                       "restart_count": r.restart_count} for r in (state.replicas if state else [])]})
        api_key = (await app_secrets(session, ref)).get(API_KEY_SECRET) if show_api_key else None
        releases = await _releases(context, session, ref, revisions) if runs_launcher(properties.get("template")) \
            else None
    endpoint = app_url(fqdn) if fqdn else None
    reporter.log(f"Container app {ref.name} ({properties.get('provisioningState')}, "
                 f"{properties.get('runningStatus') or properties.get('runningState') or 'unknown'})")
    reporter.log(f"  endpoint: {endpoint or 'no ingress'}")
    reporter.log(f"  portal:   {portal_link(app.get('id', ''))}")
    scale = (properties.get("template") or {}).get("scale") or {}
    reporter.log(f"  replicas: {scale.get('minReplicas', 0)} to {scale.get('maxReplicas', 10)} per revision, "
                 f"mode {(properties.get('configuration') or {}).get('activeRevisionsMode', 'Single')}")
    for row in rows:
        marker = "*" if row["active"] else " "
        url = f", {app_url(row['fqdn'])}" if row["fqdn"] and row["active"] else ""
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
    return {"app": ref.name, "endpoint": endpoint, "provisioning_state": properties.get("provisioningState"),
            "healthy": healthy, "scaled_to_zero": scaled_to_zero, "revisions": rows, "summary": summary,
            "releases": releases,
            "serving_release": next((r["id"] for r in releases or [] if r["serving"]), None),
            **({"api_key": api_key} if show_api_key else {})}
