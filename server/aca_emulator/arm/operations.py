"""Long-running operations with simulated durations, timed so that clients finish when the operation does.

Timing design (azure-core waits `Retry-After` whole seconds between polls, and treats 0 as its 30 s default):
- an operation whose (scaled) duration is under HOLD_LIMIT (1 s) is carried out inside the initial request,
  which answers with the final result, as ARM does for fast operations (200/201, provisioningState Succeeded);
- a longer one answers 201/202 with `Azure-AsyncOperation` (or `Location`) and `Retry-After: floor(remaining)`,
  so the client's next poll lands less than a second before the end; a poll that finds under HOLD_LIMIT
  remaining is held open until the operation completes and answers the final status.
The client therefore sees the operation end within milliseconds of its simulated end, whatever the time scale.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..store import Operation, Store

HOLD_LIMIT = 1.0
MAX_RETRY_AFTER = 15

Finisher = Callable[[Operation], Awaitable[None]]


def iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat().replace("+00:00", "Z")


def retry_after(remaining: float) -> str:
    return str(max(1, min(MAX_RETRY_AFTER, math.floor(remaining))))


class Operations:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._finishers: dict[tuple[str, str], Finisher] = {}
        self._done: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def on_finish(self, resource_type: str, action: str, finisher: Finisher) -> None:
        self._finishers[(resource_type.lower(), action)] = finisher

    def _finisher(self, op: Operation) -> Finisher:
        record_type = op.resource_key.split("|", 1)[0]
        return self._finishers[(record_type, op.action)]

    async def start(self, resource_type: str, resource_id: str, action: str, duration: float) -> Operation | None:
        """Runs the operation. Returns None when it already finished (answer with the final result), else the
        pending operation (answer 201/202 with its monitor headers)."""
        op = Operation(id=str(uuid.uuid4()), resource_key=f"{resource_type.lower()}|{resource_id}", action=action,
                       started=time.time(), duration=duration, status="InProgress")
        if duration < HOLD_LIMIT:
            if duration > 0:
                await asyncio.sleep(duration)
            await self._finish(op)
            return None
        self.store.put_operation(op)
        self._done[op.id] = asyncio.Event()
        task = asyncio.get_running_loop().create_task(self._run(op))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return op

    async def _run(self, op: Operation) -> None:
        await asyncio.sleep(op.remaining())
        await self._finish(op)

    async def _finish(self, op: Operation) -> None:
        try:
            await self._finisher(op)(op)
            op.status = "Succeeded"
        except Exception as exc:  # the operation fails as the service would report it
            op.status = "Failed"
            op.error = {"code": getattr(exc, "code", "InternalServerError"), "message": str(exc)}
        if self.store.get_operation(op.id) is not None:
            self.store.put_operation(op)
        event = self._done.pop(op.id, None)
        if event is not None:
            event.set()

    async def resume_pending(self) -> None:
        """After a restart: operations that were running continue where they left off."""
        for op in self.store.pending_operations():
            self._done[op.id] = asyncio.Event()
            task = asyncio.get_running_loop().create_task(self._run(op))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def wait_status(self, op_id: str) -> Operation | None:
        """The operation as a poll should see it, holding the poll when it ends within HOLD_LIMIT."""
        op = self.store.get_operation(op_id)
        if op is None or op.status != "InProgress":
            return op
        if op.remaining() < HOLD_LIMIT:
            event = self._done.get(op.id)
            if event is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=op.remaining() + 5)
            op = self.store.get_operation(op_id) or op
        return op

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def monitor_urls(base_url: str, subscription_id: str, namespace: str, location: str, op: Operation,
                 api_version: str) -> tuple[str, str]:
    """(Azure-AsyncOperation URL, Location URL) for an operation, shaped like the real providers'."""
    loc = (location or "global").replace(" ", "").lower()
    prefix = f"{base_url}/subscriptions/{subscription_id}/providers/{namespace}/locations/{loc}"
    return (f"{prefix}/operationStatuses/{op.id}?api-version={api_version}",
            f"{prefix}/operationResults/{op.id}?api-version={api_version}")


def status_body(op: Operation, status_url: str) -> dict[str, Any]:
    from urllib.parse import urlsplit

    body: dict[str, Any] = {"id": urlsplit(status_url).path, "name": op.id, "status": op.status, "startTime": iso(op.started)}
    if op.status != "InProgress":
        body["endTime"] = iso(op.started + op.duration)
    if op.error:
        body["error"] = op.error
    return body


def pending_headers(op: Operation, *, async_url: str | None, location_url: str | None) -> dict[str, str]:
    headers = {"Retry-After": retry_after(op.remaining())}
    if async_url:
        headers["Azure-AsyncOperation"] = async_url
    if location_url:
        headers["Location"] = location_url
    return headers


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    import json

    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)
