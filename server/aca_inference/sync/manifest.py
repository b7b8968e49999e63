"""The share's record of what deploys put there: `.aca-inference/manifest.json`, path -> size, sha256.

Only files listed here are ever deleted by a sync; everything else on the share (the fine-tuning job's
`model-cache/`, `models/`, checkpoints, files the app writes) is not ours. An entry marked `pending` is a
file a sync was about to write or delete when it stopped: its content on the share is unknown, so the next
sync re-uploads it (or deletes it, if it is gone locally).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..azure.share_store import ShareStore

MANIFEST_DIRECTORY = ".aca-inference"
MANIFEST_PATH = f"{MANIFEST_DIRECTORY}/manifest.json"
_SINGLE_REQUEST_LIMIT = 4 * 1024 * 1024


class ManifestEntry(BaseModel):
    size: int
    sha256: str
    pending: bool = False


class ShareManifest(BaseModel):
    format: int = 1
    generator: str = "aca-inference"
    updated: str = ""
    files: dict[str, ManifestEntry] = Field(default_factory=dict)

    def verified(self) -> dict[str, ManifestEntry]:
        return {path: entry for path, entry in self.files.items() if not entry.pending}

    def directories(self) -> set[str]:
        """Folders that existed when the verified files were written: no need to create them again."""
        known = set()
        for path in self.verified():
            parent = path.rpartition("/")[0]
            while parent and parent not in known:
                known.add(parent)
                parent = parent.rpartition("/")[0]
        return known

    def to_bytes(self) -> bytes:
        self.updated = datetime.now(UTC).isoformat(timespec="seconds")
        return self.model_dump_json(indent=None).encode()


class ManifestLoad(BaseModel):
    manifest: ShareManifest
    found: bool
    damaged: bool = False


def parse_manifest(data: bytes) -> ManifestLoad:
    try:
        return ManifestLoad(manifest=ShareManifest.model_validate_json(data), found=True)
    except ValidationError:
        # A damaged manifest forgets which files are ours: they are re-uploaded, never deleted - the safe side.
        return ManifestLoad(manifest=ShareManifest(), found=True, damaged=True)


async def read_manifest(share: ShareStore, **options: Any) -> ManifestLoad:
    """One GET. A missing manifest is an empty one (first deploy); a missing share is the caller's error."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        downloader = await share.get_file_client(MANIFEST_PATH).download_file(**options)
        data = await downloader.readall()
    except ResourceNotFoundError as error:
        if getattr(error, "error_code", None) == "ShareNotFound":
            raise
        return ManifestLoad(manifest=ShareManifest(), found=False)
    return parse_manifest(data)


async def write_manifest(share: ShareStore, manifest: ShareManifest, **options: Any) -> None:
    """Create-with-content in one request (Content-MD5 checked by the service); larger ones in ranges."""
    data = manifest.to_bytes()
    client = share.get_file_client(MANIFEST_PATH)
    if len(data) <= _SINGLE_REQUEST_LIMIT:
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        await client.create_file(len(data), data=data, headers={"Content-MD5": md5}, **options)
    else:
        await client.upload_file(data, validate_content=True, **options)
