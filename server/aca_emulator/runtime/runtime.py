"""The container runtime: revisions -> replicas, ingress listeners, the scaler (see the package's docstring)."""


from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import socket
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..resource_types import CONTAINER_APP, REVISION
from ..settings import EmulatorSettings
from ..store import Store
from .console import Console
from .host import RuntimeHost
from .ingress import Destination, Ingress
from .launch import start_replica
from .replica import Replica
from .revision import RevisionState
from .scaling import MIN_TICK, ScalePlan, decide
from .traffic import WeightedTurns, weights

if TYPE_CHECKING:
    from ..store import Record

log = logging.getLogger(__name__)

APP_TYPE = CONTAINER_APP.type
REVISION_TYPE = REVISION.type
LOG = logging.getLogger(__name__)
# Template.terminationGracePeriodSeconds "Defaults to 30 seconds" (Microsoft.App spec); real seconds, as it is the
# time an in-flight request needs to finish, real time locally too.
DRAIN_GRACE = 30.0


@dataclass
class AppState:
    revisions: dict[str, RevisionState] = field(default_factory=dict)
    turns: WeightedTurns = field(default_factory=WeightedTurns)


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", part.lower())


def revision_port_key(app_id: str, revision: str) -> str:
    return f"{app_id}/revisions/{revision}"


def multiple_mode(app: Record) -> bool:
    return (app.body["properties"].get("configuration") or {}).get("activeRevisionsMode", "Single") != "Single"


