"""One replica of a revision: each container a supervised local process with its probes, restarts with
back-off on crashes and failed probes (CrashLoopBackOff), and the states ACA reports for it."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import secrets
import signal
import string
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .console import Console, pump
from .network import NamespaceNetwork, ReplicaNetwork
from .probes import Probe, check, parse_probes
from .sandbox import Mount, namespaces_available, wrap

STOP_GRACE = 3.0
BACKOFF_BASE, BACKOFF_CAP = 10.0, 300.0


def _pdeathsig() -> None:
    """In the child: end with the emulator even if it is killed without cleaning up."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def replica_name(revision: str) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return (f"{revision}-{''.join(secrets.choice(alphabet) for _ in range(9))}-"
            f"{''.join(secrets.choice(alphabet) for _ in range(5))}")


@dataclass
class LaunchSpec:
    """What the runtime resolved for a container: argv, env, mounts, where it runs."""
    argv: list[str] | None
    env: dict[str, str]
    mounts: list[Mount]
    workdir: Path
    root_dir: Path
    target_port: int | None
    network: ReplicaNetwork  # how the ingress and the probes reach the container's ports
    problem: str | None = None  # set when the container cannot start (bad mount, no command)
    notices: list[str] = field(default_factory=list)


@dataclass
class ContainerRun:
    name: str
    spec: LaunchSpec
    container: dict[str, Any]
    console: Console
    restart_count: int = 0
    started: bool = False
    ready: bool = False
    ever_ready: bool = False
    running_state: str = "Waiting"  # Running | Waiting | Terminated
    details: str = "ContainerCreating"
    process: asyncio.subprocess.Process | None = None
    pid: int | None = None

    def wire(self) -> dict[str, Any]:
        return {"name": self.name, "containerId": f"local://{self.pid or 0}", "ready": self.ready,
                "started": self.started, "restartCount": self.restart_count, "runningState": self.running_state,
                "runningStateDetails": self.details}


