"""Show inference streaming logs: the app's console log into the output panel (or the terminal).

A revision runs 0 to maxReplicas replicas: `replica` picks one; otherwise every replica's lines come, each named
(`[replica] line`) when there are several, and following picks up replicas that start later - including the one a
request starts after the app scaled to zero.
"""

from __future__ import annotations

import anyio

from ..errors import InputError
from .app_target import app_ref, read_app
from .console_log_stream import follow_all_replicas, replica_names, stream_log_lines
from .context import OperationContext
from .results import LogsResult


def _revision_of(replica: str) -> str:
    """ACA names a replica `<revision>-<pod hash>-<suffix>`."""
    parts = replica.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else replica


async def show_logs(context: OperationContext, *, follow: bool, tail: int, replica: str | None = None) -> LogsResult:
    reporter = context.reporter
    ref = app_ref(context)
    count = 0

    def emit(line: str) -> None:
        nonlocal count
        reporter.log(line)
        count += 1

    async with context.open_session() as session:
        apps = context.container_apps(session, ref)
        app = await read_app(apps)
        revision = _revision_of(replica) if replica else app.latest_revision
        if revision is None:
            raise InputError(f"Container app {ref.name} has no revision yet: deploy first.")
        names = await replica_names(apps, revision)
        if replica is not None and replica not in names:
            raise InputError(f"Replica {replica} is not running in container app {ref.name}; its replicas: "
                             f"{', '.join(names) or 'none (scaled to zero)'}.")
        following = " (following; cancel to stop)" if follow else ""
        which = replica or (f"{len(names)} replicas" if len(names) > 1 else (names[0] if names else "no replica"))
        reporter.log(f"--- log of {ref.name}, revision {revision}, {which}{following} ---")
        if not names:
            reporter.log(f"Revision {revision} has no replica running (scaled to zero): there is no console log "
                         "until a request starts one." + (" Waiting for one." if follow else ""))
        async with reporter.progress(f"Streaming logs of {ref.name}") as progress, \
                anyio.create_task_group() as group:
            async def stop_on_cancel() -> None:
                # A quiet app sends no line for a while: cancel must not wait for the next one.
                while not progress.cancelled:
                    await anyio.sleep(0.2)
                group.cancel_scope.cancel()

            group.start_soon(stop_on_cancel)
            if follow and replica is None:
                await follow_all_replicas(apps, app, revision, tail=tail, emit=emit)
            elif names:
                async for line in stream_log_lines(apps, app, revision, tail=tail, follow=follow,
                                                   replica=replica):
                    emit(line)
            group.cancel_scope.cancel()
    return LogsResult(summary=f"{count} log line(s) from {ref.name}", app=ref.name, revision=revision,
                      replicas=[replica] if replica else names, lines=count)
