"""Deploy after a fine-tuning run: when the code is unchanged and only the adapters on the share changed, ask
the running app to reload them (seconds) instead of restarting it (minutes on a GPU).

A restart is still needed when the base model changed: deploy keeps a fingerprint of `model-cache/` (names,
sizes, last-modified times as the share lists them) on the share and compares it with what is there now.
"""

from __future__ import annotations

import contextlib
import hashlib
import json

from ...azure.share_store import ShareDirectory, ShareStore
from ..reporter import Reporter
from .app_admin import AppAdminError, ReloadResult, reload_adapters, startup_report

BASE_MODEL_DIR = "model-cache"
FINGERPRINT_PATH = ".aca-inference/base-model.json"


async def _walk(directory: ShareDirectory, prefix: str, found: list[str]) -> None:
    async for item in directory.list_directories_and_files(include=["timestamps"]):
        name = f"{prefix}/{item['name']}"
        if item.get("is_directory"):
            await _walk(directory.get_subdirectory_client(item["name"]), name, found)
        else:
            changed = item.get("last_modified") or (item.get("file_attributes") or "")
            found.append(f"{name}\t{item.get('size')}\t{changed}")


async def base_model_fingerprint(share: ShareStore) -> str | None:
    """A digest of what the share holds under model-cache/, or None when it has none."""
    from azure.core.exceptions import ResourceNotFoundError

    found: list[str] = []
    try:
        await _walk(share.get_directory_client(BASE_MODEL_DIR), BASE_MODEL_DIR, found)
    except ResourceNotFoundError:
        return None
    return hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest()


async def _stored_fingerprint(share: ShareStore) -> str | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        stream = await share.get_file_client(FINGERPRINT_PATH).download_file()
        return str(json.loads(await stream.readall()).get("fingerprint"))
    except (ResourceNotFoundError, ValueError):
        return None


async def remember_base_model(share: ShareStore) -> None:
    """After a restart: what the app loaded as its base model."""
    from azure.core.exceptions import ResourceExistsError

    fingerprint = await base_model_fingerprint(share)
    directory = share.get_directory_client(FINGERPRINT_PATH.rsplit("/", 1)[0])
    with contextlib.suppress(ResourceExistsError):  # the sync's manifest lives there too
        await directory.create_directory()
    await share.get_file_client(FINGERPRINT_PATH).upload_file(json.dumps({"fingerprint": fingerprint}).encode())


async def reload_instead_of_restart(share: ShareStore, endpoint: str, api_key: str | None, reporter: Reporter) -> ReloadResult | None:
    """Reload the adapters of our serving app, or None when a restart is needed (and why is logged)."""
    if api_key is None:
        return None  # not our app: it has no reload route
    try:
        report = await startup_report(endpoint)
    except (AppAdminError, OSError):
        return None  # not our app (no startup report): restart as always
    if report.status != "ready" or not report.phases:
        return None  # loading, or an app with a /health of its own (no startup report: not ours)
    current = await base_model_fingerprint(share)
    if current is None or current != await _stored_fingerprint(share):
        reporter.log("The base model on the share changed (or was never recorded): restarting the app.")
        return None
    try:
        result = await reload_adapters(endpoint, api_key)
    except (AppAdminError, OSError) as error:
        reporter.log(f"The app could not reload its adapters ({error}): restarting it instead.", "warning")
        return None
    reporter.log(f"Code and base model unchanged: reloaded the adapters in {result.seconds:.1f}s instead of "
                 f"restarting (added: {', '.join(result.added) or 'none'}; removed: "
                 f"{', '.join(result.removed) or 'none'}; serving: {', '.join(result.models)}).")
    for adapter, why in result.failed.items():
        reporter.log(f"Adapter {adapter} could not be loaded: {why}", "warning")
    return result


async def record_cold_start(share: ShareStore, endpoint: str, reporter: Reporter) -> None:
    """Our app says where its start went; the base model it loaded is remembered for the next deploy."""
    from .app_admin import AppAdminError, describe_startup, startup_report

    try:
        report = await startup_report(endpoint)
    except AppAdminError:
        return  # not our app after all (no startup report): nothing to say, nothing to remember
    if report.status != "ready" or not report.phases:
        return  # an app with a /health of its own, not our startup report
    reporter.log(f"Cold start: {describe_startup(report)}")
    try:
        await remember_base_model(share)
    except Exception as error:  # noqa: BLE001 - only costs a restart next time instead of a reload
        reporter.log(f"Could not record the base model's fingerprint on the share ({type(error).__name__}).",
                     "debug")
