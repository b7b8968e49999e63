"""The VS Code client's unit tests (client-ts/test/*.test.ts: the Inference App view and the status bar from
the daemon's app state) run by node's own test runner, their verdict given to pytest so the suite (and CI) runs
them. Seconds: esbuild compiles them, no VS Code starts."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_client_unit_tests_pass_under_node_test() -> None:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "esbuild").exists():
        message = "node or the client's npm packages are missing: run npm ci (scripts/test.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    run = subprocess.run([node, "client-ts/test/run.mjs", "--test-reporter=tap"], cwd=REPO, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, timeout=300)
    report = (run.stdout + run.stderr)[-12000:]
    assert run.returncode == 0, f"node --test failed:\n{report}"
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout, report
