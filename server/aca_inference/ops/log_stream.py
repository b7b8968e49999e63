"""The app's console log through the log stream ACA offers (what `az containerapp logs show` uses):
`{eventStreamEndpoint host}/subscriptions/.../containerApps/{app}/revisions/{rev}/replicas/{replica}/containers/
{container}/logstream?follow=&tailLines=&output=text`, authorized with the token from getAuthtoken."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from ..azure.session import AzureSession
from .deploy.app_state import AppRef, wire


async def _first_replica(session: AzureSession, ref: AppRef, revision: str) -> str | None:
    client = session.container_apps(ref.subscription_id)
    replicas = wire(await client.container_apps_revision_replicas.list_replicas(ref.resource_group, ref.name, revision))
    names = [r.get("name") for r in replicas.get("value", []) if r.get("name")]
    return names[-1] if names else None


def _container(app: dict[str, Any]) -> str:
    containers = ((app.get("properties") or {}).get("template") or {}).get("containers") or []
    return str(containers[0].get("name") or "inference") if containers else "inference"


async def stream_log_lines(session: AzureSession, ref: AppRef, app: dict[str, Any], revision: str, *,
                           tail: int, follow: bool) -> AsyncIterator[str]:
    """Yields log lines; ends when the stream ends (or, with follow, when the caller stops iterating)."""
    client = session.container_apps(ref.subscription_id)
    replica = await _first_replica(session, ref, revision)
    if replica is None:
        return
    stream_endpoint = (app.get("properties") or {}).get("eventStreamEndpoint") or ""
    if "/subscriptions/" not in stream_endpoint:
        return
    base = stream_endpoint[: stream_endpoint.index("/subscriptions/")]
    token = wire(await client.container_apps.get_auth_token(ref.resource_group, ref.name))["properties"]["token"]
    url = (f"{base}/subscriptions/{ref.subscription_id}/resourceGroups/{ref.resource_group}/containerApps/{ref.name}"
           f"/revisions/{revision}/replicas/{replica}/containers/{_container(app)}/logstream")
    params = {"follow": str(follow).lower(), "tailLines": str(tail), "output": "text"}
    ssl: Any = None
    if isinstance(session.connection_verify, str):
        import ssl as ssl_module

        ssl = ssl_module.create_default_context(cafile=session.connection_verify)
    timeout = aiohttp.ClientTimeout(total=None if follow else 30, sock_connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as http, http.get(
            url, params=params, headers={"Authorization": f"Bearer {token}"}, ssl=ssl) as response:
        if response.status != 200:
            yield f"(log stream answered HTTP {response.status})"
            return
        async for raw in response.content:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line:
                yield line
