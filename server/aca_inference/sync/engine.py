"""One sync of the workspace's app folders to the share: read the manifest, decide, write, record.

Order of writes (what keeps an interrupted sync safe):
1. the manifest, with every file about to be written or deleted marked `pending`;
2. missing folders, parents first, each created once;
3. uploads and deletes, in parallel, bounded;
4. the manifest again: what was written is recorded with its hash, what was not started keeps its previous
   entry, what was started but not finished stays `pending` (re-done by the next sync).
Step 4 runs even when the sync is cancelled or fails, shielded from cancellation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import anyio

from ..azure.share_store import ShareStore
from ..errors import Cancelled, InputError, OperationFailed
from .hash_cache import LocalHashCache, hash_files
from .manifest import MANIFEST_DIRECTORY, MANIFEST_PATH, ManifestEntry, ShareManifest, read_manifest, write_manifest
from .progress import ProgressCallback, TransferProgress
from .selection import PROTECTED_FOLDERS, LocalFile, scan
from .transfer import FileChangedError, ShareWriter, SyncStopped

DEFAULT_CONCURRENCY = 16


@dataclass
class SyncResult:
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    files_deleted: int = 0
    files_unchanged: int = 0
    requests_sent: int = 0
    directories_created: int = 0
    seconds: float = 0.0
    first_sync: bool = False


@dataclass
class _Upload:
    file: LocalFile
    sha256: str | None
    state: str = "waiting"  # waiting -> started -> done | failed
    error: str = ""

    def started(self) -> None:
        self.state = "started"


@dataclass
class _Plan:
    uploads: list[_Upload] = field(default_factory=list)
    unchanged: dict[str, ManifestEntry] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)


def describe_failure(error: BaseException) -> str:
    from azure.core.exceptions import HttpResponseError, IncompleteReadError, ServiceRequestError, ServiceResponseError

    if isinstance(error, ServiceRequestError | ServiceResponseError | IncompleteReadError):
        return f"the connection failed even after retries ({type(error).__name__})"  # not the service's answer
    if isinstance(error, HttpResponseError):
        return f"{error.status_code} {getattr(error, 'error_code', None) or error.reason}"
    if isinstance(error, FileNotFoundError | FileChangedError):
        return "changed or removed locally while it was uploaded"
    if isinstance(error, OSError):
        return f"cannot be read locally: {error.strerror or type(error).__name__}"
    return type(error).__name__ + (f": {error}" if str(error) else "")


def _protected(path: str) -> bool:
    return path.split("/", 1)[0] in PROTECTED_FOLDERS


async def _plan(root: Path, files: list[LocalFile], manifest: ShareManifest, cache: LocalHashCache,
                keep: set[str]) -> _Plan:
    plan = _Plan()
    to_hash: list[LocalFile] = []
    for file in files:
        entry = manifest.files.get(file.path)
        sha = cache.get(file)
        if entry is None or entry.pending or entry.size != file.size:
            plan.uploads.append(_Upload(file, sha))  # hashed while it is uploaded
        elif sha is None:
            to_hash.append(file)
        elif sha == entry.sha256:
            plan.unchanged[file.path] = entry
        else:
            plan.uploads.append(_Upload(file, sha))
    hashes = await hash_files(root, to_hash)
    for file in to_hash:
        sha = hashes.get(file.path)
        if sha is not None:
            cache.put(file, sha)
        if sha is not None and sha == manifest.files[file.path].sha256:
            plan.unchanged[file.path] = manifest.files[file.path]
        else:
            plan.uploads.append(_Upload(file, sha))  # changed (or vanished since the scan: the upload says so)
    local = {file.path for file in files}
    # Only what the scan positively saw gone is deleted: skipped links and the like keep their share copy.
    plan.deletes = sorted(path for path in manifest.files
                          if path not in local and path not in keep and not _protected(path))
    plan.uploads.sort(key=lambda upload: -upload.file.size)  # long transfers first: the tail stays short
    return plan


def _needed_directories(uploads: list[_Upload], known: set[str]) -> list[str]:
    """Folders to create, parents before children."""
    needed = _folders_of((upload.file.path for upload in uploads), known)
    return sorted(needed, key=lambda directory: (directory.count("/"), directory))


def _emptied_directories(deleted: list[str], local: set[str]) -> list[str]:
    """Folders that held deleted files and hold none of the synced files now: deepest first."""
    keep = _folders_of(local, set())
    return sorted(_folders_of(deleted, keep), key=lambda d: (-d.count("/"), d))


def _folders_of(paths: Iterable[str], stop_at: set[str]) -> set[str]:
    """The folders holding `paths`, up to (not including) any in `stop_at`."""
    found: set[str] = set()
    for path in paths:
        parent = path.rpartition("/")[0]
        while parent and parent not in stop_at and parent not in found:
            found.add(parent)
            parent = parent.rpartition("/")[0]
    return found


def _still_same(root: Path, file: LocalFile) -> bool:
    try:
        st = (root / file.path).stat()
    except FileNotFoundError:
        return False
    return st.st_size == file.size and st.st_mtime_ns == file.mtime_ns


def _final_manifest(previous: ShareManifest, plan: _Plan, deleted: set[str], root: Path) -> ShareManifest:
    files = dict(previous.files)
    files.update(plan.unchanged)
    for upload in plan.uploads:
        path = upload.file.path
        if upload.state == "done" and _still_same(root, upload.file):
            files[path] = ManifestEntry(size=upload.file.size, sha256=upload.sha256 or "")
        elif upload.state != "waiting":
            files[path] = ManifestEntry(size=upload.file.size, sha256=upload.sha256 or "", pending=True)
        # waiting: never touched on the share, the previous entry (or none) is still the truth
    for path in deleted:
        files.pop(path, None)
    return ShareManifest(files=dict(sorted(files.items())))


def share_missing(account: str, share: str) -> InputError:
    """The config names a share that is not there: bad input, like a wrong account or app name."""
    return InputError(f"infra/inference.config.json: FILE_SHARE_NAME: the file share '{share}' does not exist in "
                      f"storage account '{account}'. Fix: run provision to create it, or correct FILE_SHARE_NAME "
                      "in infra/inference.config.json.")


def share_error(share: ShareStore, error: BaseException, doing: str = "reading the deploy manifest") -> OperationFailed | InputError:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    name = share.share_name
    account = share.account_name or "?"
    if isinstance(error, ResourceNotFoundError) and getattr(error, "error_code", None) in (None, "ShareNotFound"):
        return share_missing(account, name)
    if isinstance(error, ClientAuthenticationError):
        return OperationFailed(f"Storage account '{account}' refused the request ({describe_failure(error)}): the account key "
                               "is not valid for it. Check STORAGE_ACCOUNT_NAME in infra/inference.config.json.")
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        host = urlsplit(share.url).netloc or "the storage account"
        return OperationFailed(f"The connection to {host} failed while {doing} of share '{name}' "
                               f"({type(error).__name__}), even after retries. Check the network and run deploy again.")
    return OperationFailed(f"{doing[0].upper()}{doing[1:]} of share '{name}' failed: {describe_failure(error)}.")


async def sync_to_share(share: ShareStore, root: Path, *, include: list[str] | tuple[str, ...] | None = None,
                        cache_dir: Path | None = None, on_progress: ProgressCallback | None = None,
                        is_cancelled: Callable[[], bool] | None = None,
                        concurrency: int = DEFAULT_CONCURRENCY,
                        on_warning: Callable[[str], None] | None = None) -> SyncResult:
    started = time.monotonic()
    root = Path(root).resolve()
    stop = is_cancelled or (lambda: False)
    selection = await anyio.to_thread.run_sync(scan, root, include)
    files = selection.files
    for path, why in sorted(selection.skipped.items()):
        if on_warning is not None:
            on_warning(f"Skipped {path}: {why}. Its copy on the share (if any) is kept; remove the link or add it "
                       "to .acainferenceignore to silence this.")
    cache = LocalHashCache(cache_dir, root)
    result = SyncResult()
    writer = ShareWriter(share, root, concurrency=concurrency, is_cancelled=stop,
                         progress=TransferProgress(None, files_total=0, bytes_total=0))
    try:
        load = await read_manifest(share, **writer.options)
    except Exception as error:
        raise share_error(share, error) from None
    result.first_sync = not load.found
    previous = load.manifest
    plan = await _plan(root, files, previous, cache, set(selection.skipped))
    cache.keep_only({file.path for file in files})
    for upload in plan.uploads:
        if upload.sha256:
            cache.put(upload.file, upload.sha256)
    result.files_unchanged = len(plan.unchanged)
    if not plan.uploads and not plan.deletes:
        cache.save()
        result.requests_sent = writer.requests
        result.seconds = time.monotonic() - started
        return result

    writer.progress = TransferProgress(on_progress, files_total=len(plan.uploads),
                                       bytes_total=sum(u.file.size for u in plan.uploads))
    if stop():
        raise Cancelled("Deploy cancelled before anything was uploaded.")
    pending = ShareManifest(files={**previous.files})
    for upload in plan.uploads:
        pending.files[upload.file.path] = ManifestEntry(size=upload.file.size, sha256=upload.sha256 or "", pending=True)
    for path in plan.deletes:
        pending.files[path] = previous.files[path].model_copy(update={"pending": True})
    try:
        if not load.found:
            await writer.create_directory(MANIFEST_DIRECTORY)
        await write_manifest(share, pending, **writer.options)
    except SyncStopped:
        raise Cancelled("Deploy cancelled before anything was uploaded.") from None
    except Exception as error:
        raise OperationFailed(f"Writing the deploy manifest to share '{share.share_name}' failed "
                              f"({describe_failure(error)}); nothing was uploaded. Run deploy again.") from None

    deleted: set[str] = set()
    failures: list[str] = []
    record_error: BaseException | None = None
    try:
        await _transfer(writer, plan, previous, deleted, failures, result)
    finally:
        final = _final_manifest(previous, plan, deleted, root)
        try:
            with anyio.CancelScope(shield=True), anyio.move_on_after(60):
                await write_manifest(share, final, **writer.options)
        except Exception as error:  # noqa: BLE001 - the pending entries on the share keep the next sync safe
            record_error = error
        for upload in plan.uploads:
            if upload.state == "done" and upload.sha256:
                cache.put(upload.file, upload.sha256)
        cache.save()
        writer.progress.finish()

    result.files_uploaded = sum(1 for u in plan.uploads if u.state == "done")
    result.bytes_uploaded = sum(u.file.size for u in plan.uploads if u.state == "done")
    result.files_deleted = len(deleted)
    result.requests_sent = writer.requests
    result.seconds = time.monotonic() - started
    if record_error is not None:
        failures.append(f"recording the result in {MANIFEST_PATH} ({describe_failure(record_error)})")
    if failures:
        shown = "; ".join(failures[:5]) + (f"; and {len(failures) - 5} more" if len(failures) > 5 else "")
        # A re-run cannot fix a file that cannot be read: then the fix is the file's permissions.
        local = any("cannot be read locally" in failure for failure in failures)
        advice = ("Fix: fix the permissions of the files that cannot be read, or add them to .acainferenceignore, "
                  "then deploy again" if local else
                  "Run deploy again to finish; files already uploaded are not sent again")
        raise OperationFailed(f"{len(failures)} file(s) could not be synced to share "
                              f"'{share.share_name}': {shown}. {advice}.")
    if stop() and (any(u.state != "done" for u in plan.uploads) or len(deleted) < len(plan.deletes)):
        raise Cancelled(f"Deploy cancelled: {result.files_uploaded} of {len(plan.uploads)} files uploaded. The share's "
                        "manifest records what is there; deploy again to finish.")
    return result


async def _transfer(writer: ShareWriter, plan: _Plan, previous: ShareManifest, deleted: set[str],
                    failures: list[str], result: SyncResult) -> None:
    # Deletes go first: a rename that only changes letter case (Azure Files ignores case) and a file that became
    # a folder (or the reverse) must make room before the new content is written.
    async def delete(path: str) -> None:
        try:
            await writer.delete(path)
            deleted.add(path)
        except SyncStopped:
            pass
        except Exception as error:  # noqa: BLE001 - recorded, reported together, the others go on
            failures.append(f"removing {path} ({describe_failure(error)})")

    async with anyio.create_task_group() as group:
        for path in plan.deletes:
            group.start_soon(delete, path)
    removed: set[str] = set()
    if deleted:
        local = {u.file.path for u in plan.uploads} | set(plan.unchanged)
        for directory in _emptied_directories(sorted(deleted), local):
            try:
                if await writer.remove_directory_if_empty(directory):
                    removed.add(directory)
            except SyncStopped:
                return

    known = (previous.directories() - removed) | {MANIFEST_DIRECTORY}
    # Folders and files flow through one pipeline: each folder is created once, as soon as its parent exists,
    # and each file goes as soon as its folder exists - no waiting for a whole level of folders.
    ready: dict[str, anyio.Event] = {directory: anyio.Event() for directory in _needed_directories(plan.uploads, known)}

    async def parent_ready(path: str) -> None:
        event = ready.get(path.rpartition("/")[0])
        if event is not None:
            await event.wait()

    async def create(directory: str) -> None:
        try:
            await parent_ready(directory)
            if await writer.create_directory(directory):
                result.directories_created += 1
        except SyncStopped:
            pass
        except Exception as error:  # noqa: BLE001 - its files fail (and say so) after one more try
            failures.append(f"creating folder {directory} ({describe_failure(error)})")
        finally:
            ready[directory].set()

    async def upload(item: _Upload) -> None:
        try:
            await parent_ready(item.file.path)
            item.sha256 = await writer.upload(item.file, item.started, item.sha256)
            item.state = "done"
        except SyncStopped:
            pass
        except Exception as error:  # noqa: BLE001
            item.state = "failed"
            failures.append(f"{item.file.path} ({describe_failure(error)})")

    async with anyio.create_task_group() as group:
        for directory in ready:
            group.start_soon(create, directory)
        for item in plan.uploads:
            group.start_soon(upload, item)
