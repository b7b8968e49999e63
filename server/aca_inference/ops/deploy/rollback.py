"""Roll back inference deployment: bring an earlier release back the way a deploy brings a new one (ready first,
then the traffic). Its revision is activated again when it still exists, else a new one runs it."""

from __future__ import annotations

from typing import Any

from ...azure.endpoints import app_url
from ...azure.session import open_session
from ...errors import InputError
from ...sync.releases import list_releases
from ...workspace.app_contract import API_KEY_SECRET
from ...workspace.inference_config import load_config
from ...workspace.paths import INFERENCE_BICEP, INFERENCE_CONFIG
from ..app_target import read_app
from ..context import OperationContext
from .app_state import AppRef, account_key, app_secrets
from .readiness import readiness_check
from .release_deploy import merged_template
from .revisions import list_revisions, runs_launcher, serving
from .rollout import choose_rollout, roll_out

REQUIRED_KEYS = ("SUBSCRIPTION_ID", "RESOURCE_GROUP_NAME", "STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME", "ACA_APP_NAME")


async def rollback(context: OperationContext, to: str | None = None) -> dict[str, Any]:
    reporter = context.reporter
    config = load_config(context.root, INFERENCE_CONFIG, required_keys=REQUIRED_KEYS)
    ref = AppRef(str(config.SUBSCRIPTION_ID), str(config.RESOURCE_GROUP_NAME), str(config.ACA_APP_NAME))
    async with open_session(context.target) as session:
        app = await read_app(session, ref)
        template = merged_template(app, None)
        if not runs_launcher(template):
            raise InputError(f"Container app {ref.name} runs its code in place on the share, so there are no releases "
                             "to go back to. Apps started through the release launcher (our template; "
                             "`aca-inference migrate` moves a project to it) keep the last releases for rollback.")
        fqdn = ((app.get("properties") or {}).get("configuration") or {}).get("ingress", {}).get("fqdn")
        if not fqdn:
            raise InputError(f"Container app {ref.name} has no ingress: enable external ingress on the target port.")
        key = await account_key(session, ref.subscription_id, ref.resource_group, str(config.STORAGE_ACCOUNT_NAME))
        share = session.share(str(config.STORAGE_ACCOUNT_NAME), key, str(config.FILE_SHARE_NAME))
        catalog = await list_releases(share)
        current = serving(await list_revisions(session, ref))
        kept = ", ".join(r.id for r in catalog.releases) or "none"
        if to is not None:
            target = catalog.get(to)
            if target is None:
                raise InputError(f"Release '{to}' is not on share {config.FILE_SHARE_NAME}; the releases kept there: "
                                 f"{kept}. Pick one of them (`aca-inference status` lists them).")
        else:
            target = catalog.before(current.release) if current and current.release else None
            if target is None:
                raise InputError(f"No release before the serving one ({current.release if current else 'none'}) is "
                                 f"kept on share {config.FILE_SHARE_NAME} (releases: {kept}). Deploy the code you "
                                 "want, or roll back with --to to a release listed.")
        if current is not None and current.release == target.id:
            reporter.log(f"Release {target.id} already serves (revision {current.name}).")
            return {"release": target.id, "revision": current.name, "action": "unchanged",
                    "summary": f"Release {target.id} already serves."}
        api_key = (await app_secrets(session, ref)).get(API_KEY_SECRET)
        choice = await choose_rollout(session, app, current, str(INFERENCE_BICEP))
        if not choice.zero_downtime:
            reporter.log(f"This rollback restarts the app (the endpoint is down until the release answers): "
                         f"{choice.why_not}.", "warning")
        async with reporter.progress(f"Rolling back to release {target.id}") as progress:
            result = await roll_out(context, session, ref, app, template, target.id,
                                    check=readiness_check(app, api_key), api_key=api_key, endpoint=app_url(fqdn),
                                    progress=progress, zero_downtime=choice.zero_downtime)
    summary = (f"Rolled back to release {target.id} (revision {result.revision}); it serves "
               f"{app_url(fqdn)}" + (f", release {result.previous_release} stopped" if result.previous_release else ""))
    reporter.log(summary)
    await reporter.notify(summary)
    return {"release": target.id, "revision": result.revision, "previous_release": result.previous_release,
            "action": "rolled back", "zero_downtime": result.zero_downtime,
            "switch_seconds": round(result.switch_seconds, 2), "summary": summary}
