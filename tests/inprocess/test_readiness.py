"""When a new revision counts as serving: the path ACA's probes use, our app's API key, and failing fast on a
crash loop instead of waiting out the timeout."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

import pytest

from aca_inference.azure.container_apps import Replica
from aca_inference.ops.deploy.readiness import (
    NotReady,
    Readiness,
    ReadinessCheck,
    readiness_check,
    wait_until_ready,
)
from tests.fakes.container_apps import FakeContainerAppGateway
from tests.fakes.reporter import RecordingProgress
from tests.inprocess.builders import RELEASE_A, answering_endpoint, app, launcher_template, revision


def probed(*probes: dict[str, Any]) -> dict[str, Any]:
    template = launcher_template()
    template["containers"][0]["probes"] = list(probes)
    return template


def test_the_readiness_probe_path_is_what_aca_waits_for_else_the_startup_probe_else_the_root() -> None:
    readiness = {"type": "Readiness", "httpGet": {"path": "/ready", "port": 8000}}
    startup = {"type": "Startup", "httpGet": {"path": "started", "port": 8000}}
    assert readiness_check(probed(startup, readiness), None) == ReadinessCheck("/ready", our_app=False)
    assert readiness_check(probed(startup), None) == ReadinessCheck("/started", our_app=False)
    assert readiness_check(probed({"type": "Liveness", "httpGet": {"path": "/alive"}}), None).path == "/"
    assert readiness_check({}, None).path == "/"


def test_our_app_is_the_one_with_an_api_key_and_the_health_probe() -> None:
    health = {"type": "Readiness", "httpGet": {"path": "/health", "port": 8000}}
    assert readiness_check(probed(health), "key").our_app
    assert not readiness_check(probed(health), None).our_app
    assert not readiness_check(probed({"type": "Readiness", "httpGet": {"path": "/other"}}), "key").our_app


def _waiting(apps: FakeContainerAppGateway, endpoint: str, check: ReadinessCheck, *, api_key: str | None = None,
             timeout: float = 5.0) -> Coroutine[Any, Any, Readiness]:
    return wait_until_ready(apps, "app--r1", endpoint=endpoint, api_key=api_key, check=check,
                            since=datetime.now(UTC), timeout=timeout, progress=RecordingProgress("deploy"))


async def test_ready_once_a_fresh_replica_runs_and_the_endpoint_answers() -> None:
    apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)])
    apps.replicas["app--r1"] = [Replica("app--r1-new", "Running", datetime.now(UTC), 0, True)]
    async with answering_endpoint(by_path={"/health": 200, "/v1/models": 200}) as fqdn:
        ready = await _waiting(apps, f"http://{fqdn}", ReadinessCheck("/health", our_app=True), api_key="key")
    assert (ready.revision, ready.status) == ("app--r1", 200)


async def test_a_crash_loop_fails_at_once_and_names_the_replica() -> None:
    apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)])
    apps.replicas["app--r1"] = [Replica("app--r1-x", "Running", datetime.now(UTC), 3, False)]
    with pytest.raises(NotReady, match="the container keeps crashing: replica app--r1-x restarted 3 times "
                                       r"\(revision app--r1\)"):
        await _waiting(apps, "http://127.0.0.1:9", ReadinessCheck("/", our_app=False), timeout=60)


async def test_our_app_rejecting_its_own_key_is_a_failure_not_a_wait() -> None:
    apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)])
    apps.replicas["app--r1"] = [Replica("app--r1-new", "Running", datetime.now(UTC), 0, True)]
    async with answering_endpoint(by_path={"/health": 200, "/v1/models": 401}) as fqdn:
        with pytest.raises(NotReady, match=r"The endpoint rejected the API key \(HTTP 401\); check the "
                                           "inference-api-key secret"):
            await _waiting(apps, f"http://{fqdn}", ReadinessCheck("/health", our_app=True), api_key="key", timeout=60)


async def test_an_answer_from_before_the_restart_does_not_count() -> None:
    apps = FakeContainerAppGateway(app(), [revision("r1", RELEASE_A, traffic=100)])
    apps.replicas["app--r1"] = [Replica("app--r1-old", "Running", datetime(2026, 1, 1, tzinfo=UTC), 0, True)]
    async with answering_endpoint() as fqdn:
        with pytest.raises(NotReady, match=r"The endpoint did not answer within 0s \(revision app--r1: Running, "
                                           "health Healthy\\)"):
            await _waiting(apps, f"http://{fqdn}", ReadinessCheck("/", our_app=False), timeout=0.05)
