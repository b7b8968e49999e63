"""Immutable releases on the share: each deploy's app folders as a release that no later deploy changes.

Layout under the share's `.aca-inference/` (measured against server-side Copy File in bench/release_bench.py):

    objects/<sha256>        each distinct file content once (content-addressed, written via a temporary name and
                            a rename, so a name that exists is always complete)
    releases/<id>.json      one manifest per release: path -> sha256 and size, the folders it holds, when
    launch.py               the container's launcher: materializes $INFERENCE_RELEASE onto local disk, then runs
                            the app's command there (stdlib; see launcher.py)

A release id is its creation time and a short hash of its content (`20261205-014512-3f9a2c1`). A redeploy sends
only the contents the store lacks; unchanged files cost nothing but their hash (from the local cache).
"""

from __future__ import annotations

from .catalog import ReleaseCatalog, list_releases, prune_releases, read_release
from .layout import LAUNCHER_PATH, RELEASE_ENV, ReleaseManifest
from .publish import PreparedRelease, PublishedRelease, prepare_release, publish_release

__all__ = ["LAUNCHER_PATH", "RELEASE_ENV", "PreparedRelease", "PublishedRelease", "ReleaseCatalog", "ReleaseManifest",
           "list_releases", "prepare_release", "prune_releases", "publish_release", "read_release"]
