"""New revision or restart: when the workspace's bicep gives the app another container template (image,
command, probes, scale...), update the app (ACA makes a new revision); otherwise restart the active revision
so the new code on the share is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...azure.container_apps import AppRef, ContainerApp, ContainerAppGateway
from ...workspace.bicep import Deployment, reveal
from ...workspace.finetuning import read_finetuning
from ...workspace.paths import INFERENCE_BICEP, INFERENCE_PARAMETERS
from ...workspace.template import evaluate, load_template
from ..provision.compare import differences
from ..provision.shared import parameter_defaults
from ..reporter import Reporter


def desired_template(root: Path, ref: AppRef, app: ContainerApp, reporter: Reporter) -> dict[str, Any] | None:
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
    deployment = Deployment(ref.subscription_id, ref.resource_group, app.location)
    evaluated = evaluate(template, deployment, defaults=parameter_defaults(finetuning, same_place))
    apps = [r for r in evaluated.of_type("Microsoft.App/containerApps") if r.short_name.lower() == ref.name.lower()]
    if not apps:
        reporter.log(f"{template.display} describes no container app named {ref.name}: keeping its container "
                     "settings as they are.", "warning")
        return None
    # The bicep's resource body (what ARM would receive), not an answer from Azure: read as the template has it.
    properties = apps[0].body.get("properties")
    wanted = properties.get("template") if isinstance(properties, dict) else None
    return wanted if isinstance(wanted, dict) else None


def template_changes(app: ContainerApp, wanted: dict[str, Any] | None) -> list[str]:
    """What the bicep changes in the app's container template (empty: nothing, or the app is not described)."""
    return [c.describe() for c in differences(wanted, app.template)] if wanted is not None else []


async def update_or_restart(apps: ContainerAppGateway, app: ContainerApp,
                            wanted: dict[str, Any] | None) -> tuple[str, str, list[str]]:
    """Returns (action, revision, changes): action is "updated" (new revision) or "restarted"."""
    changes = template_changes(app, wanted)
    if changes and wanted is not None:
        template = dict(app.template)
        template.update({k: v for k, v in reveal(wanted).items() if v is not None})
        updated = await apps.update(app, template)
        return "updated", str(updated.latest_revision_name or updated.latest_revision), changes
    revision = app.latest_revision
    if revision is None:
        raise LookupError(f"container app {apps.ref.name} has no revision yet")
    await apps.restart(revision)
    return "restarted", revision, []
