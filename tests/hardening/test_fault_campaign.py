"""Fault campaign: deploys in a row while the emulator injects faults into ~10% of its requests - each
service's own throttling and failures, dropped connections, answers cut mid-body, slow answers. Every deploy
must succeed the first time, leave the share byte-identical to the workspace and the endpoint serving the new
version; nothing printed or written may contain a key.

Quick size in CI (5 deploys); `ACA_CAMPAIGN=full` runs 50. Figures go to test-artifacts/fault-campaign.json.
"""

from __future__ import annotations

import random
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
from tests.hardening.conftest import cli, inject, provision
from tests.provision.arm import ArmProbe

FAULT_RATE = 0.10
# (port, spec): each service's own ways of failing, shared equally in the 10%.
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("management", {"status": 429}),  # with Retry-After: 1, as ARM sends it
    ("management", {"status": 500}),
    ("management", {"status": 503}),
    ("management", {"status": None, "drop": "before"}),
    ("management", {"status": None, "drop": "mid-body"}),
    ("management", {"status": None, "latency_ms": 300}),
    ("files", {"status": 503}),  # ServerBusy
    ("files", {"status": 500}),  # OperationTimedOut
    ("files", {"status": 429}),
    ("files", {"status": None, "drop": "before"}),
    ("files", {"status": None, "drop": "mid-body"}),
    ("files", {"status": None, "latency_ms": 300}),
]


def _inject_campaign_faults(emulator: Any) -> None:
    """Each fault is tried in turn with the same chance r; 1 - (1 - r)^k = FAULT_RATE per port."""
    per_port = Counter(port for port, _ in FAULTS)
    for port, spec in FAULTS:
        rate = 1 - (1 - FAULT_RATE) ** (1 / per_port[port])
        inject(emulator, path=".", port=port, rate=rate, **spec)


@pytest.mark.runs_for(35)
@pytest.mark.timeout(campaign_size(quick=600, full=3600))  # the full size runs for many minutes
def test_deploys_under_injected_faults_all_succeed_first_time(emulator: Any, tmp_path: Path,
                                                                isolated_home: Path) -> None:
    size = campaign_size(quick=5, full=50)
    rng = random.Random(14)
    root = make_workspace(tmp_path / "ws")
    config = provision(emulator, root, "rg-fault-campaign")
    arm = ArmProbe(emulator)
    outputs: dict[str, str] = {}
    record = CampaignRecord("fault-campaign")
    first = cli(emulator, "deploy", root)
    assert first.returncode == 0, first.stderr
    mark = arm.mark()
    arm.clear_faults()
    _inject_campaign_faults(emulator)
    try:
        for step in range(1, size + 1):
            message = change_workspace(root, step, rng)
            started = time.monotonic()
            run = cli(emulator, "deploy", root)
            seconds = time.monotonic() - started
            outputs[f"deploy {step}"] = run.stdout + run.stderr
            assert run.returncode == 0, f"deploy {step} failed under faults:\n{run.stderr}"
            endpoint = last_json(run.stdout)["endpoint"]
            record.add(step=step, seconds=round(seconds, 2), files_uploaded=last_json(run.stdout)["files_uploaded"])
            assert share_matches(emulator, config, root), f"deploy {step}: share differs from the workspace"
            assert serves(endpoint, message), f"deploy {step}: endpoint does not serve the new version"
    finally:
        arm.clear_faults()
    requests = arm.requests_since(mark)
    injected = Counter(f"{r['port']}:{r['fault']}" for r in requests if r["fault"])
    share = arm.share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    hits = secret_hits(outputs, [root, isolated_home, share], secrets(emulator, config))
    summary = record.save(deploys=size, succeeded_first_time=size, requests=len(requests),
                          faults_injected=sum(injected.values()), faults_by_kind=dict(sorted(injected.items())),
                          fault_share=round(sum(injected.values()) / max(1, len(requests)), 3), secret_hits=len(hits))
    assert hits == []
    assert summary["faults_injected"] >= 1
    assert 0.04 <= summary["fault_share"] <= 0.2  # the campaign really ran at about 10%
