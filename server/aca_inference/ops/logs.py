"""Show inference streaming logs: the app's console log into the output panel (or the terminal)."""

from __future__ import annotations

from typing import Any

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
        async with reporter.progress(f"Streaming logs of {ref.name}") as progress:
            async for line in stream_log_lines(session, ref, app, revision, tail=tail, follow=follow):
                reporter.log(line)
                count += 1
                if progress.cancelled:
                    break
    return {"app": ref.name, "revision": revision, "lines": count, "summary": f"{count} log line(s) from {ref.name}"}
