"""Container runtime: the active revision of each container app runs as local processes.

Per app: one local port for its endpoint (persisted, so the endpoint survives restarts and new revisions),
served by the app's ingress (ingress.py), one Python venv, a work dir, console logs. Per active revision: one
replica (scale-to-zero is not emulated: a replica runs while the app is up, whatever minReplicas says;
maxReplicas > 1 still runs one). Each container of the replica is a supervised process (see replica.py) in
its own network namespace where available (sandbox.py), so every app binds its targetPort as in ACA; the
container image is not pulled - its command runs on this machine, and the app log says so.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import Console
from .ingress import Ingress, Route, Upstream
from .network import HostNetwork, NamespaceNetwork, ReplicaNetwork, free_port
from .replica import ContainerRun, LaunchSpec, Replica
from .sandbox import Mount, network_namespaces_available
from .venv import ensure_venv

if TYPE_CHECKING:
    from ..server import Emulator
    from ..store import Record

log = logging.getLogger(__name__)

APP_TYPE = "Microsoft.App/containerApps"
REVISION_TYPE = "Microsoft.App/containerApps/revisions"


@dataclass
class RevisionState:
    name: str
    replica: Replica | None = None
    last_active: float = 0.0


@dataclass
class AppState:
    revisions: dict[str, RevisionState] = field(default_factory=dict)
    latest_ready: str | None = None

    def revision(self, name: str) -> RevisionState:
        return self.revisions.setdefault(name.lower(), RevisionState(name))


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", part.lower())


class Runtime:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.apps: dict[str, AppState] = {}
        self.ingresses: dict[str, Ingress] = {}

    @property
    def store(self) -> Any:
        return self.emulator.store

    def _state(self, app_id: str) -> AppState:
        return self.apps.setdefault(app_id.lower(), AppState())

    def app_dir(self, app_id: str) -> Path:
        parts = app_id.split("/")
        return self.emulator.settings.data_dir / "apps" / _safe(parts[2]) / _safe(parts[4]) / _safe(parts[-1])

    # lifecycle
    async def start(self) -> None:
        """After a restart: every provisioned app's active revisions run again."""
        for app in self.store.of_type(APP_TYPE):
            if app.body["properties"].get("provisioningState") != "Succeeded":
                continue
            for revision in self.store.children(app.id, REVISION_TYPE):
                if revision.body["properties"].get("active"):
                    await self._start_replica(app, revision)

    async def stop(self) -> None:
        for ingress in list(self.ingresses.values()):
            await ingress.close()
        self.ingresses.clear()
        for state in self.apps.values():
            for revision in state.revisions.values():
                if revision.replica is not None:
                    await revision.replica.stop()
                    revision.replica = None

    # ports
    def port_for(self, app_id: str) -> int:
        port = self.store.app_port(app_id)
        if port is not None:
            return port
        used = self.store.used_ports()
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            if port not in used:
                break
        self.store.set_app_port(app_id, port)
        return port

    # ingress
    async def _ensure_ingress(self, app: Record) -> None:
        """The app's endpoint listens while the app has ingress (and is closed when ingress is removed)."""
        key = app.id.lower()
        has_ingress = (app.body["properties"].get("configuration") or {}).get("ingress") is not None
        current = self.ingresses.get(key)
        if has_ingress and current is None:
            ingress = Ingress(self.port_for(app.id), lambda: self.route(app.id),
                              hold=lambda: self.emulator.settings.ingress_hold)
            try:
                await ingress.start()
            except OSError as exc:  # the persisted port was taken meanwhile by another program
                log.warning("the endpoint of %s cannot listen on 127.0.0.1:%s: %s", app.name, ingress.port, exc)
                return
            self.ingresses[key] = ingress
        elif not has_ingress and current is not None:
            await self.ingresses.pop(key).close()

    def route(self, app_id: str) -> Route:
        """Where the ingress sends a new connection: the newest ready replica's targetPort."""
        state = self.apps.get(app_id.lower())
        app = self.store.get(app_id)
        ingress = ((app.body["properties"].get("configuration") or {}).get("ingress") if app else None) or {}
        live = [r.replica for r in state.revisions.values() if r.replica is not None] if state else []
        ready = [r for r in live if r.ready and r.network is not None]
        port = ingress.get("targetPort") or 80
        if ready:
            newest = max(ready, key=lambda r: r.created)
            assert newest.network is not None
            return Route(Upstream(newest.network, int(port)), starting=False)
        return Route(None, starting=bool(live))

    # revisions
    async def activate(self, app_id: str, revision_name: str) -> None:
        app = self.store.get(app_id)
        if app is None:
            return
        single = (app.body["properties"].get("configuration") or {}).get("activeRevisionsMode", "Single") == "Single"
        for revision in self.store.children(app.id, REVISION_TYPE):
            is_target = revision.name.lower() == revision_name.lower()
            if is_target:
                revision.body["properties"]["active"] = True
                self.store.put(revision)
            elif single and revision.body["properties"].get("active"):
                await self.deactivate(app_id, revision.name)
        target = self.store.get(f"{app.id}/revisions/{revision_name}")
        if target is not None:
            await self._stop_replica(app_id, target.name)
            await self._start_replica(app, target)

    async def deactivate(self, app_id: str, revision_name: str) -> None:
        revision = self.store.get(f"{app_id}/revisions/{revision_name}")
        if revision is not None:
            revision.body["properties"]["active"] = False
            self.store.put(revision)
        await self._stop_replica(app_id, revision_name)

    async def restart(self, app_id: str, revision_name: str) -> None:
        app = self.store.get(app_id)
        revision = self.store.get(f"{app_id}/revisions/{revision_name}")
        if app is None or revision is None:
            return
        await self._stop_replica(app_id, revision.name)
        await self._start_replica(app, revision)

    async def reconcile(self, app_id: str) -> None:
        """After a configuration-only change: active revisions that are not running start."""
        app = self.store.get(app_id)
        if app is None:
            return
        if self.emulator.settings.run_apps:
            await self._ensure_ingress(app)
        for revision in self.store.children(app.id, REVISION_TYPE):
            state = self._state(app_id).revision(revision.name)
            if revision.body["properties"].get("active") and state.replica is None:
                await self._start_replica(app, revision)

    async def remove_app(self, app_id: str) -> None:
        ingress = self.ingresses.pop(app_id.lower(), None)
        if ingress is not None:
            await ingress.close()
        state = self.apps.pop(app_id.lower(), None)
        if state is not None:
            for revision in state.revisions.values():
                if revision.replica is not None:
                    await revision.replica.stop()
        self.store.drop_app_port(app_id)

    async def _stop_replica(self, app_id: str, revision_name: str) -> None:
        state = self._state(app_id).revision(revision_name)
        if state.replica is not None:
            replica, state.replica = state.replica, None
            await replica.stop()
            state.last_active = time.time()

    async def _start_replica(self, app: Record, revision: Record) -> None:
        state = self._state(app.id).revision(revision.name)
        state.last_active = time.time()
        if not self.emulator.settings.run_apps:
            return
        await self._ensure_ingress(app)
        own_network = await network_namespaces_available()
        runs = []
        template = revision.body["properties"]["template"]
        replica_dir_name = None
        venv_bin: Path | None = None
        venv_problem = None
        try:
            venv_bin = await ensure_venv(self.app_dir(app.id) / "venv")
        except RuntimeError as exc:
            venv_problem = str(exc)
        replica = Replica(revision.name, [], time_scale=lambda: self.emulator.settings.time_scale)
        replica_dir_name = replica.name
        for container in template["containers"]:
            spec = self._launch_spec(app, revision.name, replica.name, template, container, venv_bin,
                                     own_network=own_network)
            if venv_problem:
                spec.problem = venv_problem
            console = Console(self.app_dir(app.id) / "logs" / revision.name / replica_dir_name / f"{container['name']}.log")
            runs.append(ContainerRun(name=container["name"], spec=spec, container=container, console=console))
        replica.containers = runs
        previous, state.replica = state.replica, replica
        replica.start()
        if previous is not None:  # another start of this revision ran during our awaits: one replica, not two
            await previous.stop()

    def _launch_spec(self, app: Record, revision: str, replica: str, template: dict[str, Any],
                     container: dict[str, Any], venv_bin: Path | None, *, own_network: bool) -> LaunchSpec:
        app_dir = self.app_dir(app.id)
        configuration = app.body["properties"].get("configuration") or {}
        ingress = configuration.get("ingress")
        target_port = ingress.get("targetPort") if ingress else None
        endpoint_port = self.port_for(app.id)
        network: ReplicaNetwork
        if own_network:
            network = NamespaceNetwork.for_container(self.emulator.settings.data_dir,
                                                     f"{app.id}|{replica}|{container['name']}")
            port = target_port
        else:  # the host's network: the container listens on a free host port that stands for its targetPort
            port = free_port(self.store.used_ports())
            network = HostNetwork({target_port: port} if target_port else {})
        secrets: dict[str, str] = app.internal.get("secrets", {})
        notices = [f"image '{container.get('image')}' is not pulled: the local emulator runs the container's command "
                   f"on this machine, in the app's own Python environment ({app_dir / 'venv'})"]
        problem = None
        env = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER",
                                                             "LOGNAME", "TERM", "HF_HOME", "HF_HUB_OFFLINE",
                                                             "TRANSFORMERS_OFFLINE", "ACA_INFERENCE_HOME")}
        path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        if venv_bin is not None:
            env["VIRTUAL_ENV"] = str(venv_bin.parent)
            path = f"{venv_bin}:{path}"
        env.update({"PATH": path, "PYTHONUNBUFFERED": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                    "CONTAINER_APP_NAME": app.name, "CONTAINER_APP_REVISION": revision,
                    "CONTAINER_APP_REPLICA_NAME": replica, "CONTAINER_APP_HOSTNAME": f"127.0.0.1:{endpoint_port}",
                    "CONTAINER_APP_ENV_DNS_SUFFIX": "local",
                    # Loopback: where the relay reaches the app in its namespace, and, on the host's network
                    # (fallback), never all interfaces of the user's machine.
                    "HOST": "127.0.0.1"})
        for variable in container.get("env") or []:
            if "secretRef" in variable:
                if variable["secretRef"] in secrets:
                    env[variable["name"]] = secrets[variable["secretRef"]]
            else:
                env[variable["name"]] = str(variable.get("value", ""))
        if own_network and port is not None:
            # ACA sets CONTAINER_APP_PORT (the targetPort) but not PORT; PORT is ours, for apps (like our own
            # inference app) that read it, unless the template sets it.
            env["CONTAINER_APP_PORT"] = str(port)
            env.setdefault("PORT", str(port))
        elif port is not None:  # on the host's network the app must listen on the host port it was given
            env["PORT"] = env["CONTAINER_APP_PORT"] = str(port)
        mounts, mount_problem = self._mounts(app, template, container, app_dir, replica, secrets)
        problem = problem or mount_problem
        command, args = container.get("command") or [], container.get("args") or []
        argv = [*command, *args] or None
        if argv is None:
            problem = problem or (f"container '{container['name']}' has no command or args: the image's own "
                                  "entrypoint cannot run locally; set command/args in the template")
        return LaunchSpec(argv=argv, env=env, mounts=mounts, workdir=app_dir / "work", root_dir=app_dir / "root",
                          target_port=target_port, network=network, problem=problem, notices=notices)

    def _mounts(self, app: Record, template: dict[str, Any], container: dict[str, Any], app_dir: Path,
                replica: str, secrets: dict[str, str]) -> tuple[list[Mount], str | None]:
        volumes = {v["name"]: v for v in template.get("volumes") or []}
        environment_id = app.body["properties"].get("environmentId") or ""
        mounts: list[Mount] = []
        for mount in container.get("volumeMounts") or []:
            volume = volumes.get(mount.get("volumeName"))
            if volume is None:
                continue
            kind = volume.get("storageType", "EmptyDir")
            if kind in ("AzureFile", "NfsAzureFile"):
                storage = self.store.get(f"{environment_id}/storages/{volume.get('storageName')}")
                if storage is None:
                    return [], (f"VolumeMountFailure: environment storage '{volume.get('storageName')}' does not "
                                "exist")
                azure_file = storage.body["properties"]["azureFile"]
                keys = self.emulator.account_keys(azure_file["accountName"])
                if keys is None:
                    return [], f"VolumeMountFailure: storage account '{azure_file['accountName']}' does not exist"
                if azure_file.get("accountKey") not in keys:
                    return [], (f"VolumeMountFailure: mount error(13): Permission denied - the account key of "
                                f"environment storage '{storage.name}' does not match storage account "
                                f"'{azure_file['accountName']}'")
                source = self.emulator.settings.shares_root / azure_file["accountName"] / azure_file["shareName"]
                if not source.is_dir():
                    return [], (f"VolumeMountFailure: file share '{azure_file['shareName']}' does not exist in "
                                f"storage account '{azure_file['accountName']}'")
            elif kind == "Secret":
                source = app_dir / "secrets" / replica / volume["name"]
                source.mkdir(parents=True, exist_ok=True)
                wanted = volume.get("secrets") or [{"secretRef": n, "path": n} for n in secrets]
                for item in wanted:
                    (source / item.get("path", item["secretRef"])).write_text(secrets.get(item["secretRef"], ""))
            else:
                source = app_dir / "emptydir" / replica / volume["name"]
                source.mkdir(parents=True, exist_ok=True)
            if mount.get("subPath"):
                source = source / mount["subPath"]
                source.mkdir(parents=True, exist_ok=True)
            mounts.append(Mount(path=mount["mountPath"], source=source.resolve()))
        return mounts, None

    # what ARM renders
    def is_running(self, app_id: str) -> bool:
        state = self.apps.get(app_id.lower())
        if state is None:
            return not self.emulator.settings.run_apps and self.store.get(app_id) is not None
        return any(r.replica is not None for r in state.revisions.values()) or not self.emulator.settings.run_apps

    def latest_ready_revision(self, app_id: str) -> str | None:
        state = self.apps.get(app_id.lower())
        if state is None:
            return None
        ready = [r for r in state.revisions.values() if r.replica is not None and r.replica.ever_ready]
        if ready:
            state.latest_ready = max(ready, key=lambda r: r.replica.created).name  # type: ignore[union-attr]
        return state.latest_ready

    def revision_status(self, app_id: str, revision_name: str) -> dict[str, Any]:
        record = self.store.get(f"{app_id}/revisions/{revision_name}")
        active = bool(record and record.body["properties"].get("active"))
        state = self._state(app_id).revision(revision_name)
        status: dict[str, Any] = {"active": active, "trafficWeight": 100 if active else 0,
                                  "lastActiveTime": _iso(state.last_active or time.time())}
        replica = state.replica
        if not active:
            status.update(replicas=0, runningState="Stopped", healthState="None", runningStateDetails="Deactivated")
        elif replica is None:
            if self.emulator.settings.run_apps:
                status.update(replicas=0, runningState="Activating", healthState="None",
                              runningStateDetails="Provisioning")
            else:
                status.update(replicas=0, runningState="Running", healthState="Healthy",
                              runningStateDetails="Apps are not run by this emulator (run_apps=False)")
        elif replica.ready:
            status.update(replicas=1, runningState="Running", healthState="Healthy", runningStateDetails="Running")
        elif replica.restarts > 0:
            details = "; ".join(run.details for run in replica.containers)
            status.update(replicas=1, runningState="Degraded" if replica.ever_ready else "Failed",
                          healthState="Unhealthy", runningStateDetails=details)
        elif replica.ever_ready:
            status.update(replicas=1, runningState="Degraded", healthState="Unhealthy",
                          runningStateDetails="; ".join(run.details for run in replica.containers))
        else:
            status.update(replicas=1, runningState="Activating", healthState="None",
                          runningStateDetails="Waiting for the startup and readiness probes")
        return status

    def replicas(self, app_id: str, revision_name: str) -> list[dict[str, Any]]:
        state = self.apps.get(app_id.lower())
        revision = state.revisions.get(revision_name.lower()) if state else None
        if revision is None or revision.replica is None:
            return []
        return [revision.replica.wire()]

    def console(self, app_id: str, revision_name: str, replica_name: str, container: str) -> Console | None:
        state = self.apps.get(app_id.lower())
        revision = state.revisions.get(revision_name.lower()) if state else None
        if revision is None or revision.replica is None or revision.replica.name.lower() != replica_name.lower():
            return None
        for run in revision.replica.containers:
            if run.name.lower() == container.lower():
                return run.console
        return None

    def describe(self) -> list[dict[str, Any]]:
        described = []
        for app_key, state in self.apps.items():
            described.append({"app": app_key, "port": self.store.app_port(app_key), "revisions": [
                {"name": r.name, "replica": r.replica.wire() if r.replica else None}
                for r in state.revisions.values()]})
        return described
