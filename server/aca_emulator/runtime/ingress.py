"""An app's ingress: an endpoint (the app's FQDN port, and one per active revision for its revision FQDN, all
persisted) is a listener in the emulator that relays each connection, byte for byte, to the targetPort of a ready
replica (an L4 relay: HTTP/1.1 keep-alive, streamed responses such as SSE, and websocket upgrades pass through
untouched, nothing is buffered). Which revision, and which of its replicas, is the runtime's choice per connection
(traffic.py; replicas of a revision in turn).

While no replica of the chosen revision is ready but one is starting (or restarting), a new connection is held, as
ACA's ingress holds requests while a revision activates: `ingress_hold` seconds (settings.py; 5 s, shorter than
ACA's so that a client polling for readiness is not stalled), or, when the revision is starting from zero replicas
(a cold start), up to ACA's ingress request timeout of 240 s. Then it gets 504 "stream timeout", as ACA answers
when its request timeout ends first (microsoft/azure-container-apps#1217). When nothing runs at all: 503 "no
healthy upstream"; when the ready replica refuses the connection: 503 "upstream connect error ..." (#1166). These
are the bodies of ACA's Envoy; its exact status for each case is not documented.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .network import ReplicaNetwork, Unreachable
from .relay import _pipe  # one copy loop: the relay (standard library only) owns it

NO_HEALTHY_UPSTREAM = "no healthy upstream"
CONNECT_FAILURE = ("upstream connect error or disconnect/reset before headers. retried and the latest reset reason: "
                   "remote connection failure, transport failure reason: delayed connect error: 111")
STREAM_TIMEOUT = "stream timeout"


@dataclass(frozen=True)
class Upstream:
    network: ReplicaNetwork
    port: int


@dataclass(frozen=True)
class Route:
    upstream: Upstream | None  # a ready replica
    starting: bool  # no ready replica, but one is on its way
    replica: str | None = None  # the replica's name, with an upstream


class Destination(Protocol):
    """A revision as the ingress sees it."""

    def enter(self) -> float:
        """A connection arrives (counted as demand; may start a replica): how long it may be held."""

    def route(self) -> Route:
        """Where to send it now."""

    def connected(self, route: Route) -> None:
        """The connection reached the replica of `route` (it counts as that replica's until it leaves)."""

    def leave(self, route: Route | None) -> None:
        """The connection ended (`route`: the replica it reached, if any)."""


class Ingress:
    def __init__(self, port: int, choose: Callable[[], Destination | None]) -> None:
        self.port = port
        self._choose = choose
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            destination = self._choose()
            if destination is None:
                await _refuse(reader, writer, 503, NO_HEALTHY_UPSTREAM)
                return
            hold = destination.enter()
            reached: list[Route] = []
            try:
                await self._serve(destination, hold, reader, writer, reached)
            finally:
                destination.leave(reached[0] if reached else None)
        finally:
            self._connections.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, destination: Destination, hold: float, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter, reached: list[Route]) -> None:
        deadline = time.monotonic() + hold
        failure = NO_HEALTHY_UPSTREAM
        while True:
            route = destination.route()
            if route.upstream is not None:
                try:
                    upstream = await route.upstream.network.open(route.upstream.port)
                    reached.append(route)
                    destination.connected(route)
                    break
                except Unreachable:
                    failure = CONNECT_FAILURE
            if not route.starting:
                await _refuse(reader, writer, 503, failure)
                return
            if time.monotonic() >= deadline:
                await _refuse(reader, writer, 504, STREAM_TIMEOUT)
                return
            await asyncio.sleep(0.05)
        up_reader, up_writer = upstream
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()




async def _refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int, message: str) -> None:
    """Envoy's local reply. The request head is read first, so the client is not reset while still sending."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 1.0)
    body = message.encode()
    reason = {503: "Service Unavailable", 504: "Gateway Timeout"}[status]
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-length: {len(body)}\r\ncontent-type: text/plain\r\n"
            f"date: {time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}\r\nconnection: close\r\n\r\n")
    with contextlib.suppress(Exception):
        writer.write(head.encode() + body)
        await writer.drain()
