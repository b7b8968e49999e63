"""Each app's own Python environment, created once (so `pip install` and `python3` in a container's command
act inside it, never on the user's environment).

It sees the emulator's own packages through a .pth file that adds the emulator's site-packages as a site
dir (`venv --system-site-packages` would give the *base* interpreter's packages when the emulator itself
runs from a venv). So `pip install -r requirements.txt` is satisfied offline by what is already installed,
and anything new lands in the app's venv only (pip does not uninstall outside its environment)."""

from __future__ import annotations

import asyncio
import site
import sys
import sysconfig
from pathlib import Path

MARKER = "aca-emulator-ready"
PTH_NAME = "_aca_emulator_parent_site.pth"
PIP_SHIM = '#!/bin/sh\nexec "$(dirname "$0")/python" -m pip "$@"\n'


def parent_site_dirs() -> list[str]:
    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    unique: list[str] = []
    for entry in dirs:
        if entry not in unique and Path(entry).is_dir():
            unique.append(entry)
    return unique


# One creation at a time per venv: the replicas of a new revision start together, and two `venv --clear` runs
# on one folder undo each other (one's replica then runs in a venv the other is clearing).
_creating: dict[Path, asyncio.Lock] = {}


async def ensure_venv(path: Path) -> Path:
    """Returns the venv's bin dir, creating the venv the first time."""
    if (path / MARKER).exists():
        return path / "bin"
    async with _creating.setdefault(path, asyncio.Lock()):
        if (path / MARKER).exists():  # made while this replica waited
            return path / "bin"
        return await _create_venv(path)


async def _create_venv(path: Path) -> Path:
    bin_dir = path / "bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "venv", "--without-pip", "--clear", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"could not create the app's Python environment at {path}: "
                           f"{output.decode(errors='replace').strip()}")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = path / "lib" / version / "site-packages"
    site_packages.mkdir(parents=True, exist_ok=True)
    lines = [f"import site; site.addsitedir({entry!r})" for entry in parent_site_dirs()]
    (site_packages / PTH_NAME).write_text("\n".join(lines) + "\n")
    for name in ("pip", "pip3", f"pip{sys.version_info.major}.{sys.version_info.minor}"):
        shim = bin_dir / name
        shim.write_text(PIP_SHIM)
        shim.chmod(0o755)
    (path / MARKER).write_text("1\n")
    return bin_dir
