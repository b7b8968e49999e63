"""The container's launcher (stdlib only: it runs before anything is installed). Deploy writes it to the share
as `.aca-inference/launch.py`; the app's template runs it:

    command: python3 /mount/.aca-inference/launch.py /mount/inference /bin/bash -c
    args:    "cd /mount/inference && python3 start.py"

With `INFERENCE_RELEASE` set (each release is its own revision), it copies that release from the share's
content-addressed store onto the container's local disk, checking every file's sha256, and runs the command in
the release's copy of the app folder (`/mount/inference` in the command means that copy): the running code never
changes under the process, and Python imports from local disk instead of SMB. Without it, the command runs in the app folder on the share (a deploy that restarts
in place). The copy is made under a temporary name and renamed, so a half-made copy is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SHARE_ROOT = Path(__file__).resolve().parent.parent  # the launcher lives in <share>/.aca-inference/
STORE = SHARE_ROOT / ".aca-inference"
COPIES_IN_FLIGHT = 16  # SMB latency, not bandwidth, bounds many small files


def fail(message: str) -> None:
    print(f"launch: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def copy_checked(source: Path, target: Path, sha256: str) -> int:
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
            writer.write(chunk)
    if digest.hexdigest() != sha256:
        raise ValueError(f"{source.name} does not hold the content its name says")
    return target.stat().st_size


def materialize(release: str) -> Path:
    base = Path(os.environ.get("INFERENCE_RELEASE_CACHE") or tempfile.gettempdir()) / "aca-inference-releases"
    target = base / release
    if (target / ".complete").is_file():
        return target  # this container (or, in the local emulator, this machine) has it already
    manifest_file = STORE / "releases" / f"{release}.json"
    try:
        manifest = json.loads(manifest_file.read_bytes())
    except (OSError, ValueError) as error:
        fail(f"release {release} is not on the share ({manifest_file}: {error}); deploy again.")
    started = time.monotonic()
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{release}-", dir=base))
    files = manifest["files"]
    try:
        with ThreadPoolExecutor(COPIES_IN_FLIGHT) as pool:
            sizes = list(pool.map(lambda item: copy_checked(STORE / "objects" / item[1]["sha256"], staging / item[0],
                                                            item[1]["sha256"]), files.items()))
    except (OSError, ValueError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        fail(f"release {release} could not be copied from the share: {error}. Deploy again to re-upload it.")
    (staging / ".complete").write_text(release)
    try:
        os.rename(staging, target)
    except OSError:  # another replica on this machine made it first
        shutil.rmtree(staging, ignore_errors=True)
    print(f"launch: release {release}: {len(files)} files, {sum(sizes) / 1e6:.1f} MB copied to local disk in "
          f"{time.monotonic() - started:.2f} s", flush=True)
    return target


def app_folder_in_release(app_dir: Path) -> Path:
    try:
        return app_dir.resolve().relative_to(SHARE_ROOT)
    except ValueError:
        return Path(app_dir.name)


def pointed_at(command: list[str], app_dir: Path, workdir: Path) -> list[str]:
    """`/mount/inference` (and paths under it) in the command mean the release's copy: `cd /mount/inference`
    in a template's commands must not lead back to the share."""
    pattern = re.compile(re.escape(str(app_dir)) + r"(?=$|[^A-Za-z0-9._-])")
    return [pattern.sub(lambda _: str(workdir), part) for part in command]


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        fail("usage: launch.py <app folder on the share> <command> [args...]")
    app_dir, command = Path(argv[0]), argv[1:]
    release = os.environ.get("INFERENCE_RELEASE", "").strip()
    workdir = materialize(release) / app_folder_in_release(app_dir) if release else app_dir
    if release:
        command = pointed_at(command, app_dir, workdir)
    if not workdir.is_dir():
        fail(f"the app folder {workdir} does not exist" + (f" in release {release}" if release else "") +
             "; check the folder given to launch.py in the app's command.")
    os.chdir(workdir)
    os.environ["INFERENCE_APP_DIR"] = str(workdir)
    sys.stdout.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
