"""The deploy's sync step: the workspace's app folders to the share, through the one sync engine."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ...azure.session import AzureSession
from ..context import OperationContext
from ..reporter import Progress


async def check_app_files(context: OperationContext) -> None:
    """The workspace side of a deploy checked before any Azure call: names the share cannot hold, paths that
    cannot be read, nothing to deploy - bad input, reported at once (the sync scans again: files move)."""
    import anyio

    from ...sync.selection import scan

    await anyio.to_thread.run_sync(scan, context.root, list(context.deploy_include))


def cache_dir() -> Path:
    home = Path(os.environ.get("ACA_INFERENCE_HOME") or Path.home() / ".aca-inference")
    return home / "sync-cache"


_MOUNTED_FOLDER = re.compile(r"/mount/([A-Za-z0-9._-]+)")
DEFAULT_INCLUDE = ("inference",)


def app_folders(root: Path, include: tuple[str, ...], template: dict[str, Any] | None) -> list[str]:
    """What deploy syncs. Without --include: `inference/`, plus every workspace folder the app's command runs
    from under /mount (`cd /mount/inference-aca`), plus `setup/` when the command installs its requirements (an
    AI Toolkit project's app does). Folders synced before stay in, so nothing of theirs looks deleted."""
    if include != DEFAULT_INCLUDE:
        return list(include)
    folders = list(include)
    containers = (template or {}).get("containers") or []
    command = " ".join(str(part) for c in containers for part in [*(c.get("command") or []), *(c.get("args") or [])])
    for name in _MOUNTED_FOLDER.findall(command):
        if name not in folders and (root / name).is_dir():
            folders.append(name)
    if "setup" not in folders and (root / "setup" / "requirements.txt").is_file() and "setup/requirements" in command:
        folders.append("setup")
    return folders


async def sync_code(context: OperationContext, session: AzureSession, account: str, account_key: str, share: str,
                    progress: Progress, app_template: dict[str, Any] | None = None, *,
                    percentages: tuple[int, int] = (5, 55)) -> Any:
    """`percentages`: the progress the upload reports from and up to (the plan's)."""
    from ...sync import share_client_options, sync_to_share

    client = session.share(account, account_key, share,
                           **share_client_options(connection_verify=session.connection_verify))

    def on_progress(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
        share_of_work = bytes_done / bytes_total if bytes_total else (files_done / files_total if files_total else 1)
        progress.report(f"Uploading {files_done}/{files_total} files, {bytes_done / 1e6:.1f}/{bytes_total / 1e6:.1f} MB",
                        percentages[0] + int((percentages[1] - percentages[0]) * share_of_work))

    include = app_folders(context.root, tuple(context.deploy_include), app_template)
    result = await sync_to_share(client, context.root, include=include,
                                 cache_dir=cache_dir(), on_progress=on_progress,
                                 is_cancelled=lambda: progress.cancelled,
                                 on_warning=lambda message: context.reporter.log(message, "warning"))
    context.reporter.log(f"Synced to {account}/{share}: {result.files_uploaded} uploaded "
                         f"({result.bytes_uploaded / 1e6:.1f} MB), {result.files_deleted} removed, "
                         f"{result.files_unchanged} unchanged.")
    return result
