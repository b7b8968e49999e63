"""Show inference streaming logs: the app's console log into the output panel (or the terminal)."""

from __future__ import annotations

from typing import Any

import anyio

from ..azure.session import open_session
from ..errors import InputError
from .app_target import app_ref, read_app
from .context import OperationContext
from .deploy.app_state import latest_revision
from .log_stream import stream_log_lines


async def show_logs(context: OperationContext, *, follow: bool, tail: int) -> dict[str, Any]:
    reporter = context.reporter
    ref = app_ref(context)
    count = 0
    async with open_session(context.target) as session:
        app = await read_app(session, ref)
        revision = latest_revision(app)
        if revision is None:
            raise InputError(f"Container app {ref.name} has no revision yet: deploy first.")
        reporter.log(f"--- log of {ref.name}, revision {revision}{' (following; cancel to stop)' if follow else ''} ---")
        async with reporter.progress(f"Streaming logs of {ref.name}") as progress, \
                anyio.create_task_group() as group:
            async def stop_on_cancel() -> None:
                # A quiet app sends no line for a while: cancel must not wait for the next one.
                while not progress.cancelled:
                    await anyio.sleep(0.2)
                group.cancel_scope.cancel()

            group.start_soon(stop_on_cancel)
            async for line in stream_log_lines(session, ref, app, revision, tail=tail, follow=follow):
                reporter.log(line)
                count += 1
            group.cancel_scope.cancel()
    return {"app": ref.name, "revision": revision, "lines": count, "summary": f"{count} log line(s) from {ref.name}"}
