"""New revision or restart: if the desired container differs from the app's, update the app (ACA makes a new
revision); otherwise restart the active revision so the new code on the share is loaded."""

from __future__ import annotations

from typing import Any

from ...azure.session import AzureSession
from ...workspace.parameters import InferenceParameters
from ..provision.compare import differences
from ..provision.desired import container_app_template
from .app_state import AppRef, app_secrets, latest_revision, wire


def _storage_name(app: dict[str, Any]) -> str | None:
    volumes = ((app.get("properties") or {}).get("template") or {}).get("volumes") or []
    return next((v.get("storageName") for v in volumes if v.get("storageType") == "AzureFile"), None)


def template_changes(app: dict[str, Any], params: InferenceParameters | None) -> tuple[list[str], dict[str, Any] | None]:
    if params is None:
        return [], None
    storage = _storage_name(app)
    if storage is None:
        return ["volumes (the app has no Azure Files volume)"], None
    wanted = container_app_template(params, storage)
    current = (app.get("properties") or {}).get("template") or {}
    changes = [c.replace("containers[0].", "container.") for c in differences(wanted, current)]
    return changes, wanted


async def update_or_restart(session: AzureSession, ref: AppRef, app: dict[str, Any],
                            params: InferenceParameters | None) -> tuple[str, str, list[str]]:
    """Returns (action, revision, changes): action is "updated" (new revision) or "restarted"."""
    client = session.container_apps(ref.subscription_id)
    changes, wanted = template_changes(app, params)
    if changes and wanted is not None:
        properties = dict(app.get("properties") or {})
        configuration = dict(properties.get("configuration") or {})
        # ACA replaces the secret list on PUT: send the existing values back so the API key stays the same.
        configuration["secrets"] = [{"name": n, "value": v} for n, v in (await app_secrets(session, ref)).items()]
        template = dict(properties.get("template") or {})
        template.update(wanted)
        body = {"location": app["location"], "properties": {
            "environmentId": properties.get("environmentId") or properties.get("managedEnvironmentId"),
            "workloadProfileName": properties.get("workloadProfileName"),
            "configuration": configuration, "template": template}}
        poller = await client.container_apps.begin_create_or_update(ref.resource_group, ref.name, body)
        updated = wire(await poller.result())
        revision = (updated.get("properties") or {}).get("latestRevisionName") or latest_revision(updated)
        return "updated", str(revision), changes
    revision = latest_revision(app)
    if revision is None:
        raise LookupError(f"container app {ref.name} has no revision yet")
    await client.container_apps_revisions.restart_revision(ref.resource_group, ref.name, revision)
    return "restarted", revision, []
