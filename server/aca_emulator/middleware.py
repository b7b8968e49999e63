"""What wraps both ports: the request log (what tests and benchmarks count) and fault injection (what
tests use to prove clients retry). Admin routes (/_emulator/...) are neither logged nor faulted."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

ADMIN_PREFIX = "/_emulator/"


@dataclass
class LoggedRequest:
    seq: int
    port: str  # "management" | "files"
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    fault: str | None = None


class RequestLog:
    def __init__(self, capacity: int = 100_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=capacity)
        self._seq = itertools.count(1)

    def add(self, **fields: Any) -> None:
        self._entries.append(LoggedRequest(seq=next(self._seq), **fields))

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [asdict(e) for e in self._entries if e.seq > seq]

    def last_seq(self) -> int:
        return self._entries[-1].seq if self._entries else 0

    def reset(self) -> None:
        self._entries.clear()


@dataclass
class Fault:
    id: int
    path: str  # regex searched in the request path
    status: int | None = 503  # None: only latency (or drop), the request is served
    rate: float = 1.0  # probability per matching request
    method: str | None = None
    port: str | None = None  # "management" | "files" | None = both
    count: int | None = None  # stop after this many injections
    retry_after: int | None = None
    latency_ms: float = 0.0  # added before the request is handled
    drop: str | None = None  # "before": close without an answer; "mid-body": truncate the answer
    injected: int = 0
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(self.path)
        if self.status is not None and self.status not in (429, 500, 502, 503, 504):
            raise ValueError("status must be one of 429, 500, 502, 503, 504 (or null for latency/drop only)")
        if self.drop not in (None, "before", "mid-body"):
            raise ValueError("drop must be 'before' or 'mid-body'")

    def matches(self, request: web.Request, port: str) -> bool:
        if self.count is not None and self.injected >= self.count:
            return False
        if self.port and self.port != port:
            return False
        if self.method and self.method.upper() != request.method:
            return False
        return bool(self.regex.search(request.path_qs)) and random.random() < self.rate

    @property
    def kind(self) -> str:
        """What the request log records: 'before' / 'mid-body' (dropped), the status, or 'latency'."""
        return self.drop or (str(self.status) if self.status is not None else "latency")

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "regex"}


class Faults:
    def __init__(self) -> None:
        self._faults: dict[int, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> Fault:
        allowed = {"path", "status", "rate", "method", "port", "count", "retry_after", "latency_ms", "drop"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "path" not in spec:
            raise ValueError("a fault needs 'path' (a regular expression)")
        fault = Fault(id=next(self._ids), **spec)
        self._faults[fault.id] = fault
        return fault

    def remove(self, fault_id: int | None = None) -> None:
        if fault_id is None:
            self._faults.clear()
        else:
            self._faults.pop(fault_id, None)

    def list(self) -> list[dict[str, Any]]:
        return [f.public() for f in self._faults.values()]

    def pick(self, request: web.Request, port: str) -> Fault | None:
        for fault in self._faults.values():
            if fault.matches(request, port):
                fault.injected += 1
                return fault
        return None


# Each service's own throttling and failure answers (code, message), as the real services send them.
_ARM_ERRORS = {
    429: ("TooManyRequests", "The request is being throttled as the limit has been reached for operation type."),
    500: ("InternalServerError", "Encountered internal server error. Please try again."),
    502: ("BadGateway", "The gateway did not receive a response from the service in time."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please try again later."),
    504: ("GatewayTimeout", "The gateway did not receive a response within the specified time period."),
}
_STORAGE_ERRORS = {
    429: ("TooManyRequests", "The request is being throttled."),  # not Storage's own: sent by proxies
    500: ("OperationTimedOut", "Operation could not be completed within the specified time."),
    502: ("InternalError", "The server encountered an internal error. Please retry the request."),
    503: ("ServerBusy", "The server is currently unable to receive requests. Please retry your request."),
    504: ("OperationTimedOut", "Operation could not be completed within the specified time."),
}
_ARM_DEFAULT_RETRY_AFTER = 1  # ARM always says when to come back after a 429


def _error_body(port: str, status: int, retry_after: int | None) -> web.Response:
    import json
    import uuid
    from datetime import UTC, datetime

    request_id = str(uuid.uuid4())
    if port == "files":
        code, message = _STORAGE_ERRORS.get(status, _STORAGE_ERRORS[500])
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
        text = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}\nRequestId:{request_id}\nTime:{stamp}</Message></Error>")
        response = web.Response(status=status, text=text, content_type="application/xml",
                                headers={"x-ms-error-code": code, "x-ms-request-id": request_id})
    else:
        code, message = _ARM_ERRORS.get(status, _ARM_ERRORS[500])
        response = web.Response(status=status, content_type="application/json",
                                headers={"x-ms-request-id": request_id, "x-ms-failure-cause": "gateway"},
                                text=json.dumps({"error": {"code": code, "message": message}}))
        if status == 429 and retry_after is None:
            retry_after = _ARM_DEFAULT_RETRY_AFTER
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def make_middleware(port: str, log: RequestLog, faults: Faults) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        started = time.perf_counter()
        fault = faults.pick(request, port)
        status = 500
        try:
            if fault and fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault and fault.drop == "before":
                status = 0
                if request.transport is not None:
                    request.transport.close()
                raise asyncio.CancelledError()
            if fault and not fault.drop and fault.status is not None:
                response: web.StreamResponse = _error_body(port, fault.status, fault.retry_after)
                status = response.status
                return response
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                status = exc.status
                raise
            status = response.status
            if fault and fault.drop == "mid-body":
                await _truncate(request, response)
            return response
        finally:
            log.add(port=port, method=request.method, path=request.path, query=request.query_string, status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    fault=None if fault is None else fault.kind)

    return middleware


async def _truncate(request: web.Request, response: web.StreamResponse) -> None:
    """Send the headers and half of the body, then cut the connection."""
    if isinstance(response, web.Response) and not response.prepared and response.body is not None:
        body = bytes(response.body)  # type: ignore[arg-type]
        stream = web.StreamResponse(status=response.status, headers=response.headers)
        stream.content_length = max(len(body), 2)
        await stream.prepare(request)
        await stream.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError()
