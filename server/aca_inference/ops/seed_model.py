"""Put the offline demo model on the share as a fine-tuning job would have: `model-cache/<org>/<model>` and
the adapter under `models/`. Only when the share has no model cache yet - never over a real job's output.
These files are not in the deploy manifest, so deploys never touch them."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..azure.session import AzureSession
from ..azure.share_store import ShareStore
from .reporter import Reporter

MODEL_FOLDERS = ("model-cache", "models")


async def _exists(share: ShareStore, directory: str) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        await share.get_directory_client(directory).get_directory_properties()
        return True
    except ResourceNotFoundError:
        return False


async def ensure_demo_model(session: AzureSession, account: str, account_key: str, share_name: str,
                            reporter: Reporter) -> bool:
    import anyio

    from ..demo_model import make_demo_model

    share = session.share(account, account_key, share_name)
    if await _exists(share, "model-cache"):
        reporter.log("The share already has a model-cache/: keeping it (no demo model uploaded).")
        return False
    with tempfile.TemporaryDirectory(prefix="aca-demo-model-") as temp:
        root = Path(temp)
        await anyio.to_thread.run_sync(lambda: make_demo_model(root))
        files = sorted(p for folder in MODEL_FOLDERS for p in (root / folder).rglob("*") if p.is_file())
        directories = sorted({p.relative_to(root).parent for p in files} | {Path(f) for f in MODEL_FOLDERS},
                             key=lambda p: (len(p.parts), str(p)))
        for directory in directories:
            for depth in range(1, len(directory.parts) + 1):
                partial = Path(*directory.parts[:depth]).as_posix()
                if not await _exists(share, partial):
                    await share.create_directory(partial)
        for path in files:
            relative = path.relative_to(root).as_posix()
            with path.open("rb") as data:
                await share.get_file_client(relative).upload_file(data, length=path.stat().st_size)
        reporter.log(f"Uploaded the demo model ({len(files)} files) to {account}/{share_name}: "
                     + ", ".join(f"{f}/" for f in MODEL_FOLDERS))
    return True
