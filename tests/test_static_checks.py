"""The code base stays lint-clean and type-checks: what CI enforces besides behaviour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing() -> None:
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "server", "tests", "bench", "inference"], cwd=REPO,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.runs_for(90)
def test_mypy_accepts_the_package_and_strict_holds_for_the_azure_gateway_and_the_operations(
        tmp_path: Path) -> None:
    """The whole package type-checks; the layers others build on (azure/, ops/) are held to --strict: no implicit
    Any in what they return or take. The two runs go side by side (each with its own cache): about 45 s each."""
    runs = {
        "mypy": [sys.executable, "-m", "mypy", "server/aca_inference", "server/aca_emulator", "server/azure_name_rules",
                 "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache")],
        "mypy --strict": [sys.executable, "-m", "mypy", "--strict", "server/aca_inference/azure",
                          "server/aca_inference/ops", "--cache-dir", str(tmp_path / "strict-cache")],
    }
    started = {name: subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for name, command in runs.items()}
    failed = []
    for name, process in started.items():
        output, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            failed.append(f"{name}:\n{output[-5000:]}")
    assert not failed, "\n".join(failed)
