"""Where releases live on the share and what a release manifest says."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

from pydantic import BaseModel

STORE_DIRECTORY = ".aca-inference"
OBJECTS_DIRECTORY = f"{STORE_DIRECTORY}/objects"
RELEASES_DIRECTORY = f"{STORE_DIRECTORY}/releases"
LAUNCHER_PATH = f"{STORE_DIRECTORY}/launch.py"
RELEASE_ENV = "INFERENCE_RELEASE"  # the container's env var naming the release it runs
PARTIAL_MARK = ".partial-"  # `<final name>.partial-<token>`: written, not yet renamed into place

OBJECT_NAME = re.compile(r"^[0-9a-f]{64}$")
RELEASE_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{7}$")


class ReleaseFile(BaseModel):
    sha256: str
    size: int


class ReleaseManifest(BaseModel):
    format: int = 1
    id: str
    created: str  # ISO 8601, UTC
    folders: list[str]
    files: dict[str, ReleaseFile]  # path relative to the workspace (== under the release's root)

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.created)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files.values())

    def to_bytes(self) -> bytes:
        return self.model_dump_json(indent=1).encode()


def content_hash(files: dict[str, ReleaseFile]) -> str:
    canonical = json.dumps({p: [f.sha256, f.size] for p, f in sorted(files.items())}, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_release_id(files: dict[str, ReleaseFile], now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%d-%H%M%S}-{content_hash(files)[:7]}"


def manifest_path(release_id: str) -> str:
    return f"{RELEASES_DIRECTORY}/{release_id}.json"


def object_path(sha256: str) -> str:
    return f"{OBJECTS_DIRECTORY}/{sha256}"


def revision_suffix(release_id: str, attempt: int = 0) -> str:
    """ACA revision suffix for a release: lower-case letters, digits and '-', starting with a letter, short enough
    that `<app name up to 32>--<suffix>` stays within a revision name's limit: `r1205014512-3f9a2c1`."""
    date, time, digest = release_id.split("-")
    return f"r{date[4:]}{time}-{digest}" + (f"-{attempt}" if attempt else "")
