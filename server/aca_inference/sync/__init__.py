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

Retries are azure-core's (the storage SDK's retry policy on the client). Build the ShareClient with
`**share_client_options(connection_verify=...)`: a retry policy fit for many small parallel requests (the
SDK's default backs off 15 s and more per retry) and a transport that reuses its TLS connections.
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

    - retries: the SDK's own ExponentialRetry (5xx, 408, 429, connection errors) tuned for many small parallel
      requests - first retry after ~2 s instead of ~18 s, 7 retries, about 50 s in all;
    - transport: aiohttp with connection reuse kept working when `connection_verify` is a CA path (see
      `azure/transport.py`; azure-core otherwise makes a TLS handshake per request).
    """
    from ..azure.transport import pooled_transport

    return {"retry_total": 7, "initial_backoff": 0.3, "increment_base": 1.5, "random_jitter_range": 0.3,
            "connection_verify": connection_verify, "transport": pooled_transport(connection_verify=connection_verify)}
