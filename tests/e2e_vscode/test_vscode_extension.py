"""The VS Code extension in a real VS Code (code-server + chromium, driven by playwright): the node harness in
client-ts/e2e/ runs the palette commands against the daemon and the local emulator; this test runs it and
gives its verdict to pytest. Screenshots and logs: test-artifacts/e2e/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("ACA_E2E_CACHE", REPO / ".cache" / "e2e"))


def _toolchain_missing() -> str | None:
    needed = [CACHE / "code-server" / "node_modules" / ".bin" / "code-server", Path("/usr/bin/chromium"),
              REPO / "node_modules" / "playwright-core"]
    missing = [str(p) for p in needed if not p.exists()]
    return ", ".join(missing) if missing else None


@pytest.mark.runs_for(330)
@pytest.mark.slow
@pytest.mark.timeout(30 * 60)
def test_palette_commands_provision_deploy_and_open_the_endpoint_in_a_real_vscode() -> None:
    missing = _toolchain_missing()
    if missing:
        message = f"the VS Code e2e toolchain is not installed ({missing}): run bash client-ts/e2e/install.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    run = subprocess.run(["bash", "client-ts/e2e/run.sh"], cwd=REPO, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=25 * 60,
                         env={**os.environ, "ACA_E2E_PYTHON": sys.executable})
    report = (run.stdout + run.stderr)[-12000:]
    assert run.returncode == 0, f"the VS Code e2e run failed (screenshots in test-artifacts/e2e/):\n{report}"
