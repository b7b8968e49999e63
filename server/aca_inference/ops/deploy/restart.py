"""New revision or restart: when the workspace's bicep gives the app another container template (image,
command, probes, scale...), update the app (ACA makes a new revision); otherwise restart the active revision
so the new code on the share is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...azure.arm_resources import as_arm_json
from ...azure.session import AzureSession
from ...workspace.bicep import Deployment, reveal
from ...workspace.finetuning import read_finetuning
from ...workspace.paths import INFERENCE_BICEP, INFERENCE_PARAMETERS
from ...workspace.template import evaluate, load_template
from ..provision.compare import differences
from ..provision.shared import parameter_defaults
from ..reporter import Reporter
from .app_state import AppRef, app_secrets, latest_revision


def desired_template(root: Path, ref: AppRef, app: dict[str, Any], reporter: Reporter) -> dict[str, Any] | None:
    """The app's `template` as the workspace's bicep describes it, or None when the workspace does not
    describe this app (a hand-provisioned one: its container settings are kept as they are)."""
    if not (root / INFERENCE_BICEP).exists() and not (root / INFERENCE_PARAMETERS).exists():
        reporter.log(f"Neither {INFERENCE_BICEP} nor {INFERENCE_PARAMETERS} exists: keeping the app's container "
                     "settings as they are.", "warning")
        return None
    template = load_template(root)
    finetuning, _ = read_finetuning(root)
    same_place = (finetuning.subscription_id in (None, ref.subscription_id)
                  and (finetuning.resource_group or "").lower() in ("", ref.resource_group.lower()))
    deployment = Deployment(ref.subscription_id, ref.resource_group, str(app.get("location") or ""))
    evaluated = evaluate(template, deployment, defaults=parameter_defaults(finetuning, same_place))
    apps = [r for r in evaluated.of_type("Microsoft.App/containerApps") if r.short_name.lower() == ref.name.lower()]
    if not apps:
        reporter.log(f"{template.display} describes no container app named {ref.name}: keeping its container "
                     "settings as they are.", "warning")
        return None
    wanted = (apps[0].body.get("properties") or {}).get("template")
    return wanted if isinstance(wanted, dict) else None


def template_changes(app: dict[str, Any], wanted: dict[str, Any] | None) -> list[str]:
    """What the bicep changes in the app's container template (empty: nothing, or the app is not described)."""
    current = (app.get("properties") or {}).get("template") or {}
    return [c.describe() for c in differences(wanted, current)] if wanted is not None else []


async def update_or_restart(session: AzureSession, ref: AppRef, app: dict[str, Any],
                            wanted: dict[str, Any] | None) -> tuple[str, str, list[str]]:
    """Returns (action, revision, changes): action is "updated" (new revision) or "restarted"."""
    client = session.container_apps(ref.subscription_id)
    current = (app.get("properties") or {}).get("template") or {}
    changes = template_changes(app, wanted)
    if changes and wanted is not None:
        properties = dict(app.get("properties") or {})
        configuration = dict(properties.get("configuration") or {})
        # ACA replaces the secret list on PUT: send the existing values back so the API key stays the same.
        configuration["secrets"] = [{"name": n, "value": v} for n, v in (await app_secrets(session, ref)).items()]
        template = dict(current)
        template.update({k: v for k, v in reveal(wanted).items() if v is not None})
        body = {"location": app["location"], "properties": {
            "environmentId": properties.get("environmentId") or properties.get("managedEnvironmentId"),
            "workloadProfileName": properties.get("workloadProfileName"),
            "configuration": configuration, "template": template}}
        poller = await client.container_apps.begin_create_or_update(ref.resource_group, ref.name, body)
        updated = as_arm_json(await poller.result())
        revision = (updated.get("properties") or {}).get("latestRevisionName") or latest_revision(updated)
        return "updated", str(revision), changes
    revision = latest_revision(app)
    if revision is None:
        raise LookupError(f"container app {ref.name} has no revision yet")
    await client.container_apps_revisions.restart_revision(ref.resource_group, ref.name, revision)
    return "restarted", revision, []
