"""The app's console log through the log stream ACA offers (what `az containerapp logs show` uses):
`{eventStreamEndpoint host}/subscriptions/.../containerApps/{app}/revisions/{rev}/replicas/{replica}/containers/
{container}/logstream?follow=&tailLines=&output=text`, authorized with the token from getAuthtoken.

ACA streams one replica at a time; a revision runs 0 to maxReplicas of them. So: one named replica as is; the
only replica as is; several, each line prefixed with `[replica]`; following, replicas that start later (scale out,
a cold start after scale to zero) join the stream as they appear.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import anyio

from ..azure.container_apps import ContainerApp, ContainerAppGateway

REPLICA_POLL = 2.0  # seconds between looks for new replicas while following


async def replica_names(apps: ContainerAppGateway, revision: str) -> list[str]:
    return [r.name for r in await apps.list_replicas(revision) if r.name]


def _container(app: ContainerApp) -> str:
    containers = app.containers
    return str(containers[0].get("name") or "inference") if containers else "inference"


class _Stream:
    """What every replica's stream shares: where the log stream lives and the app's token."""

    def __init__(self, apps: ContainerAppGateway, app: ContainerApp, revision: str) -> None:
        self.apps, self.app, self.revision = apps, app, revision
        endpoint = app.event_stream_endpoint
        self.base = endpoint[: endpoint.index("/subscriptions/")] if "/subscriptions/" in endpoint else None
        self._token: str | None = None

    async def lines(self, replica: str, *, tail: int, follow: bool) -> AsyncIterator[str]:
        if self.base is None:
            return
        ref = self.apps.ref
        if self._token is None:
            self._token = await self.apps.log_stream_token()
        url = (f"{self.base}/subscriptions/{ref.subscription_id}/resourceGroups/{ref.resource_group}/containerApps/"
               f"{ref.name}/revisions/{self.revision}/replicas/{replica}/containers/{_container(self.app)}/logstream")
        params = {"follow": str(follow).lower(), "tailLines": str(tail), "output": "text"}
        ssl: Any = None
        if isinstance(self.apps.connection_verify, str):
            import ssl as ssl_module

            ssl = ssl_module.create_default_context(cafile=self.apps.connection_verify)
        timeout = aiohttp.ClientTimeout(total=None if follow else 30, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(
                url, params=params, headers={"Authorization": f"Bearer {self._token}"}, ssl=ssl) as response:
            if response.status != 200:
                yield f"(log stream of replica {replica} answered HTTP {response.status})"
                return
            async for raw in response.content:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if line:
                    yield line


async def stream_log_lines(apps: ContainerAppGateway, app: ContainerApp, revision: str, *,
                           tail: int, follow: bool, replica: str | None = None) -> AsyncIterator[str]:
    """Yields log lines of one replica (the named one, else the only or newest one when following), or, without
    follow, of every replica in turn, each line prefixed with its replica; ends when the stream ends."""
    stream = _Stream(apps, app, revision)
    names = [replica] if replica else await replica_names(apps, revision)
    if not names:
        return
    if replica or len(names) == 1 or follow:
        async for line in stream.lines(names[-1], tail=tail, follow=follow):
            yield line
        return
    for name in names:
        async for line in stream.lines(name, tail=tail, follow=False):
            yield f"[{name}] {line}"


async def follow_all_replicas(apps: ContainerAppGateway, app: ContainerApp, revision: str, *,
                              tail: int, emit: Callable[[str], None]) -> None:
    """Follows every replica of the revision, each line prefixed with its replica, until cancelled; replicas that
    start later join (and the stream waits for one while the revision is scaled to zero)."""
    stream = _Stream(apps, app, revision)
    followed: set[str] = set()

    async def follow(name: str) -> None:
        async for line in stream.lines(name, tail=tail, follow=True):
            emit(f"[{name}] {line}")

    async with anyio.create_task_group() as group:
        while True:
            for name in await replica_names(apps, revision):
                if name not in followed:
                    followed.add(name)
                    group.start_soon(follow, name)
            await anyio.sleep(REPLICA_POLL)
