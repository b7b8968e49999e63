"""Kill campaign for release deploys (zero downtime): the CLI is killed with SIGKILL at a random moment of a release
deploy - hashing, uploading the new contents, writing the manifest, creating the revision at 0 %, waiting for it to
answer, switching the traffic, draining, deactivating the old revision, pruning - and then deploy runs again.

While the killed deploy runs, after it and through the re-run, a client calls the endpoint every 50 ms and a
watcher lists the app's revisions every 100 ms. After each trial:
  (a) no request failed; every answer was the previous release's content or the new one, never the old again once
      the new had answered; and no revision carried traffic while it was not ready (running and healthy);
  (b) the re-run converged the first time: exit 0, the endpoint serves the new content, exactly one active
      revision remains, and `status --json` says it runs the newest release, which serves.

The kill moments are spread over a whole deploy, measured first in the test (from the CLI's start to its exit, and
until its first request). Half the trials are killed at a seeded random moment inside each of 10 equal slices of the
whole deploy; the CLI's start-up (imports, before any request) takes about half of it, so the other half are spread
the same way over the part after the start-up, where the release is published, started, switched and drained.
20 trials (what issue 11 asks); figures go to test-artifacts/release-kill-campaign.json.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import last_json
from tests.deploy.conftest import make_workspace, provision_workspace
from tests.hardening.campaign import CampaignRecord, EndpointPoller, change_workspace, serves
from tests.hardening.conftest import cli
from tests.provision.arm import ArmProbe

TRIALS = 20
DRAIN = ("--drain-seconds", "0.5")


@dataclass(frozen=True)
class RevisionSample:
    at: float  # time.monotonic()
    name: str
    active: bool
    traffic_weight: int
    running_state: str
    health_state: str

    @property
    def ready(self) -> bool:
        return self.running_state == "Running" and self.health_state == "Healthy"


def _text(state: Any) -> str:
    """The SDK's enum members as the service's words ('Running', 'Healthy')."""
    return str(getattr(state, "value", state) or "")


class RevisionWatcher:
    """Lists the app's revisions every 100 ms from a thread (ARM reads only)."""

    def __init__(self, emulator: Any, group: str, app: str) -> None:
        self.client = ArmProbe(emulator).apps()
        self.group, self.app = group, app
        self.samples: list[RevisionSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            at = time.monotonic()
            try:
                revisions = list(self.client.container_apps_revisions.list_revisions(self.group, self.app))
            except Exception:  # noqa: BLE001 - a missed sample is not a finding
                revisions = []
            self.samples += [RevisionSample(at, r.name, bool(r.active), int(r.traffic_weight or 0),
                                            _text(r.running_state), _text(r.health_state)) for r in revisions]
            self._stop.wait(0.1)

    def __enter__(self) -> RevisionWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def traffic_on_unready(self) -> list[RevisionSample]:
        return [s for s in self.samples if s.active and s.traffic_weight > 0 and not s.ready]


def _phase(arm: ArmProbe, mark: int) -> str:
    """Where the killed deploy was, from the last write it sent (the watcher's reads are left out)."""
    writes = [r for r in arm.requests_since(mark) if r["method"] in ("PUT", "PATCH", "POST", "DELETE")
              and "listkeys" not in r["path"].lower() and "listsecrets" not in r["path"].lower()]
    if not writes:
        return "before any write (reading, hashing)"
    last, path = writes[-1], writes[-1]["path"].lower()
    if last["port"] == "files":
        if "/releases/" in path:
            return "after the manifest write"
        if "launch.py" in path:
            return "after the launcher write"
        return "uploading contents"
    if "deactivate" in path:
        return "deactivating the old revision"
    if last["method"] == "PATCH":
        return "after the traffic switch (draining)"
    if last["method"] == "PUT":
        return "after the revision was created (waiting for it to answer)"
    return f"after {last['method']} {path[-40:]}"


def _check_answers(polls: EndpointPoller, old: bytes, new: bytes, trial: int) -> dict[str, Any]:
    assert polls.errors == [], f"trial {trial}: {len(polls.errors)} failed requests, first: {polls.errors[0].error}"
    bodies = [p.body for p in polls.polls]
    assert set(bodies) <= {old, new}, f"trial {trial}: unexpected content {set(bodies) - {old, new}}"
    first_new = bodies.index(new) if new in bodies else len(bodies)
    assert old not in bodies[first_new:], f"trial {trial}: the old release answered again after the new one"
    return {"requests": len(bodies), "old_answers": first_new, "new_answers": len(bodies) - first_new,
            "slowest_answer_s": round(max(p.seconds for p in polls.polls), 3)}


def _converged(emulator: Any, root: Path, rerun: subprocess.CompletedProcess[str], endpoint: str, message: str,
               trial: int, phase: str) -> str:
    where = f"trial {trial} (killed {phase})"
    assert rerun.returncode == 0, f"{where}: re-run failed\n{rerun.stderr}"
    where += f", re-run: {last_json(rerun.stdout)['action']}"
    assert serves(endpoint, message), f"{where}: endpoint does not serve the new content"
    shown = cli(emulator, "status", root)
    assert shown.returncode == 0, shown.stderr
    status = last_json(shown.stdout)
    active = [r for r in status["revisions"] if r["active"]]
    assert len(active) == 1, f"{where}: active revisions after the re-run: {[r['name'] for r in active]}"
    newest = status["releases"][-1]
    assert newest["serving"] and active[0]["name"] in newest["revisions"], \
        f"{where}: the newest release {newest} is not what the one active revision {active[0]['name']} runs"
    assert status["serving_release"] == newest["id"]
    return str(newest["id"])


def _start_deploy(root: Path, emulator: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aca_inference.cli", "deploy", "--workspace", str(root), "--emulator-data-dir",
         str(emulator.data_dir), "--timeout", "120", *DRAIN, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def _measure_deploy(arm: ArmProbe, root: Path, emulator: Any) -> tuple[float, float]:
    """One whole release deploy (new contents, a new revision, the switch, the drain) as a user runs it: seconds
    from the CLI's start to its exit, and to its first request (the start-up)."""
    mark = arm.mark()
    started = time.monotonic()
    process = _start_deploy(root, emulator)
    startup: float | None = None
    while process.poll() is None:
        if startup is None and arm.requests_since(mark):
            startup = time.monotonic() - started
        time.sleep(0.02)
    span = time.monotonic() - started
    out, err = process.communicate()
    assert process.returncode == 0 and last_json(out)["zero_downtime"], err
    return span, startup if startup is not None else 0.0


@pytest.mark.runs_for(105)
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_release_deploy_killed_at_any_moment_never_serves_an_unready_release_and_converges_on_the_next_run(
        emulator: Any, tmp_path: Path) -> None:
    rng = random.Random(1111)
    root = make_workspace(tmp_path / "ws")
    config = provision_workspace(emulator, root, "rg-release-kill")
    endpoint = config["ACA_APP_ENDPOINT"]
    group, app = config["RESOURCE_GROUP_NAME"], config["ACA_APP_NAME"]
    arm = ArmProbe(emulator)
    first = cli(emulator, "deploy", root, *DRAIN)
    assert first.returncode == 0, first.stderr
    assert last_json(first.stdout)["action"] == "released"
    # One whole release deploy (new contents, a new revision, the switch, the drain), measured as a user runs it.
    message = change_workspace(root, 1, rng)
    span, startup = _measure_deploy(arm, root, emulator)
    half = TRIALS // 2
    moments = [(0.0, span, part, half) for part in range(half)] + \
        [(startup, span - startup, part, TRIALS - half) for part in range(TRIALS - half)]
    rng.shuffle(moments)
    record = CampaignRecord("release-kill-campaign")
    phases: Counter[str] = Counter()
    for trial, (offset, length, part, parts) in enumerate(moments, start=1):
        old = message.encode()
        message = change_workspace(root, trial + 1, rng)
        delay = offset + length * (part + rng.random()) / parts
        mark = arm.mark()
        with EndpointPoller(endpoint + "/") as polls, RevisionWatcher(emulator, group, app) as revisions:
            victim = _start_deploy(root, emulator)
            time.sleep(delay)
            finished_first = victim.poll() is not None
            if not finished_first:
                os.kill(victim.pid, signal.SIGKILL)
            victim.communicate(timeout=60)
            phase = "finished before the kill" if finished_first else _phase(arm, mark)
            time.sleep(0.5)  # what the endpoint serves right after the kill counts too
            served_after_kill = polls.polls[-1].body if polls.polls else None
            rerun = cli(emulator, "deploy", root, *DRAIN)
        phases[phase] += 1
        answers = _check_answers(polls, old, message.encode(), trial)
        unready = revisions.traffic_on_unready()
        assert unready == [], f"trial {trial} (killed {phase}): traffic on a revision not ready: {unready[:3]}"
        release = _converged(emulator, root, rerun, endpoint, message, trial, phase)
        record.add(trial=trial, kill_after=round(delay, 2), phase=phase, rerun_action=last_json(rerun.stdout)["action"],
                   new_served_before_rerun=served_after_kill == message.encode(), release=release,
                   revision_samples=len(revisions.samples), **answers)
    summary = record.save(trials=TRIALS, deploy_span_seconds=round(span, 2), startup_seconds=round(startup, 2),
                          reruns_converged_first_time=TRIALS, failed_requests=0,
                          killed_in_phase=dict(phases.most_common()),
                          requests=sum(run["requests"] for run in record.runs))
    print(json.dumps(summary["killed_in_phase"]))
    assert sum(n for p, n in phases.items() if p != "finished before the kill") >= TRIALS // 2
