"""Starting a replica: what each container is launched with - argv, env (ACA's CONTAINER_APP_* variables, secrets),
volume mounts (Azure Files shares, secrets, empty dirs), the network it runs in - and its console log."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .console import Console
from .network import HostNetwork, NamespaceNetwork, ReplicaNetwork, free_port
from .replica import ContainerRun, LaunchSpec, Replica
from .sandbox import Mount, network_namespaces_available
from .venv import ensure_venv

if TYPE_CHECKING:
    from ..store import Record
    from .host import RuntimeView
    from .revision import RevisionState


def launch_spec(runtime: RuntimeView, app: Record, revision: str, replica: str, template: dict[str, Any],
                container: dict[str, Any], venv_bin: Path | None, *, own_network: bool) -> LaunchSpec:
    app_dir = runtime.app_dir(app.id)
    configuration = app.body["properties"].get("configuration") or {}
    ingress = configuration.get("ingress")
    target_port = ingress.get("targetPort") if ingress else None
    endpoint_port = runtime.port_for(app.id)
    network: ReplicaNetwork
    if own_network:
        network = NamespaceNetwork.for_container(runtime.settings.data_dir,
                                                 f"{app.id}|{replica}|{container['name']}")
        port = target_port
    else:  # the host's network: the container listens on a free host port that stands for its targetPort
        port = free_port(runtime.store.used_ports())
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
                # Apps run on the user's machine: loopback only, never all interfaces.
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
    mounts, mount_problem = _mounts(runtime, app, template, container, app_dir, replica, secrets)
    problem = problem or mount_problem
    command, args = container.get("command") or [], container.get("args") or []
    argv = [*command, *args] or None
    if argv is None:
        problem = problem or (f"container '{container['name']}' has no command or args: the image's own "
                              "entrypoint cannot run locally; set command/args in the template")
    return LaunchSpec(argv=argv, env=env, mounts=mounts, workdir=app_dir / "work", root_dir=app_dir / "root",
                      target_port=target_port, network=network, problem=problem, notices=notices)

def _mounts(runtime: RuntimeView, app: Record, template: dict[str, Any], container: dict[str, Any], app_dir: Path,
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
            storage = runtime.store.get(f"{environment_id}/storages/{volume.get('storageName')}")
            if storage is None:
                return [], (f"VolumeMountFailure: environment storage '{volume.get('storageName')}' does not "
                            "exist")
            azure_file = storage.body["properties"]["azureFile"]
            keys = runtime.host.account_keys(azure_file["accountName"])
            if keys is None:
                return [], f"VolumeMountFailure: storage account '{azure_file['accountName']}' does not exist"
            if azure_file.get("accountKey") not in keys:
                return [], (f"VolumeMountFailure: mount error(13): Permission denied - the account key of "
                            f"environment storage '{storage.name}' does not match storage account "
                            f"'{azure_file['accountName']}'")
            source = runtime.settings.shares_root / azure_file["accountName"] / azure_file["shareName"]
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


async def start_replica(runtime: RuntimeView, state: RevisionState, app: Record, revision: Record, *,
                        reserved: bool = False) -> None:
    """Prepares a replica of the revision (venv, each container's launch spec and console) and starts it, unless
    the revision was deactivated meanwhile. `reserved`: the caller already counted it as starting."""
    if not reserved:
        state.starting += 1
    try:
        own_network = await network_namespaces_available()
        venv_bin: Path | None = None
        venv_problem = None
        try:
            venv_bin = await ensure_venv(runtime.app_dir(app.id) / "venv")
        except RuntimeError as exc:
            venv_problem = str(exc)
        template = revision.body["properties"]["template"]
        replica = Replica(revision.name, [], time_scale=lambda: runtime.settings.time_scale)
        runs = []
        for container in template["containers"]:
            spec = launch_spec(runtime, app, revision.name, replica.name, template, container, venv_bin,
                               own_network=own_network)
            if venv_problem:
                spec.problem = venv_problem
            console = Console(runtime.app_dir(app.id) / "logs" / revision.name / replica.name
                              / f"{container['name']}.log")
            runs.append(ContainerRun(name=container["name"], spec=spec, container=container, console=console))
        replica.containers = runs
    finally:
        state.starting -= 1
    current = runtime.store.get(revision.id)
    if current is None or not current.body["properties"].get("active"):
        for run in replica.containers:  # deactivated while the venv was prepared
            run.console.close()
        return
    state.replicas.append(replica)
    state.last_active = time.time()
    replica.start()
