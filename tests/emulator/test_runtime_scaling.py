"""Replicas as ACA's scaler runs them: scale to zero after the cooldown (a cold start held at the ingress), several
replicas each its own process and log with requests balanced across them, scale out under concurrent requests and
back in, probes at the probe's own period once a replica is ready."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from aca_emulator.testing import running_emulator
from tests.conftest import cli_run, last_json

from .conftest import Azure, wait_for
from .scaling_apps import ask, ready_replica_names, replica_names, scaled_app_body

pytestmark = pytest.mark.slow
TIME_SCALE = 0.002  # ACA's 300 s cooldown -> 0.6 s; 30 s polling -> 0.06 s


@pytest.fixture(scope="module")
def azure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azure]:
    """Its own emulator: no floor under the scaled cooldown, so scale-in happens within a test."""
    data_dir = tmp_path_factory.mktemp("emulator")
    with running_emulator(data_dir, time_scale=TIME_SCALE, scale_in_floor=0.0) as info:
        yield Azure(info, data_dir)


def _create(azure: Azure, place: dict[str, str], name: str, scale: dict[str, Any]) -> Any:
    app = azure.apps().container_apps.begin_create_or_update(place["group"], name,
                                                             scaled_app_body(place, scale=scale)).result()
    revisions = azure.apps().container_apps_revisions
    wait_for(lambda: revisions.get_revision(place["group"], name, app.latest_revision_name).running_state
             == "Running", timeout=60)
    return app


def _log(azure: Azure, group: str, app: str, revision: str, replica: str) -> str:
    token = azure.apps().container_apps.get_auth_token(group, app).token
    url = (f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourceGroups/{group}/containerApps/{app}/"
           f"revisions/{revision}/replicas/{replica}/containers/main/logstream?tailLines=300&output=text")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    context = ssl.create_default_context(cafile=azure.info.ca_path)
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return str(response.read().decode())


@pytest.fixture(scope="module")
def idle_app(azure: Azure, place: dict[str, str]) -> Any:
    return _create(azure, place, "idle", {"minReplicas": 0, "maxReplicas": 1, "cooldownPeriod": 1500})  # 3 s


@pytest.fixture(scope="module")
def pair_app(azure: Azure, place: dict[str, str]) -> Any:
    return _create(azure, place, "pair", {"minReplicas": 2, "maxReplicas": 2})


def test_idle_revision_scales_to_zero_and_the_first_request_waits_for_a_cold_start(
        azure: Azure, place: dict[str, str], idle_app: Any) -> None:
    group, app = place["group"], idle_app
    revision = app.latest_revision_name
    first = replica_names(azure, group, "idle", revision)
    assert len(first) == 1  # a new revision starts one replica even with minReplicas 0
    assert ask(app.configuration.ingress.fqdn)["replica"] == first[0]
    wait_for(lambda: replica_names(azure, group, "idle", revision) == [], timeout=30)
    idle = azure.apps().container_apps_revisions.get_revision(group, "idle", revision)
    assert (idle.replicas, idle.running_state, idle.active) == (0, "ScaledToZero", True)
    assert azure.apps().container_apps.get(group, "idle").running_status == "Running"
    started = time.monotonic()
    answer = ask(app.configuration.ingress.fqdn)  # held by the ingress while a replica starts, then answered
    assert time.monotonic() - started < 30
    assert replica_names(azure, group, "idle", revision) == [answer["replica"]] != first


def test_replicas_each_serve_from_their_own_process_and_log_with_requests_balanced(
        azure: Azure, place: dict[str, str], pair_app: Any) -> None:
    group, app = place["group"], pair_app
    revision = app.latest_revision_name
    # Both ready (the revision is Running as soon as one is): only then does the ingress balance over two.
    try:
        names = wait_for(lambda: len(n := ready_replica_names(azure, group, "pair", revision)) == 2 and n,
                         timeout=60)
    except AssertionError:  # say what the replicas were doing
        listed = azure.apps().container_apps_revision_replicas.list_replicas(group, "pair", revision).value
        raise AssertionError("two ready replicas expected: " + "; ".join(
            f"{r.name}: {r.running_state} {r.running_state_details} "
            f"{[(c.ready, c.running_state, c.restart_count) for c in r.containers or []]}" for r in listed)) from None
    counts = Counter(ask(app.configuration.ingress.fqdn)["replica"] for _ in range(20))
    assert counts == Counter({names[0]: 10, names[1]: 10})
    for name in names:
        log = _log(azure, group, "pair", revision, name)
        assert f"replica {name} serving" in log
        assert all(other not in log for other in names if other != name)


def test_concurrent_requests_scale_out_to_max_replicas_then_back_in(azure: Azure, place: dict[str, str]) -> None:
    group = place["group"]
    rule = {"name": "http", "http": {"metadata": {"concurrentRequests": "1"}}}
    app = _create(azure, place, "burst", {"minReplicas": 1, "maxReplicas": 3, "cooldownPeriod": 1000,
                                          "rules": [rule]})
    revision = app.latest_revision_name
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.append(len(replica_names(azure, group, "burst", revision)))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: ask(app.configuration.ingress.fqdn, "/slow?s=3"), range(4)))
    finally:
        done.set()
        watcher.join()
    assert len(answers) == 4
    assert max(seen) == 3  # 4 concurrent requests at 1 per replica, capped by maxReplicas
    wait_for(lambda: len(replica_names(azure, group, "burst", revision)) == 1, timeout=30)  # cooldown 2 s


def test_scale_in_keeps_the_replica_serving_a_request_and_the_request_completes(
        azure: Azure, place: dict[str, str]) -> None:
    group = place["group"]
    rule = {"name": "http", "http": {"metadata": {"concurrentRequests": "1"}}}
    app = _create(azure, place, "drain", {"minReplicas": 1, "maxReplicas": 2, "cooldownPeriod": 500,  # 1 s
                                          "rules": [rule]})
    fqdn, revision = app.configuration.ingress.fqdn, app.latest_revision_name
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: ask(fqdn, "/slow?s=1.5"), range(2)))
    assert len(replica_names(azure, group, "drain", revision)) == 2
    for _ in range(3):  # each long request lands on either replica (in turn); the other one leaves meanwhile
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(ask, fqdn, "/slow?s=2.5")
            survivors = wait_for(lambda: len(n := replica_names(azure, group, "drain", revision)) == 1 and n,
                                 timeout=10)
            assert answer.result()["replica"] == survivors[0]
        time.sleep(0.5)
        with ThreadPoolExecutor(2) as pool:  # back to two replicas for the next round
            list(pool.map(lambda _: ask(fqdn, "/slow?s=1.5"), range(2)))

def test_a_ready_replica_is_probed_at_the_probe_period_not_the_time_scale(
        azure: Azure, place: dict[str, str]) -> None:
    app = _create(azure, place, "quiet", {"minReplicas": 1, "maxReplicas": 1})
    before = ask(app.configuration.ingress.fqdn)["probes"]
    time.sleep(3.0)
    after = ask(app.configuration.ingress.fqdn)["probes"]
    # periodSeconds 2: one or two probes in 3 s (at period x time scale it would be 3 / 0.05 = 60).
    assert 1 <= after - before <= 2


def _workspace(azure: Azure, place: dict[str, str], app: Any, root: Path) -> Path:
    (root / "infra").mkdir(parents=True, exist_ok=True)
    (root / "infra" / "inference.config.json").write_text(json.dumps({
        "SUBSCRIPTION_ID": azure.sub, "RESOURCE_GROUP_NAME": place["group"], "STORAGE_ACCOUNT_NAME": place["account"],
        "FILE_SHARE_NAME": place["share"], "ACA_APP_NAME": app.name,
        "ACA_APP_ENDPOINT": f"http://{app.configuration.ingress.fqdn}"}))
    return root


def _cli(azure: Azure, root: Path, *args: str) -> Any:
    run = cli_run(*args, "--workspace", str(root), "--emulator-data-dir", str(azure.data_dir), "--json")
    assert run.returncode == 0, run.stderr
    return run, last_json(run.stdout)


def test_logs_name_each_replica_and_pick_one_and_status_counts_them(
        azure: Azure, place: dict[str, str], pair_app: Any, tmp_path: Path) -> None:
    root = _workspace(azure, place, pair_app, tmp_path)
    names = replica_names(azure, place["group"], "pair", pair_app.latest_revision_name)
    run, result = _cli(azure, root, "logs", "--tail", "50")
    assert sorted(result["replicas"]) == sorted(names)
    lines = run.stderr.splitlines()
    for name in names:  # each replica's own start line, named by its replica
        assert any(line.startswith(f"[{name}] ") and line.endswith(f"replica {name} serving") for line in lines)
    run, result = _cli(azure, root, "logs", "--replica", names[0])
    assert f"replica {names[0]} serving" in run.stderr and names[1] not in run.stderr
    _, status = _cli(azure, root, "status")
    active = [r for r in status["revisions"] if r["active"]]
    assert [r["replica_count"] for r in active] == [2] and status["healthy"] and not status["scaled_to_zero"]


def test_status_and_logs_say_when_the_app_is_scaled_to_zero(
        azure: Azure, place: dict[str, str], idle_app: Any, tmp_path: Path) -> None:
    root = _workspace(azure, place, idle_app, tmp_path)
    wait_for(lambda: replica_names(azure, place["group"], "idle", idle_app.latest_revision_name) == [], timeout=30)
    run, status = _cli(azure, root, "status")
    assert status["scaled_to_zero"] is True and "cold start" in status["summary"]
    assert [r["running_state"] for r in status["revisions"] if r["active"]] == ["ScaledToZero"]
    run, result = _cli(azure, root, "logs")
    assert result["lines"] == 0 and "scaled to zero" in run.stderr


def test_logs_follow_waits_while_scaled_to_zero_and_streams_the_replica_a_request_starts(
        azure: Azure, place: dict[str, str], idle_app: Any, tmp_path: Path) -> None:
    root = _workspace(azure, place, idle_app, tmp_path)
    revision = idle_app.latest_revision_name
    wait_for(lambda: replica_names(azure, place["group"], "idle", revision) == [], timeout=30)
    command = [sys.executable, "-m", "aca_inference.cli", "logs", "--follow", "--workspace", str(root),
               "--emulator-data-dir", str(azure.data_dir)]
    follower = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(follower.stderr.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        wait_for(lambda: any("scaled to zero" in line for line in lines), timeout=30)
        replica = ask(idle_app.configuration.ingress.fqdn)["replica"]  # the cold start
        wait_for(lambda: any(line.startswith(f"[{replica}] ") and "request /" in line for line in lines), timeout=30)
    finally:
        follower.send_signal(signal.SIGINT)
        try:
            follower.wait(10)
        except subprocess.TimeoutExpired:
            follower.kill()
            follower.wait()
        reader.join(10)
