"""The last log lines of a failing replica, for the failure message."""

from __future__ import annotations

from ...azure.container_apps import ContainerAppGateway
from ..console_log_stream import stream_log_lines


async def last_log_lines(apps: ContainerAppGateway, revision: str, *, tail: int) -> list[str]:
    try:
        app = await apps.get_app()
        return [line async for line in stream_log_lines(apps, app, revision, tail=tail, follow=False)]
    except Exception as error:  # noqa: BLE001 - logs are a courtesy; the failure message stands without them
        return [f"(could not read the app's log: {type(error).__name__})"]
