"""Publish a release: the contents the store lacks go up (each under a temporary name, then renamed into
place), then the launcher if it changed, then the manifest - last, so a manifest on the share always names
complete objects. An interrupted publish leaves only unreferenced objects and temporary names behind, which
the next prune removes; nothing a running revision uses is ever written."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio

from ...azure.share_store import ShareStore
from ...errors import Cancelled, OperationFailed
from ..hash_cache import LocalHashCache, hash_files
from ..progress import ProgressCallback, TransferProgress
from ..selection import LocalFile, scan
from ..transfer import ShareWriter, SyncStopped
from .layout import (
    LAUNCHER_PATH,
    OBJECT_NAME,
    OBJECTS_DIRECTORY,
    ReleaseFile,
    ReleaseManifest,
    manifest_path,
    new_release_id,
    object_path,
)
from .share_io import list_folder, make_folders, partial_name, read_bytes, rename_into_place, write_bytes_atomically

LAUNCHER_SOURCE = Path(__file__).with_name("launcher.py")


@dataclass
class PublishedRelease:
    manifest: ReleaseManifest
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    files_reused: int = 0
    requests_sent: int = 0
    seconds: float = 0.0

    @property
    def release_id(self) -> str:
        return self.manifest.id


async def _hashes(root: Path, files: list[LocalFile], cache: LocalHashCache) -> dict[str, str]:
    known = {f.path: sha for f in files if (sha := cache.get(f)) is not None}
    fresh = await hash_files(root, [f for f in files if f.path not in known])
    for file in files:
        if file.path in fresh:
            cache.put(file, fresh[file.path])
    return {**known, **fresh}


async def _ensure_launcher(share: ShareStore, options: dict[str, Any]) -> None:
    """The launcher is written only when its bytes differ: a running container read it at its start."""
    wanted = LAUNCHER_SOURCE.read_bytes()
    if await read_bytes(share, LAUNCHER_PATH, **options) != wanted:
        await write_bytes_atomically(share, LAUNCHER_PATH, wanted, **options)


@dataclass
class PreparedRelease:
    """A release as it would be published: its manifest, and which local file holds each content."""
    root: Path
    manifest: ReleaseManifest
    sources: dict[str, LocalFile]  # sha256 -> a local file with that content
    skipped: dict[str, str] = field(default_factory=dict)  # paths seen but not read (links, FIFOs) -> why

    def keep_skipped_from(self, previous: ReleaseManifest) -> list[str]:
        """A path skipped here (a link loop, a FIFO) is not gone: the release keeps the content the previous one
        had for it, as an in-place sync keeps the share's copy. Returns the paths carried over."""
        kept = {p: f for p, f in previous.files.items() if p in self.skipped and p not in self.manifest.files}
        if kept:
            files = dict(sorted({**self.manifest.files, **kept}.items()))
            created = self.manifest.created_at
            self.manifest = ReleaseManifest(id=new_release_id(files, created), created=self.manifest.created,
                                            folders=sorted({p.split("/", 1)[0] for p in files}), files=files)
        return sorted(kept)

    def dropped_from(self, previous: ReleaseManifest) -> int:
        """How many of the previous release's files this one no longer has (deleted locally)."""
        return len(set(previous.files) - set(self.manifest.files))


async def prepare_release(root: Path, *, include: list[str], cache_dir: Path | None = None,
                          on_warning: Callable[[str], None] | None = None,
                          now: datetime | None = None) -> PreparedRelease:
    """Scan and hash (unchanged files from the local cache): no request is sent."""
    root = Path(root).resolve()
    selection = await anyio.to_thread.run_sync(scan, root, include)
    for path, why in sorted(selection.skipped.items()):
        if on_warning is not None:
            on_warning(f"Skipped {path}: {why}. Remove the link or add it to .acainferenceignore to silence this.")
    cache = LocalHashCache(cache_dir, root)
    hashes = await _hashes(root, selection.files, cache)
    cache.save()
    files = {f.path: ReleaseFile(sha256=hashes[f.path], size=f.size) for f in selection.files if f.path in hashes}
    moment = now or datetime.now().astimezone()
    manifest = ReleaseManifest(id=new_release_id(files, moment), created=moment.isoformat(),
                               folders=sorted({p.split("/", 1)[0] for p in files}), files=files)
    sources: dict[str, LocalFile] = {}
    for file in selection.files:
        if file.path in hashes:
            sources.setdefault(hashes[file.path], file)
    return PreparedRelease(root=root, manifest=manifest, sources=sources, skipped=dict(selection.skipped))


async def publish_release(share: ShareStore, prepared: PreparedRelease, *, on_progress: ProgressCallback | None = None,
                          is_cancelled: Callable[[], bool] | None = None,
                          concurrency: int = 16) -> PublishedRelease:
    started = time.monotonic()
    stop = is_cancelled or (lambda: False)
    manifest = prepared.manifest
    writer = ShareWriter(share, prepared.root, concurrency=concurrency, is_cancelled=stop,
                         progress=TransferProgress(None, files_total=0, bytes_total=0))
    options = writer.options
    listing = await list_folder(share, OBJECTS_DIRECTORY, **options)
    if listing is None:
        await make_folders(share, OBJECTS_DIRECTORY, **options)
        listing = []
    present = {e.name for e in listing if not e.is_directory and OBJECT_NAME.match(e.name)}
    missing = [(sha, file) for sha, file in prepared.sources.items() if sha not in present]
    writer.progress = TransferProgress(on_progress, files_total=len(missing),
                                       bytes_total=sum(f.size for _, f in missing))
    if stop():
        raise Cancelled("Deploy cancelled before anything was uploaded.")
    failures: list[str] = []

    async def upload(sha: str, file: LocalFile) -> None:
        partial = partial_name(object_path(sha))
        try:
            sent = await writer.upload(file, lambda: None, None, to=partial)
            if sent != sha:  # changed since it was hashed: its content is not what the manifest says
                failures.append(f"{file.path} (changed locally while it was uploaded)")
                return
            await rename_into_place(share, partial, object_path(sha), **options)
        except SyncStopped:
            pass
        except Exception as error:  # noqa: BLE001 - reported together; what went up is reused next time
            from ..engine import describe_failure

            failures.append(f"{file.path} ({describe_failure(error)})")

    async with anyio.create_task_group() as group:
        for sha, file in missing:
            group.start_soon(upload, sha, file)
    writer.progress.finish()
    if stop():
        raise Cancelled("Deploy cancelled while uploading; nothing serves from the new release. Deploy again: "
                        "what was uploaded is reused.")
    if failures:
        shown = "; ".join(failures[:5]) + (f"; and {len(failures) - 5} more" if len(failures) > 5 else "")
        raise OperationFailed(f"{len(failures)} file(s) could not be uploaded to share "
                              f"'{share.share_name}': {shown}. Run deploy again: files already "
                              "uploaded are not sent again, and the serving release is untouched.")
    await _ensure_launcher(share, options)
    await write_bytes_atomically(share, manifest_path(manifest.id), manifest.to_bytes(), **options)
    return PublishedRelease(manifest=manifest, files_uploaded=len(missing),
                            bytes_uploaded=sum(f.size for _, f in missing),
                            files_reused=len(manifest.files) - len(missing), requests_sent=writer.requests,
                            seconds=time.monotonic() - started)
