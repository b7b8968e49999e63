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

from ..azure.arm_resources import as_arm_json
from ..azure.session import AzureSession
from .deploy.app_state import AppRef

REPLICA_POLL = 2.0  # seconds between looks for new replicas while following


async def replica_names(session: AzureSession, ref: AppRef, revision: str) -> list[str]:
    client = session.container_apps(ref.subscription_id)
    replicas = as_arm_json(await client.container_apps_revision_replicas.list_replicas(ref.resource_group, ref.name, revision))
    return [str(r["name"]) for r in replicas.get("value", []) if r.get("name")]


def _container(app: dict[str, Any]) -> str:
    containers = ((app.get("properties") or {}).get("template") or {}).get("containers") or []
    return str(containers[0].get("name") or "inference") if containers else "inference"


class _Stream:
    """What every replica's stream shares: where the log stream lives and the app's token."""

    def __init__(self, session: AzureSession, ref: AppRef, app: dict[str, Any], revision: str) -> None:
        self.session, self.ref, self.app, self.revision = session, ref, app, revision
        endpoint = (app.get("properties") or {}).get("eventStreamEndpoint") or ""
        self.base = endpoint[: endpoint.index("/subscriptions/")] if "/subscriptions/" in endpoint else None
        self._token: str | None = None

    async def lines(self, replica: str, *, tail: int, follow: bool) -> AsyncIterator[str]:
        if self.base is None:
            return
        ref = self.ref
        if self._token is None:
            client = self.session.container_apps(ref.subscription_id)
            answer = as_arm_json(await client.container_apps.get_auth_token(ref.resource_group, ref.name))
            self._token = str(answer["properties"]["token"])
        url = (f"{self.base}/subscriptions/{ref.subscription_id}/resourceGroups/{ref.resource_group}/containerApps/"
               f"{ref.name}/revisions/{self.revision}/replicas/{replica}/containers/{_container(self.app)}/logstream")
        params = {"follow": str(follow).lower(), "tailLines": str(tail), "output": "text"}
        ssl: Any = None
        if isinstance(self.session.connection_verify, str):
            import ssl as ssl_module

            ssl = ssl_module.create_default_context(cafile=self.session.connection_verify)
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


async def stream_log_lines(session: AzureSession, ref: AppRef, app: dict[str, Any], revision: str, *,
                           tail: int, follow: bool, replica: str | None = None) -> AsyncIterator[str]:
    """Yields log lines of one replica (the named one, else the only or newest one when following), or, without
    follow, of every replica in turn, each line prefixed with its replica; ends when the stream ends."""
    stream = _Stream(session, ref, app, revision)
    names = [replica] if replica else await replica_names(session, ref, revision)
    if not names:
        return
    if replica or len(names) == 1 or follow:
        async for line in stream.lines(names[-1], tail=tail, follow=follow):
            yield line
        return
    for name in names:
        async for line in stream.lines(name, tail=tail, follow=False):
            yield f"[{name}] {line}"


async def follow_all_replicas(session: AzureSession, ref: AppRef, app: dict[str, Any], revision: str, *,
                              tail: int, emit: Callable[[str], None]) -> None:
    """Follows every replica of the revision, each line prefixed with its replica, until cancelled; replicas that
    start later join (and the stream waits for one while the revision is scaled to zero)."""
    stream = _Stream(session, ref, app, revision)
    followed: set[str] = set()

    async def follow(name: str) -> None:
        async for line in stream.lines(name, tail=tail, follow=True):
            emit(f"[{name}] {line}")

    async with anyio.create_task_group() as group:
        while True:
            for name in await replica_names(session, ref, revision):
                if name not in followed:
                    followed.add(name)
                    group.start_soon(follow, name)
            await anyio.sleep(REPLICA_POLL)
