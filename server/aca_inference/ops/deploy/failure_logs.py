"""The last log lines of a failing replica, for the failure message."""

from __future__ import annotations

from ...azure.session import AzureSession
from ..console_log_stream import stream_log_lines
from .app_state import AppRef, get_app


async def last_log_lines(session: AzureSession, ref: AppRef, revision: str, *, tail: int) -> list[str]:
    try:
        app = await get_app(session, ref)
        return [line async for line in stream_log_lines(session, ref, app, revision, tail=tail, follow=False)]
    except Exception as error:  # noqa: BLE001 - logs are a courtesy; the failure message stands without them
        return [f"(could not read the app's log: {type(error).__name__})"]
