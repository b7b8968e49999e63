"""scripts/azure-smoke.sh on the local target, as CI runs it so it cannot rot: provision -> deploy -> a chat
completion -> a second deploy -> rollback -> a chat completion -> delete passes with a time for each step, the
API key is never printed, and nothing it created is left - after a failure too."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from aca_emulator.settings import DEFAULT_SUBSCRIPTION_ID

REPO = Path(__file__).resolve().parent.parent
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
STEPS = ["scaffold", "provision", "deploy", "chat completion", "second deploy", "rollback", "chat after rollback",
         "delete", "cleanup"]


def smoke(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "scripts/azure-smoke.sh", "--target", "local", *args], cwd=REPO,
                          env={**os.environ, "TMPDIR": str(tmp_path)}, capture_output=True, text=True, timeout=1500,
                          stdin=subprocess.DEVNULL)


def timings(stdout: str) -> dict[str, tuple[float, str]]:
    rows = re.findall(r"^(\S.*?)\s+(\d+\.\d)  (ok|FAILED|done)$", stdout, re.MULTILINE)
    return {name: (float(seconds), result) for name, seconds, result in rows}


def left_behind(tmp_path: Path, stdout: str) -> list[str]:
    """Files under the run's TMPDIR or its local Azure's folder, and processes still running from them."""
    places = [tmp_path]
    local_azure = re.search(r"local Azure in (\S+)\.$", stdout, re.MULTILINE)
    assert local_azure, stdout
    places.append(Path(local_azure.group(1)))
    files = [str(p) for place in places if place.exists() for p in [place, *place.rglob("*")] if p != tmp_path]
    running = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if any(str(place) in text for place in places):
            running.append(f"pid {cmdline.parent.name}: {text[:120]}")
    return files + running


@pytest.mark.runs_for(240)
@pytest.mark.slow
def test_the_smoke_run_passes_on_the_local_target_and_leaves_nothing_behind(tmp_path: Path) -> None:
    run = smoke(tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "SMOKE PASSED (local)" in run.stdout
    steps = timings(run.stdout)
    assert list(steps) == STEPS
    assert all(result in ("ok", "done") and seconds > 0 for seconds, result in steps.values())
    assert re.search(r"chat completion from model \S+: \d+ characters", run.stdout)
    assert re.search(r"serving release (\S+) \(first deploy: \1\)", run.stdout)  # the rollback brought it back
    # The key (a GUID the template generates) is never printed: the only GUID shown is the subscription's.
    assert set(GUID.findall(run.stdout + run.stderr)) <= {DEFAULT_SUBSCRIPTION_ID}
    assert left_behind(tmp_path, run.stdout) == []


@pytest.mark.runs_for(60)
@pytest.mark.slow
def test_a_failed_step_still_cleans_up_and_names_the_step(tmp_path: Path) -> None:
    run = smoke(tmp_path, "--gpu", "NC999-Z100")  # the local Azure refuses the profile type at provision
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    failed = re.search(r"SMOKE FAILED \(local\) at (\w+)", run.stdout)
    assert failed and failed.group(1) in ("scaffold", "provision")  # refused by validate/preflight or by Azure
    steps = timings(run.stdout)
    assert steps[failed.group(1)][1] == "FAILED" and steps["cleanup"][1] == "done" and "deploy" not in steps
    assert left_behind(tmp_path, run.stdout) == []


def test_the_azure_target_needs_a_subscription_and_a_location(tmp_path: Path) -> None:
    run = subprocess.run(["bash", "scripts/azure-smoke.sh", "--target", "azure"], cwd=REPO, capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert run.returncode == 2 and "--target azure needs --subscription and --location." in run.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything was made
