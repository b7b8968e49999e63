"""Roll back inference deployment: bring an earlier release back the way a deploy brings a new one (ready first,
then the traffic). Its revision is activated again when it still exists, else a new one runs it."""

from __future__ import annotations

from ...azure.container_apps import AppRef
from ...errors import InputError
from ...sync.releases import ReleaseCatalog, ReleaseManifest, list_releases
from ...workspace.app_contract import API_KEY_SECRET
from ...workspace.inference_config import load_config
from ...workspace.paths import INFERENCE_BICEP, INFERENCE_CONFIG
from ..app_target import read_app
from ..context import OperationContext
from ..results import RollbackResult
from .pipeline import Run
from .readiness import readiness_check
from .release_deploy import merged_template
from .revisions import release_run_by, runs_launcher, serving
from .rollout import choose_rollout, release_strategy, roll_out
from .storage_key import account_key

REQUIRED_KEYS = ("SUBSCRIPTION_ID", "RESOURCE_GROUP_NAME", "STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME", "ACA_APP_NAME")


def rollback_target(catalog: ReleaseCatalog, serving_release: str | None, to: str | None,
                    share_name: str) -> ReleaseManifest:
    """The release to go back to: `to` when given, else the one before the serving release; an InputError that
    lists the releases kept when there is none."""
    kept = ", ".join(r.id for r in catalog.releases) or "none"
    if to is not None:
        target = catalog.get(to)
        if target is None:
            raise InputError(f"Release '{to}' is not on share {share_name}; the releases kept there: "
                             f"{kept}. Pick one of them (`aca-inference status` lists them).")
        return target
    target = catalog.before(serving_release) if serving_release else None
    if target is None:
        raise InputError(f"No release before the serving one ({serving_release or 'none'}) is "
                         f"kept on share {share_name} (releases: {kept}). Deploy the code you "
                         "want, or roll back with --to to a release listed.")
    return target


async def rollback(context: OperationContext, to: str | None = None) -> RollbackResult:
    reporter = context.reporter
    config = load_config(context.root, INFERENCE_CONFIG, required_keys=REQUIRED_KEYS)
    ref = AppRef(str(config.SUBSCRIPTION_ID), str(config.RESOURCE_GROUP_NAME), str(config.ACA_APP_NAME))
    async with context.open_session() as session:
        apps = context.container_apps(session, ref)
        app = await read_app(apps)
        template = merged_template(app, None)
        if not runs_launcher(template):
            raise InputError(f"Container app {ref.name} runs its code in place on the share, so there are no releases "
                             "to go back to. Apps started through the release launcher (our template; "
                             "`aca-inference migrate` moves a project to it) keep the last releases for rollback.")
        endpoint = app.endpoint
        if endpoint is None:
            raise InputError(f"Container app {ref.name} has no ingress: enable external ingress on the target port.")
        key = await account_key(session, ref.subscription_id, ref.resource_group, str(config.STORAGE_ACCOUNT_NAME))
        share = session.share(str(config.STORAGE_ACCOUNT_NAME), key, str(config.FILE_SHARE_NAME))
        catalog = await list_releases(share)
        current = serving(await apps.list_revisions())
        serving_release = release_run_by(current) if current else None
        target = rollback_target(catalog, serving_release, to, str(config.FILE_SHARE_NAME))
        if current is not None and serving_release == target.id:
            reporter.log(f"Release {target.id} already serves (revision {current.name}).")
            return RollbackResult(summary=f"Release {target.id} already serves.", release=target.id,
                                  revision=current.name, action="unchanged")
        api_key = (await apps.secrets()).get(API_KEY_SECRET)
        choice = await choose_rollout(apps, app, current, str(INFERENCE_BICEP))
        if not choice.zero_downtime:
            reporter.log(f"This rollback restarts the app (the endpoint is down until the release answers): "
                         f"{choice.why_not}.", "warning")
        async with reporter.progress(f"Rolling back to release {target.id}") as progress:
            run = Run(context, apps, app, template, endpoint, api_key, readiness_check(app.template, api_key),
                      release_strategy(choice, app), progress, share=share)
            result = await roll_out(run, target.id)
    summary = (f"Rolled back to release {target.id} (revision {result.revision}); it serves "
               f"{endpoint}" + (f", release {result.previous_release} stopped" if result.previous_release else ""))
    reporter.log(summary)
    await reporter.notify(summary)
    return RollbackResult(summary=summary, release=target.id, revision=result.revision, action="rolled back",
                          previous_release=result.previous_release, zero_downtime=result.zero_downtime,
                          switch_seconds=round(result.switch_seconds, 2))