class Runtime:
    def __init__(self, host: RuntimeHost) -> None:
        self.host = host
        self.apps: dict[str, AppState] = {}
        self.ingresses: dict[str, Ingress] = {}  # app id or revision port key (lower case) -> its listener
        self._scaler: asyncio.Task[None] | None = None
        # Set when a revision's state is touched (created, activated, started): the scaler, which sleeps while no
        # active revision needs watching (an idle emulator burns no CPU), looks again.
        self._scale_due = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()  # replicas starting or stopping; held so none is lost

    @property
    def store(self) -> Store:
        return self.host.store

    @property
    def settings(self) -> EmulatorSettings:
        return self.host.settings

    def _state(self, app_id: str) -> AppState:
        return self.apps.setdefault(app_id.lower(), AppState())

    def revision_state(self, app_id: str, revision_name: str) -> RevisionState:
        state = self._state(app_id).revisions.setdefault(revision_name.lower(), RevisionState(revision_name))
        state.wake = lambda: self._wake(app_id, revision_name)
        state.hold = lambda: float(self.settings.ingress_hold)
        self._scale_due.set()
        return state

    def app_dir(self, app_id: str) -> Path:
        parts = app_id.split("/")
        return self.settings.data_dir / "apps" / _safe(parts[2]) / _safe(parts[4]) / _safe(parts[-1])

    # lifecycle
    async def start(self) -> None:
        """After a restart: every provisioned app's active revisions run again."""
        for app in self.store.of_type(APP_TYPE):
            if app.body["properties"].get("provisioningState") != "Succeeded":
                continue
            for revision in self.store.children(app.id, REVISION_TYPE):
                if revision.body["properties"].get("active"):
                    await self._launch(app, revision)
        if self.settings.run_apps:
            self._scaler = asyncio.get_running_loop().create_task(self._scale_loop())

    async def stop(self) -> None:
        if self._scaler is not None:
            self._scaler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scaler
        for ingress in list(self.ingresses.values()):
            await ingress.close()
        self.ingresses.clear()
        # Replicas starting or stopping finish first (a stop cut short would leave its processes running), then
        # every replica stops.
        await asyncio.gather(*self._background, return_exceptions=True)
        for state in self.apps.values():
            for revision in state.revisions.values():
                await self._scale_in(revision, 0)

    # ports
    def port_for(self, key: str) -> int:
        """The persisted local port of an app's endpoint (key: the app id) or a revision's (revision_port_key)."""
        port = self.store.app_port(key)
        if port is not None:
            return int(port)
        used = self.store.used_ports()
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            if port not in used:
                break
        self.store.set_app_port(key, port)
        return int(port)

    # ingress
    async def _listen(self, key: str, choose: Any) -> None:
        if key.lower() not in self.ingresses:
            ingress = Ingress(self.port_for(key), choose)
            try:
                await ingress.start()
            except OSError as exc:  # the persisted port was taken meanwhile by another program
                log.warning("the endpoint %s cannot listen on 127.0.0.1:%s: %s", key, ingress.port, exc)
                return
            self.ingresses[key.lower()] = ingress

    async def _unlisten(self, key: str) -> None:
        ingress = self.ingresses.pop(key.lower(), None)
        if ingress is not None:
            await ingress.close()

    async def _ensure_ingress(self, app: Record) -> None:
        """The app's endpoint and each active revision's listen while the app has ingress."""
        has_ingress = (app.body["properties"].get("configuration") or {}).get("ingress") is not None
        app_id = app.id
        if has_ingress:
            await self._listen(app_id, lambda: self.choose(app_id))
        else:
            await self._unlisten(app_id)
        for revision in self.store.children(app_id, REVISION_TYPE):
            key, name = revision_port_key(app_id, revision.name), revision.name
            if has_ingress and revision.body["properties"].get("active"):
                await self._listen(key, lambda name=name: self._destination(app_id, name))  # type: ignore[misc]
            else:
                await self._unlisten(key)

    def _destination(self, app_id: str, revision_name: str) -> Destination:
        state = self.revision_state(app_id, revision_name)
        app = self.store.get(app_id)
        ingress = ((app.body["properties"].get("configuration") or {}).get("ingress") if app else None) or {}
        state.target_port = int(ingress.get("targetPort") or 80)
        return state

    def choose(self, app_id: str) -> Destination | None:
        """The revision a new connection to the app's endpoint goes to (traffic.py)."""
        app = self.store.get(app_id)
        if app is None:
            return None
        active = [r for r in self.store.children(app.id, REVISION_TYPE) if r.body["properties"].get("active")]
        if not multiple_mode(app):
            if not active:
                return None
            return self._destination(app_id, max(active, key=lambda r: r.created).name)
        ingress = (app.body["properties"].get("configuration") or {}).get("ingress") or {}
        latest = self.latest_ready_revision(app_id) or app.body["properties"].get("latestRevisionName")
        chosen = self._state(app_id).turns.pick(weights(ingress, latest))
        return self._destination(app_id, chosen) if chosen else None

    # revisions
    async def activate(self, app_id: str, revision_name: str) -> None:
        app = self.store.get(app_id)
        if app is None:
            return
        single = not multiple_mode(app)
        for revision in self.store.children(app.id, REVISION_TYPE):
            if revision.name.lower() == revision_name.lower():
                revision.body["properties"]["active"] = True
                self.store.put(revision)
            elif single and revision.body["properties"].get("active"):
                await self.deactivate(app_id, revision.name)
        target = self.store.get(f"{app.id}/revisions/{revision_name}")
        if target is not None:
            await self._scale_in(self.revision_state(app_id, target.name), 0)
            await self._launch(app, target)

    async def deactivate(self, app_id: str, revision_name: str) -> None:
        revision = self.store.get(f"{app_id}/revisions/{revision_name}")
        if revision is not None:
            revision.body["properties"]["active"] = False
            self.store.put(revision)
        await self._unlisten(revision_port_key(app_id, revision_name))
        await self._scale_in(self.revision_state(app_id, revision_name), 0)

    async def restart(self, app_id: str, revision_name: str) -> None:
        app = self.store.get(app_id)
        revision = self.store.get(f"{app_id}/revisions/{revision_name}")
        if app is None or revision is None:
            return
        state = self.revision_state(app_id, revision.name)
        count = state.count
        await self._scale_in(state, 0)
        await self._launch(app, revision, count=count)

    async def reconcile(self, app_id: str) -> None:
        """After a configuration-only change: active revisions never started here start (one at zero stays)."""
        app = self.store.get(app_id)
        if app is None:
            return
        if self.settings.run_apps:
            await self._ensure_ingress(app)
        for revision in self.store.children(app.id, REVISION_TYPE):
            state = self.revision_state(app_id, revision.name)
            if revision.body["properties"].get("active") and state.count == 0 and not state.last_active:
                await self._launch(app, revision)

    async def remove_app(self, app_id: str) -> None:
        for key in [k for k in self.ingresses if k == app_id.lower() or k.startswith(f"{app_id.lower()}/revisions/")]:
            await self._unlisten(key)
        state = self.apps.pop(app_id.lower(), None)
        if state is not None:
            for revision in state.revisions.values():
                await self._scale_in(revision, 0)
                self.store.drop_app_port(revision_port_key(app_id, revision.name))
        for record in self.store.children(app_id, REVISION_TYPE):
            self.store.drop_app_port(revision_port_key(app_id, record.name))
        self.store.drop_app_port(app_id)

    # scaling
    def _plan(self, revision: Record) -> ScalePlan:
        return ScalePlan.of(revision.body["properties"]["template"], time_scale=self.settings.time_scale,
                            floor=float(self.settings.scale_in_floor))

    async def _launch(self, app: Record, revision: Record, *, count: int = 0) -> None:
        """An (re)activated revision starts with minReplicas, and at least one replica even when that is 0."""
        state = self.revision_state(app.id, revision.name)
        state.last_active = time.time()
        state.demand.last_needed = time.monotonic()
        if not self.settings.run_apps:
            return
        await self._ensure_ingress(app)
        plan = self._plan(revision)
        wanted = min(plan.max_replicas, max(1, plan.min_replicas, count))
        await asyncio.gather(*(self._add_replica(app, revision) for _ in range(wanted - state.count)))

    def _wake(self, app_id: str, revision_name: str) -> bool:
        """A request reached a revision at zero replicas: start one now (ACA's activator does not wait for the
        next poll). False when the revision is not active: nothing will serve it."""
        app = self.store.get(app_id)
        revision = self.store.get(f"{app_id}/revisions/{revision_name}")
        if app is None or revision is None or not revision.body["properties"].get("active") \
                or not self.settings.run_apps:
            return False
        self.revision_state(app_id, revision_name).demand.last_needed = time.monotonic()
        self._spawn(app, revision)
        return True

    def _spawn(self, app: Record, revision: Record) -> None:
        """Starts a replica in the background, counted as starting at once (the ingress holds on it)."""
        self.revision_state(app.id, revision.name).starting += 1
        self._in_background(self._add_replica(app, revision, reserved=True))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _scale_loop(self) -> None:
        while True:
            await asyncio.sleep(MIN_TICK)
            self._scale_due.clear()
            try:
                due = await self._scale_once()
            except Exception:  # the scaler must outlive one bad app record
                LOG.exception("scaling container apps failed")
                due = 0.0
            if due is None or due > MIN_TICK:  # nothing to look at before then, unless a revision changes
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._scale_due.wait(), None if due is None else due - MIN_TICK)

    async def _scale_once(self) -> float | None:
        """One look at every active revision; returns in how long the next look is due (None: no revision to
        watch)."""
        now = time.monotonic()
        due: float | None = None
        for app_key, app_state in list(self.apps.items()):
            app = self.store.get(app_key)
            if app is None or app.body["properties"].get("provisioningState") not in ("Succeeded", "InProgress"):
                continue
            for state in list(app_state.revisions.values()):
                if state.starting:
                    due = 0.0
                    continue
                if now < state.demand.next_poll:
                    due = min(due if due is not None else math.inf, state.demand.next_poll - now)
                    continue
                revision = self.store.get(f"{app.id}/revisions/{state.name}")
                if revision is None or not revision.body["properties"].get("active"):
                    continue
                plan = self._plan(revision)
                state.demand.next_poll = now + plan.polling
                due = min(due if due is not None else math.inf, plan.polling)
                target = decide(plan, state.demand, state.count, now)
                if target > state.count:
                    for _ in range(target - state.count):
                        self._spawn(app, revision)
                elif target < state.count:
                    grace = revision.body["properties"]["template"].get("terminationGracePeriodSeconds")
                    drain = float(grace) if grace is not None else DRAIN_GRACE
                    self._in_background(self._scale_in(state, target, drain=drain))
        return due

    async def _scale_in(self, state: RevisionState, keep: int, *, drain: float = 0.0) -> None:
        """Stops the replicas beyond `keep`: the idlest (then newest) leave. They are taken out of the routing first;
        when scaling in, the connections they still serve may finish for up to `drain` seconds (ACA's
        terminationGracePeriodSeconds), so a streamed answer is not cut; deactivate, restart and stop do not wait."""
        if len(state.replicas) <= keep:
            return
        ordered = sorted(state.replicas, key=lambda r: (-state.busy(r), r.created))
        state.replicas, leaving = ordered[:keep], ordered[keep:]
        if not state.replicas:
            state.cold_start = False
        state.last_active = time.time()
        deadline = time.monotonic() + drain
        while any(state.busy(r) for r in leaving) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.gather(*(replica.stop() for replica in leaving))

    async def _add_replica(self, app: Record, revision: Record, *, reserved: bool = False) -> None:
        await start_replica(self, self.revision_state(app.id, revision.name), app, revision, reserved=reserved)

    # what ARM and the log stream read
    def replica_list(self, app_id: str, revision_name: str) -> list[Replica]:
        state = self.apps.get(app_id.lower())
        revision = state.revisions.get(revision_name.lower()) if state else None
        return sorted(revision.replicas, key=lambda r: r.created) if revision else []

    def replicas(self, app_id: str, revision_name: str) -> list[dict[str, Any]]:
        return [replica.wire() for replica in self.replica_list(app_id, revision_name)]

    def console(self, app_id: str, revision_name: str, replica_name: str, container: str) -> Console | None:
        for replica in self.replica_list(app_id, revision_name):
            if replica.name.lower() == replica_name.lower():
                for run in replica.containers:
                    if run.name.lower() == container.lower():
                        return run.console
        return None

    def revision_fqdn(self, app_id: str, revision_name: str) -> str:
        return f"127.0.0.1:{self.port_for(revision_port_key(app_id, revision_name))}"

    def is_running(self, app_id: str) -> bool:
        """ACA's app runningStatus stays Running while a revision is active, scaled to zero included."""
        if self.store.get(app_id) is None:
            return False
        return any(r.body["properties"].get("active") for r in self.store.children(app_id, REVISION_TYPE)) \
            or not self.settings.run_apps

    def latest_ready_revision(self, app_id: str) -> str | None:
        state = self.apps.get(app_id.lower())
        if state is None:
            return None
        for revision in state.revisions.values():
            if any(r.ever_ready for r in revision.replicas):
                revision.ever_ready = True
        records = [r for r in self.store.children(app_id, REVISION_TYPE)
                   if (s := state.revisions.get(r.name.lower())) is not None and s.ever_ready]
        return max(records, key=lambda r: r.created).name if records else None

    def revision_status(self, app_id: str, revision_name: str) -> dict[str, Any]:
        from .report import revision_status

        return revision_status(self, app_id, revision_name)

    def describe(self) -> list[dict[str, Any]]:
        return [{"app": app_key, "port": self.store.app_port(app_key), "revisions": [
            {"name": r.name, "replicas": [replica.wire() for replica in r.replicas],
             "inflight": r.demand.inflight} for r in state.revisions.values()]}
            for app_key, state in self.apps.items()]
