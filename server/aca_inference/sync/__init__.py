"""Azure Files sync engine: the workspace's app folders to the share the container app mounts at /mount.

Entry point (async, anyio)::

    async def sync_to_share(
        share: azure.storage.fileshare.aio.ShareClient,   # authenticated, connection_verify set
        root: Path,                                       # the workspace folder
        *,
        include: list[str] | tuple[str, ...] | None = None,  # folders/files relative to root; None -> ["inference"]
        cache_dir: Path | None = None,                    # local hash cache (e.g. $ACA_INFERENCE_HOME/sync-cache)
        on_progress: Callable[[int, int, int, int], None] | None = None,
                                                          # (files_done, files_total, bytes_done, bytes_total)
        is_cancelled: Callable[[], bool] | None = None,   # polled before every request
        concurrency: int = 16,                            # requests in flight
        on_warning: Callable[[str], None] | None = None,  # skipped paths, one message each
    ) -> SyncResult
    # SyncResult: files_uploaded, bytes_uploaded, files_deleted, files_unchanged, requests_sent,
    #             directories_created, seconds, first_sync

Raises `aca_inference.errors.InputError` (bad include entry, a name Azure Files refuses, two names differing
only in case), `OperationFailed` (share missing, key refused, files that failed after retries - the message
lists them) and `Cancelled` (is_cancelled() turned true; the manifest on the share is left truthful).

What is synced: the include folders, filtered by every `.gitignore` on the way (git's precedence), our own
`.acainferenceignore` (same syntax, applied last, so `!pattern` can re-include) and built-in excludes (.git,
virtual environments, node_modules, __pycache__, caches). `model-cache/` and `models/` - the fine-tuning job's
outputs - can never be included, written or deleted.

The share keeps `.aca-inference/manifest.json` (path -> size, sha256) listing exactly the files deploys put
there; only those are ever deleted (when gone locally or no longer selected). A deploy without changes costs
one request (the manifest GET); a local hash cache keyed by (path, size, mtime_ns) spares re-reading files.

Retries are azure-core's retry policy on the client (`azure/retry.py`: also 429, which the storage SDK's own
policy skips). Build the ShareClient with `**share_client_options(connection_verify=...)`: that retry policy,
fit for many small parallel requests, and a transport that reuses its TLS connections.

A folder or file of the workspace that cannot be read stops the sync before anything is written (InputError
naming every such path); a link loop, a link to a folder or a FIFO is skipped with `on_warning(message)` and
its copy on the share is kept: only files positively gone locally are deleted.
"""

from __future__ import annotations

from typing import Any

from .engine import DEFAULT_CONCURRENCY, SyncResult, sync_to_share
from .selection import DEFAULT_INCLUDE, PROTECTED_FOLDERS, select_files

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_INCLUDE", "PROTECTED_FOLDERS", "SyncResult", "select_files",
           "share_client_options", "sync_to_share"]


def share_client_options(*, connection_verify: str | bool = True) -> dict[str, Any]:
    """Keyword arguments for one `azure.storage.fileshare.aio.ShareClient(...)` used by deploys (call once per
    client: it holds the client's transport).

    - retries: azure-core's retry policy (408, 429, 5xx, dropped connections; Retry-After honoured) tuned for
      many small parallel requests - 7 retries, back-off from 0.3 s doubling up to 8 s;
    - transport: aiohttp with connection reuse kept working when `connection_verify` is a CA path (see
      `azure/transport.py`; azure-core otherwise makes a TLS handshake per request).
    """
    from ..azure.session import share_client_options as options

    return options(connection_verify=connection_verify)
