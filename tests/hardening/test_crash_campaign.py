"""Crash campaign: a deploy killed with SIGKILL at a random moment - during the scan, the manifest write,
the uploads, the restart, the wait, the config write - and then run again. The re-run must succeed the first
time; the config must still parse and keep the user's own keys; the share must be byte-identical to the
workspace and the endpoint must serve the new version. Nothing printed or written may contain a key.

Half the trials kill at a uniformly random moment of a deploy (startup and the wait for readiness take most
of it); the other half aim at the sync: they kill shortly after the deploy's first write to the share.

Quick size in CI (4 trials); `ACA_CAMPAIGN=full` runs 100. Figures go to test-artifacts/crash-campaign.json.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import last_json
from tests.deploy.conftest import make_workspace
from tests.hardening.campaign import (
    CampaignRecord,
    campaign_size,
    change_workspace,
    secret_hits,
    secrets,
    serves,
    share_matches,
)
from tests.hardening.conftest import cli, provision
from tests.provision.arm import ArmProbe

CONFIG = Path("infra") / "inference.config.json"
USER_KEYS = {"MY_TEAM": "inference-squad", "MY_NOTES": ["kept", "in order"]}


def _with_user_keys(root: Path, *, endpoint_cleared: bool) -> None:
    """The user's own keys first; a cleared endpoint makes the deploy write the config (a place to be killed)."""
    data = json.loads((root / CONFIG).read_text(encoding="utf-8-sig"))
    data = {**USER_KEYS, **{k: v for k, v in data.items() if k not in USER_KEYS}}
    if endpoint_cleared:
        data["ACA_APP_ENDPOINT"] = None
    (root / CONFIG).write_text(json.dumps(data, indent=2) + "\n")


def _kill_during_sync(arm: ArmProbe, mark: int, victim: subprocess.Popen[str], after: float) -> float:
    """Wait until the deploy's first write to the share, then `after` seconds more; returns the time taken."""
    started = time.monotonic()
    while victim.poll() is None and time.monotonic() - started < 60:
        if any(r["port"] == "files" and r["method"] in ("PUT", "DELETE") for r in arm.requests_since(mark)):
            break
        time.sleep(0.01)
    time.sleep(after)
    return time.monotonic() - started


def _phase(arm: ArmProbe, mark: int) -> str:
    """Where the killed deploy was, from the last request it sent."""
    requests = arm.requests_since(mark)
    if not requests:
        return "before any request"
    last = requests[-1]
    path = last["path"].lower()
    if last["port"] == "files":
        return "manifest" if "manifest.json" in path else "uploads"
    for word, phase in (("listkeys", "account key"), ("restart", "restart"), ("listsecrets", "secrets"),
                        ("replicas", "readiness"), ("revisions/", "readiness")):
        if word in path:
            return phase
    return "reading the app"


@pytest.mark.runs_for(45)
@pytest.mark.timeout(campaign_size(quick=600, full=3600))  # the full size runs for many minutes
def test_a_deploy_killed_at_any_moment_converges_on_the_next_run(emulator: Any, tmp_path: Path,
                                                                 isolated_home: Path) -> None:
    trials = campaign_size(quick=4, full=100)
    rng = random.Random(1414)
    root = make_workspace(tmp_path / "ws")
    config = provision(emulator, root, "rg-crash-campaign")
    arm = ArmProbe(emulator)
    started = time.monotonic()
    first = cli(emulator, "deploy", root)
    assert first.returncode == 0, first.stderr
    endpoint = last_json(first.stdout)["endpoint"]
    span = time.monotonic() - started  # kill times are spread over one whole deploy
    record = CampaignRecord("crash-campaign")
    outputs: dict[str, str] = {}
    phases: Counter[str] = Counter()
    for trial in range(1, trials + 1):
        message = change_workspace(root, trial, rng)
        _with_user_keys(root, endpoint_cleared=trial % 3 == 0)
        mark = arm.mark()
        victim = subprocess.Popen(
            [sys.executable, "-m", "aca_inference.cli", "deploy", "--workspace", str(root), "--emulator-data-dir",
             str(emulator.data_dir), "--timeout", "120", "--drain-seconds", "0.5", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        if trial % 2:
            delay = rng.uniform(0.2, span)  # anywhere in a deploy: startup and readiness take most of it
            time.sleep(delay)
        else:
            delay = _kill_during_sync(arm, mark, victim, rng.uniform(0, 0.3))  # the sync is short: aim at it
        finished_first = victim.poll() is not None
        if not finished_first:
            os.kill(victim.pid, signal.SIGKILL)
        out, err = victim.communicate(timeout=60)
        outputs[f"killed {trial}"] = out + err
        phase = "finished before the kill" if finished_first else _phase(arm, mark)
        phases[phase] += 1
        rerun = cli(emulator, "deploy", root)
        outputs[f"rerun {trial}"] = rerun.stdout + rerun.stderr
        assert rerun.returncode == 0, f"trial {trial} (killed after {delay:.2f}s, {phase}): re-run failed\n{rerun.stderr}"
        data = json.loads((root / CONFIG).read_text(encoding="utf-8-sig"))
        assert {k: data[k] for k in USER_KEYS} == USER_KEYS and list(data)[:2] == list(USER_KEYS)
        assert data["ACA_APP_ENDPOINT"] == endpoint
        assert share_matches(emulator, config, root), f"trial {trial} ({phase}): share differs from the workspace"
        assert serves(endpoint, message), f"trial {trial} ({phase}): endpoint does not serve the new version"
        record.add(trial=trial, kill_after=round(delay, 2), phase=phase)
    share = arm.share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    hits = secret_hits(outputs, [root, isolated_home, share], secrets(emulator, config))
    record.save(trials=trials, reruns_succeeded_first_time=trials, deploy_span_seconds=round(span, 2),
                killed_in_phase=dict(phases.most_common()), secret_hits=len(hits))
    assert hits == []
    assert sum(n for phase, n in phases.items() if phase != "finished before the kill") >= 1
