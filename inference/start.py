"""The container's start: install requirements.txt only when needed, then run app.py (same flags).

    cd /mount/inference && python3 start.py [app.py flags]     # what the template's command runs
    python3 start.py --deps-only                               # the dependency step alone; prints its report

`pip install -r requirements.txt` costs seconds even when everything is installed (pip imports, resolves and
checks every requirement), and on every replica start. It is skipped when a stamp says this exact
requirements.txt was already satisfied by this exact environment: the stamp's name is sha256 of the file's bytes,
the Python (version, executable, prefix, platform) and the installed distributions (the names of the
site-packages' *.dist-info folders, which carry their versions). A fresh container from the same image that pip
had to change is a different environment, so it installs again; one where nothing needed installing (or a restart
of the same container) finds its stamp. Stamps live next to the app on the share (`/mount/.cache/aca-inference`),
so they survive restarts and new revisions; INFERENCE_STAMP_DIR moves them.

Standard library only: it runs before anything is installed. Its timings reach the app (and `/health`) through
INFERENCE_START_REPORT.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
REQUIREMENTS = APP_DIR / "requirements.txt"
PIP = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r"]


def default_stamp_dir() -> Path:
    configured = os.environ.get("INFERENCE_STAMP_DIR", "").strip()
    if configured:
        return Path(configured)
    # The share (ACA mounts it at /mount) outlives the container; elsewhere, the folder that holds the app.
    share = Path("/mount")
    return (share if share.is_dir() else APP_DIR.parent) / ".cache" / "aca-inference"


def installed_distributions() -> list[str]:
    """Every *.dist-info / *.egg-info name on sys.path (this app's folder aside): what pip would look at."""
    names: set[str] = set()
    for entry in sys.path:
        folder = Path(entry or ".").resolve()
        if folder == APP_DIR or not folder.is_dir():
            continue
        try:
            names.update(f"{folder}/{name}" for name in os.listdir(folder)
                         if name.endswith((".dist-info", ".egg-info", ".egg-link")))
        except OSError:
            continue
    return sorted(names)


def stamp_key(requirements: bytes) -> str:
    identity = {
        "requirements_sha256": hashlib.sha256(requirements).hexdigest(),
        "python": sys.version, "executable": os.path.realpath(sys.executable), "prefix": sys.prefix,
        "platform": platform.platform(), "machine": platform.machine(),
        "distributions": hashlib.sha256("\n".join(installed_distributions()).encode()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def ensure_dependencies(stamp_dir: Path, requirements: Path = REQUIREMENTS) -> dict[str, object]:
    """Install `requirements` unless its stamp is there; returns what happened and how long it took."""
    started = time.perf_counter()
    content = requirements.read_bytes() if requirements.is_file() else b""
    stamp = stamp_dir / f"pip-stamp-{stamp_key(content)[:32]}.json"
    if stamp.is_file():
        return {"seconds": round(time.perf_counter() - started, 3), "skipped": True, "stamp": str(stamp)}
    if content.strip():
        print(f"start: installing {requirements.name} (no stamp {stamp.name} for this environment)", flush=True)
        run = subprocess.run([*PIP, str(requirements)], cwd=APP_DIR)
        if run.returncode != 0:
            raise SystemExit(run.returncode)  # as `pip install ... && python3 app.py` would: the app never starts
    # pip may have changed the environment: the stamp names the environment as it is now.
    stamp = stamp_dir / f"pip-stamp-{stamp_key(content)[:32]}.json"
    _write_stamp(stamp, content)
    return {"seconds": round(time.perf_counter() - started, 3), "skipped": False, "stamp": str(stamp)}


def _write_stamp(stamp: Path, content: bytes) -> None:
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        # Written whole or not at all (two replicas may start together on the same share).
        with tempfile.NamedTemporaryFile("w", dir=stamp.parent, prefix=".pip-stamp-", delete=False) as handle:
            json.dump({"requirements_sha256": hashlib.sha256(content).hexdigest(), "python": sys.version,
                       "executable": sys.executable, "written_at": time.time()}, handle)
        os.replace(handle.name, stamp)
    except OSError as error:  # a read-only share only costs the next start its pip run
        print(f"start: could not write {stamp}: {error}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    started_at = time.time()
    deps_only = "--deps-only" in argv
    args = [arg for arg in argv if arg != "--deps-only"]
    dependencies = ensure_dependencies(default_stamp_dir())
    print(f"start: dependencies {'already satisfied (stamp)' if dependencies['skipped'] else 'installed'} in "
          f"{dependencies['seconds']:.2f} s", flush=True)
    report = {"started_at": started_at, "dependencies": dependencies}
    if deps_only:
        print(json.dumps(report), flush=True)
        return 0
    os.chdir(APP_DIR)
    env = {**os.environ, "INFERENCE_START_REPORT": json.dumps(report)}
    # exec, not a child: the app gets the container's signals and its exit status is the container's.
    os.execve(sys.executable, [sys.executable, str(APP_DIR / "app.py"), *args], env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
