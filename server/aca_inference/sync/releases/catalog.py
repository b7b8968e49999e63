"""The releases on the share, and pruning: keep the newest N and every release a revision still uses; remove an
object only when no kept release names it and it is older than a grace period (a deploy running elsewhere may
have just uploaded it for a manifest it has not written yet)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ...azure.share_store import ShareStore
from .layout import (
    OBJECT_NAME,
    OBJECTS_DIRECTORY,
    PARTIAL_MARK,
    RELEASE_ID,
    RELEASES_DIRECTORY,
    ReleaseManifest,
    manifest_path,
    object_path,
)
from .share_io import list_folder, read_bytes

DEFAULT_KEEP = 3
OBJECT_GRACE = timedelta(hours=1)


@dataclass
class ReleaseCatalog:
    releases: list[ReleaseManifest] = field(default_factory=list)  # oldest first
    damaged: list[str] = field(default_factory=list)  # manifest names that could not be read

    def get(self, release_id: str) -> ReleaseManifest | None:
        return next((r for r in self.releases if r.id == release_id), None)

    def before(self, release_id: str) -> ReleaseManifest | None:
        ids = [r.id for r in self.releases]
        if release_id not in ids:
            return self.releases[-1] if self.releases else None
        index = ids.index(release_id)
        return self.releases[index - 1] if index > 0 else None


async def read_release(share: ShareStore, release_id: str, **options: Any) -> ReleaseManifest | None:
    """One release's manifest (one GET), or None when it is not on the share or cannot be read."""
    if not RELEASE_ID.match(release_id):
        return None
    data = await read_bytes(share, manifest_path(release_id), **options)
    try:
        return ReleaseManifest.model_validate_json(data) if data is not None else None
    except ValidationError:
        return None


async def list_releases(share: ShareStore, **options: Any) -> ReleaseCatalog:
    import anyio

    catalog = ReleaseCatalog()
    entries = await list_folder(share, RELEASES_DIRECTORY, **options) or []
    ids = sorted(e.name[:-5] for e in entries if not e.is_directory and e.name.endswith(".json")
                 and RELEASE_ID.match(e.name[:-5]))
    found: dict[str, ReleaseManifest] = {}

    async def read(release_id: str) -> None:
        data = await read_bytes(share, manifest_path(release_id), **options)
        if data is None:
            return  # pruned meanwhile
        try:
            found[release_id] = ReleaseManifest.model_validate_json(data)
        except ValidationError:
            catalog.damaged.append(release_id)

    async with anyio.create_task_group() as group:
        for release_id in ids:
            group.start_soon(read, release_id)
    catalog.releases = [found[i] for i in ids if i in found]
    return catalog


@dataclass
class PruneResult:
    releases_removed: list[str] = field(default_factory=list)
    objects_removed: int = 0
    bytes_freed: int = 0


def _old(changed: datetime | None, now: datetime, grace: timedelta) -> bool:
    if changed is None:
        return False  # no time reported: not positively old, keep it
    moment = changed if changed.tzinfo else changed.replace(tzinfo=UTC)
    return now - moment > grace


async def prune_releases(share: ShareStore, *, keep: int = DEFAULT_KEEP, in_use: set[str], grace: timedelta = OBJECT_GRACE,
                         **options: Any) -> PruneResult:
    """Removes the manifests of releases beyond the newest `keep` that no revision uses (`in_use`), then the
    objects and temporary files nothing kept refers to. Damaged manifests are left alone (they may be a
    newer format): their objects are kept too, since we cannot know what they name."""
    result = PruneResult()
    catalog = await list_releases(share, **options)
    newest = {r.id for r in catalog.releases[-keep:]} if keep > 0 else set()
    kept = [r for r in catalog.releases if r.id in newest or r.id in in_use]
    for release in catalog.releases:
        if release not in kept:
            with suppress(Exception):  # one left behind is removed next time
                await share.get_file_client(manifest_path(release.id)).delete_file(**options)
                result.releases_removed.append(release.id)
    if catalog.damaged:
        return result
    referenced = {f.sha256 for r in kept for f in r.files.values()}
    now = datetime.now(UTC)
    for entry in await list_folder(share, OBJECTS_DIRECTORY, **options) or []:
        ours = OBJECT_NAME.match(entry.name) or PARTIAL_MARK in entry.name
        if entry.is_directory or not ours or entry.name in referenced or not _old(entry.changed, now, grace):
            continue
        with suppress(Exception):
            await share.get_file_client(object_path(entry.name)).delete_file(**options)
            result.objects_removed += 1
            result.bytes_freed += entry.size
    return result
