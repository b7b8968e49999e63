"""An app's Python environment when its replicas start together: one venv, made once, that every replica runs in
(two `venv --clear` runs on one folder used to undo each other: a replica crash-looped on 'File exists: lib64'
while the other ran in a venv being cleared under it)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from aca_emulator.runtime.venv import MARKER, ensure_venv


@pytest.mark.parametrize("app", ["one", "two", "three"])
def test_replicas_starting_together_share_one_venv_made_once(tmp_path: Path, app: str) -> None:
    venv = tmp_path / "apps" / app / "venv"

    async def replicas_start() -> list[Path]:
        return list(await asyncio.gather(*(ensure_venv(venv) for _ in range(6))))

    made = asyncio.run(replicas_start())
    assert made == [venv / "bin"] * 6
    assert (venv / MARKER).exists()
    marker = (venv / MARKER).stat().st_mtime_ns
    run = subprocess.run([str(venv / "bin" / "python3"), "-c", "import sys; print(sys.prefix)"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and Path(run.stdout.strip()) == venv, run.stderr
    assert asyncio.run(replicas_start()) == [venv / "bin"] * 6
    assert (venv / MARKER).stat().st_mtime_ns == marker  # an existing venv is used, not made again
