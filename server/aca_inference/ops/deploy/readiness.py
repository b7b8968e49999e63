"""Wait until the restarted revision really serves: a replica started after the restart is running and the
endpoint answers on the app's own readiness probe path (else its startup probe's, else `/`) as ACA counts
success (HTTP 200-399); for our own app, the API also accepts the key. Polls with backoff capped below one second, so
readiness is noticed well within a second of happening; fails fast on a crash loop or a failed revision."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import anyio

from ...azure.container_apps import ContainerAppGateway, Replica, Revision
from ...errors import Cancelled, OperationFailed
from ...workspace.app_contract import API_KEY_SECRET, HEALTH_PATH
from ..reporter import Progress

CRASH_LOOP_RESTARTS = 3
MAX_POLL_INTERVAL = 0.25
ARM_POLL_INTERVAL = 2.0


@dataclass(frozen=True)
class ReadinessCheck:
    path: str  # the app's readiness (else startup) probe path, else "/"
    our_app: bool  # our inference app: /v1/models must accept the API key too


def readiness_check(template: dict[str, Any], api_key: str | None) -> ReadinessCheck:
    """What ACA itself waits for before it sends traffic: the probes of the revision's container `template`,
    readiness else startup. The probe's port is reached through the ingress (its targetPort)."""
    containers = [c for c in template.get("containers") or [] if isinstance(c, dict)]
    probes = [p for c in containers for p in (c.get("probes") or []) if isinstance(p, dict)]
    path = "/"
    for kind in ("readiness", "startup"):
        probe = next((p for p in probes if str(p.get("type", "")).lower() == kind and p.get("httpGet")), None)
        if probe is not None:
            path = str(probe["httpGet"].get("path") or "/")
            break
    path = path if path.startswith("/") else f"/{path}"
    return ReadinessCheck(path=path, our_app=api_key is not None and path == HEALTH_PATH)


@dataclass(frozen=True)
class Readiness:
    seconds: float
    revision: str
    status: int


class NotReady(OperationFailed):
    def __init__(self, message: str, revision: str) -> None:
        super().__init__(message)
        self.revision = revision


def _ready_status(status: int | None) -> bool:
    return status is not None and 200 <= status < 400


async def _endpoint_status(http: aiohttp.ClientSession, url: str, api_key: str | None) -> int | None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with http.get(url, headers=headers, allow_redirects=False) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError, OSError):
        return None


def _failure(state: Revision, replicas: list[Replica]) -> str | None:
    if state.running_state.lower() == "failed":
        return f"revision {state.name} failed (running state {state.running_state}, health {state.health_state})"
    looping = [r for r in replicas if r.restart_count >= CRASH_LOOP_RESTARTS]
    if looping:
        return (f"the container keeps crashing: replica {looping[0].name} restarted {looping[0].restart_count} times "
                f"(revision {state.name})")
    return None


async def wait_until_ready(apps: ContainerAppGateway, revision: str, *, endpoint: str, api_key: str | None,
                           check: ReadinessCheck, since: datetime, timeout: float, progress: Progress) -> Readiness:
    """The endpoint is polled often (cheap, and what the user waits for); ARM, which throttles reads, only every
    ARM_POLL_INTERVAL - enough to see the fresh replica appear and to fail fast on a crash loop."""
    started = time.monotonic()
    deadline = started + timeout
    interval = 0.05
    # ARM and our clock may differ slightly; a replica "created after the restart" allows for that.
    since = since - timedelta(seconds=2)
    state: Revision | None = None
    fresh_replica = False
    next_arm_poll = started
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while True:
            if progress.cancelled:
                raise Cancelled("Deploy cancelled while waiting for the endpoint; the app keeps starting in Azure.")
            now = time.monotonic()
            if now >= next_arm_poll:
                state = await apps.get_revision(revision)
                replicas = await apps.list_replicas(revision)
                next_arm_poll = now + ARM_POLL_INTERVAL
                if (why := _failure(state, replicas)) is not None:
                    raise NotReady(f"The inference app did not start: {why}.", revision)
                fresh_replica = fresh_replica or any(
                    r.created is None or r.created.astimezone(UTC) >= since for r in replicas)
                progress.report(f"Waiting for the endpoint ({now - started:.0f}s, revision {revision}: "
                                f"{state.running_state or 'starting'})")
            # Before a replica newer than the restart exists, an answer could still come from the old process.
            if fresh_replica and _ready_status(status := await _endpoint_status(http, f"{endpoint}{check.path}",
                                                                                None)):
                if not check.our_app:
                    return Readiness(time.monotonic() - started, revision, status or 200)
                status = await _endpoint_status(http, f"{endpoint}/v1/models", api_key)
                if status == 200:
                    return Readiness(time.monotonic() - started, revision, status)
                if status in (401, 403):
                    raise NotReady(f"The endpoint rejected the API key (HTTP {status}); check the "
                                   f"{API_KEY_SECRET} secret of the app.", revision)
            if time.monotonic() >= deadline:
                where = f"{state.running_state}, health {state.health_state}" if state else "no state"
                raise NotReady(f"The endpoint did not answer within {timeout:.0f}s (revision {revision}: {where}). "
                               "Raise the readiness timeout for slow GPU cold starts, or check the logs.", revision)
            await anyio.sleep(interval)
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)
