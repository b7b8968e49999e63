"""The code base stays lint-clean and type-checks: what CI enforces besides behaviour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing() -> None:
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "server", "tests", "bench", "inference"], cwd=REPO,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_accepts_the_package() -> None:
    run = subprocess.run([sys.executable, "-m", "mypy", "server/aca_inference", "server/aca_emulator",
                          "server/azure_name_rules",
                          "--ignore-missing-imports"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-5000:]


def test_mypy_strict_accepts_the_azure_gateway_and_the_operations() -> None:
    """The layers others build on are held to --strict: no implicit Any in what they return or take."""
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "server/aca_inference/azure",
                          "server/aca_inference/ops"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-5000:]
