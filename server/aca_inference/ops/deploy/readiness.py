"""Wait until the restarted revision really serves: a replica started after the restart is running and the
endpoint answers 200 (with the API key when auth is on). Polls with backoff capped below one second, so
readiness is noticed within a second of happening; fails fast on a crash loop or a failed revision."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import anyio

from ...azure.session import AzureSession
from ...errors import Cancelled, OperationFailed
from ..reporter import Progress
from .app_state import AppRef, RevisionState, revision_state

CRASH_LOOP_RESTARTS = 3
MAX_POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class Readiness:
    seconds: float
    revision: str
    status: int


class NotReady(OperationFailed):
    def __init__(self, message: str, revision: str) -> None:
        super().__init__(message)
        self.revision = revision


async def _endpoint_status(http: aiohttp.ClientSession, url: str, api_key: str | None) -> int | None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with http.get(url, headers=headers, allow_redirects=False) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError, OSError):
        return None


def _failure(state: RevisionState) -> str | None:
    if state.running_state.lower() == "failed":
        return f"revision {state.name} failed (running state {state.running_state}, health {state.health_state})"
    looping = [r for r in state.replicas if r.restart_count >= CRASH_LOOP_RESTARTS]
    if looping:
        return (f"the container keeps crashing: replica {looping[0].name} restarted {looping[0].restart_count} times "
                f"(revision {state.name})")
    return None


async def wait_until_ready(session: AzureSession, ref: AppRef, revision: str, *, endpoint: str, api_key: str | None,
                           since: datetime, timeout: float, progress: Progress) -> Readiness:
    started = time.monotonic()
    deadline = started + timeout
    interval = 0.1
    # ARM and our clock may differ slightly; a replica "created after the restart" allows for that.
    since = since - timedelta(seconds=2)
    probe_url = f"{endpoint}/health"
    check_url = f"{endpoint}/v1/models"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while True:
            if progress.cancelled:
                raise Cancelled("Deploy cancelled while waiting for the endpoint; the app keeps starting in Azure.")
            state = await revision_state(session, ref, revision)
            if (why := _failure(state)) is not None:
                raise NotReady(f"The inference app did not start: {why}.", revision)
            fresh = [r for r in state.replicas if r.created is None or r.created.astimezone(UTC) >= since]
            if fresh and any(r.running_state.lower() in ("running", "runningatmaxscale") or r.ready for r in fresh):
                health = await _endpoint_status(http, probe_url, None)
                if health == 200:
                    status = await _endpoint_status(http, check_url, api_key)
                    if status == 200:
                        return Readiness(time.monotonic() - started, revision, status)
                    if status in (401, 403):
                        raise NotReady(f"The endpoint rejected the API key (HTTP {status}); check the "
                                       "inference-api-key secret of the app.", revision)
            elapsed = time.monotonic() - started
            progress.report(f"Waiting for the endpoint ({elapsed:.0f}s, revision {revision}: "
                            f"{state.running_state or 'starting'})")
            if time.monotonic() >= deadline:
                raise NotReady(f"The endpoint did not answer within {timeout:.0f}s (revision {revision}: "
                               f"{state.running_state}, health {state.health_state}). Raise the readiness timeout "
                               "for slow GPU cold starts, or check the logs.", revision)
            await anyio.sleep(interval)
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)