class Replica:
    def __init__(self, revision: str, containers: list[ContainerRun], *, time_scale: Any) -> None:
        self.name = replica_name(revision)
        self.created = time.time()
        self.containers = containers
        self._time_scale = time_scale  # callable: the live setting
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._supervise(run)) for run in self.containers]

    @property
    def ready(self) -> bool:
        return all(run.ready for run in self.containers)

    @property
    def ever_ready(self) -> bool:
        return all(run.ever_ready for run in self.containers)

    @property
    def network(self) -> ReplicaNetwork | None:
        """Where the ingress sends traffic: the first container's network (ACA's containers of a replica share
        one; here each container has its own, so sidecars cannot reach each other over localhost)."""
        return self.containers[0].spec.network if self.containers else None

    @property
    def restarts(self) -> int:
        return sum(run.restart_count for run in self.containers)

    def wire(self) -> dict[str, Any]:
        running = all(run.running_state == "Running" for run in self.containers)
        details = "; ".join(f"{run.name}: {run.details}" for run in self.containers if run.details)
        return {"name": self.name, "createdTime": _iso(self.created),
                "runningState": "Running" if running else "NotRunning",
                "runningStateDetails": details or ("Running" if running else "Waiting"),
                "containers": [run.wire() for run in self.containers]}

    async def stop(self) -> None:
        self._stopping = True
        for run in self.containers:
            await _terminate(run)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a task stuck in a probe or a pipe must not hold up a DELETE (ARM would answer anyway).
            await asyncio.wait(self._tasks, timeout=STOP_GRACE)
        for run in self.containers:
            run.running_state, run.details, run.ready = "Terminated", "Stopped", False
            run.console.close()
            run.spec.network.close()

    async def _supervise(self, run: ContainerRun) -> None:
        for notice in run.spec.notices:
            run.console.notice(notice)
        while not self._stopping:
            reason = await self._run_once(run)
            if self._stopping:
                return
            run.restart_count += 1
            delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(run.restart_count - 1, 10))
            delay = max(0.2, delay * self._time_scale())
            run.running_state, run.ready, run.started = "Waiting", False, False
            run.details = f"CrashLoopBackOff: {reason}; restart {run.restart_count} in {delay:.1f}s"
            run.console.notice(f"{reason}; restarting in {delay:.1f}s (restart {run.restart_count})")
            await asyncio.sleep(delay)

    async def _run_once(self, run: ContainerRun) -> str:
        """Runs the container until it exits or a probe gives up; returns why it ended."""
        spec = run.spec
        if spec.problem:
            run.console.notice(spec.problem)
            return spec.problem
        assert spec.argv is not None
        relay_socket = None
        if isinstance(spec.network, NamespaceNetwork):
            spec.network.prepare()
            relay_socket = spec.network.socket_path
        argv, env, mode = wrap(spec.argv, spec.env, spec.mounts, workdir=spec.workdir, root_dir=spec.root_dir,
                               namespaces=await namespaces_available(), relay_socket=relay_socket)
        if mode.startswith("rewrite") or mode.endswith("rewrite"):
            run.console.notice("volume mounts are provided by rewriting the mount path in the command and env "
                               f"({env.get('ACA_EMULATOR_MOUNTS')}): user namespaces are not available here")
        spec.workdir.mkdir(parents=True, exist_ok=True)
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, env=env, cwd=str(spec.workdir), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
                preexec_fn=_pdeathsig)
        except OSError as exc:
            return f"could not start the container's command: {exc}"
        run.process, run.pid = process, process.pid
        run.running_state, run.details = "Running", "Started"
        assert process.stdout is not None
        output = asyncio.get_running_loop().create_task(pump(process.stdout, run.console))
        probes = parse_probes(run.container, target_port=spec.target_port)
        watcher = asyncio.get_running_loop().create_task(self._probe(run, probes))
        exited = asyncio.get_running_loop().create_task(process.wait())
        try:
            done, _ = await asyncio.wait({watcher, exited}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # The replica is stopped: its helper tasks go with it, not left pending for the loop's close to find.
            for task in (watcher, exited, output):
                task.cancel()
            raise
        if exited in done:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            reason = f"container '{run.name}' exited with code {process.returncode}"
            with contextlib.suppress(ProcessLookupError, PermissionError):  # what it left running in its group
                os.killpg(process.pid, signal.SIGKILL)
        else:
            reason = watcher.result() or "probe failed"
            await _terminate(run)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(output, 2)
        run.process = None
        run.ready = False
        return reason

    async def _probe(self, run: ContainerRun, probes: dict[str, Probe]) -> str:
        """Drives started/ready; returns (ending the run) when startup or liveness gives up."""
        scale = self._time_scale
        began = time.monotonic()
        startup = probes.get("Startup")
        readiness = probes.get("Readiness")
        liveness = probes.get("Liveness")
        if startup is None and readiness is None and liveness is None:
            run.started = run.ready = run.ever_ready = True
            run.details = "Running"
            await asyncio.Event().wait()
        first = startup or readiness or liveness
        assert first is not None
        await asyncio.sleep(first.initial_delay * scale())
        if startup is not None:
            budget = startup.initial_delay * scale() + startup.period * startup.failure_threshold
            while not await check(startup, run.spec.network):
                if time.monotonic() - began > budget:
                    return (f"startup probe failed for {budget:.0f}s "
                            f"({_describe(startup)}); the container is restarted")
                await asyncio.sleep(startup.cadence(scale()))
        run.started = True
        run.details = "Running"
        failures = {"Readiness": 0, "Liveness": 0}
        next_due = {"Readiness": 0.0, "Liveness": 0.0}
        settled = readiness is None  # ready once in this run: from then on, ACA's own probe periods
        while True:
            now = time.monotonic()
            for probe in (readiness, liveness):
                if probe is None or now < next_due[probe.kind]:
                    continue
                # Fast while it starts (a ready app is noticed at once); ACA's own period once it has been ready,
                # so a running app is not probed (nor its log filled) several times a second (probes.py).
                next_due[probe.kind] = now + (probe.period if settled else probe.cadence(scale()))
                ok = await check(probe, run.spec.network)
                failures[probe.kind] = 0 if ok else failures[probe.kind] + 1
                if probe.kind == "Readiness":
                    if ok:
                        run.ready = run.ever_ready = settled = True
                    elif failures["Readiness"] >= probe.failure_threshold:
                        run.ready = False
                        run.details = f"Readiness probe failing ({_describe(probe)})"
                elif failures["Liveness"] >= probe.failure_threshold:
                    return f"liveness probe failed {probe.failure_threshold} times ({_describe(probe)})"
            if readiness is None and not run.ready:
                run.ready = run.ever_ready = True
            waits = [next_due[p.kind] - time.monotonic() for p in (readiness, liveness) if p is not None]
            await asyncio.sleep(max(0.02, min(waits)) if waits else 3600)


def _describe(probe: Probe) -> str:
    target = f"GET {probe.http_path}" if probe.http_path else "TCP"
    return f"{target} on port {probe.port}"


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


async def _terminate(run: ContainerRun) -> None:
    process = run.process
    if process is None or process.returncode is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        await asyncio.wait_for(process.wait(), STOP_GRACE)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_GRACE)
    # Whatever the app left in its group (e.g. a server it forked) ends with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
