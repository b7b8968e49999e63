"""The rules Azure Container Apps applies to a container app's template when it is PUT: scale, CPU and memory
(their pairs on the Consumption profile, the node's size on the others), quantity formats, probe limits,
environment variable and volume shapes, and a start command that runs something.

Sources: specification/app/resource-manager/Microsoft.App/ContainerApps/stable/2026-07-01/openapi.json
(ContainerAppProbe: failureThreshold 1-10, periodSeconds 1-240, successThreshold 1-10 and 1 for liveness and
startup, timeoutSeconds 1-240, terminationGracePeriodSeconds <= 3600; Scale: maxReplicas defaults to 10;
EnvironmentVar {name, value | secretRef}; Volume {name, storageType, storageName}; VolumeMount {volumeName,
mountPath without ':'}) and learn.microsoft.com/azure/container-apps: containers.md (Consumption: cpu/memory
pairs 0.25/0.5Gi ... 4/8Gi, memory = 2 x cpu), health-probes.md (initialDelaySeconds 0-60; the spec's
description says 1, the service and the docs' table accept 0), scale-app.md (0 <= minReplicas <= maxReplicas,
maxReplicas at most 1000), environment-variables.md (names: letters, digits, '-', '.', '_', not a digit first).

Values this module cannot judge (not plain JSON: a value known only after deployment, a secret) are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from .workload_profiles import ProfileType, profile_type

MAX_REPLICAS_LIMIT = 1000
DEFAULT_MAX_REPLICAS = 10
PROBE_TYPES = ("Liveness", "Readiness", "Startup")
PROBE_LIMITS: dict[str, tuple[int, int]] = {
    "failureThreshold": (1, 10), "initialDelaySeconds": (0, 60), "periodSeconds": (1, 240),
    "successThreshold": (1, 10), "timeoutSeconds": (1, 240), "terminationGracePeriodSeconds": (0, 3600),
}
STORAGE_TYPES = {"azurefile": "AzureFile", "emptydir": "EmptyDir", "secret": "Secret", "nfsazurefile": "NfsAzureFile"}
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|K|M|G|T|Kb|Mb|Gb|Tb|KB|MB|GB|TB)?$")
_GIB = {None: 1 / 2**30, "Ki": 1 / 2**20, "Mi": 1 / 2**10, "Gi": 1.0, "Ti": 2.0**10}
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_SHELLS = {"sh", "bash", "zsh", "dash", "ash"}


@dataclass(frozen=True)
class Violation:
    """One rule broken: where in the resource body (`properties.template...`), the rule and the fix, the value
    found, and the element of a list it sits in (an env entry, a probe), which helps say where it came from."""

    path: str
    rule: str
    value: Any
    item: Any = None


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def _int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def memory_gib(value: Any) -> float | None:
    """A memory quantity ("0.5Gi", "220Gi", "512Mi", "1G") in GiB, or None when it is not one."""
    if not isinstance(value, str) or not (match := _QUANTITY.match(value.strip())):
        return None
    number, unit = float(match.group(1)), match.group(2)
    if unit in _GIB:
        return number * _GIB[unit]
    decimal = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[unit[0].upper()]
    return number * decimal / 2**30


def _scale(scale: Any, found: list[Violation]) -> None:
    base = "properties.template.scale"
    if scale is None or not _plain(scale):
        return
    if not isinstance(scale, dict):
        found.append(Violation(base, "expected an object {minReplicas, maxReplicas}", scale))
        return
    low, high = scale.get("minReplicas"), scale.get("maxReplicas")
    if low is not None and _plain(low) and (not _int(low) or low < 0):
        found.append(Violation(f"{base}.minReplicas", "minReplicas must be a whole number >= 0", low))
        low = None
    if high is not None and _plain(high) and (not _int(high) or not 1 <= high <= MAX_REPLICAS_LIMIT):
        found.append(Violation(f"{base}.maxReplicas", f"maxReplicas must be a whole number from 1 to "
                                                      f"{MAX_REPLICAS_LIMIT}", high))
        return
    ceiling = high if _int(high) else DEFAULT_MAX_REPLICAS
    if _int(low) and _int(ceiling) and low > ceiling:
        said = f"maxReplicas {ceiling}" if _int(high) else f"maxReplicas (Azure's default {ceiling})"
        found.append(Violation(f"{base}.minReplicas", f"Azure needs minReplicas <= maxReplicas: minReplicas {low} > "
                                                      f"{said}; lower minReplicas or raise maxReplicas", low))


def _resources(containers: list[dict[str, Any]], profile: ProfileType | None, found: list[Violation]) -> None:
    total_cpu, total_memory, judged = 0.0, 0.0, True
    for index, container in enumerate(containers):
        resources = container.get("resources")
        path = f"properties.template.containers[{index}].resources"
        if resources is None or not _plain(resources):
            judged = False
            continue
        if not isinstance(resources, dict):
            found.append(Violation(path, "expected an object {cpu, memory}", resources))
            judged = False
            continue
        cpu, memory = resources.get("cpu"), resources.get("memory")
        if cpu is not None and _plain(cpu) and (not _number(cpu) or cpu <= 0):
            found.append(Violation(f"{path}.cpu", "cpu must be a number of cores above 0, e.g. 0.5 or 24", cpu))
            judged = False
        elif _number(cpu):
            total_cpu += float(cpu)
        else:
            judged = False
        gib = memory_gib(memory)
        if memory is not None and _plain(memory) and gib is None:
            found.append(Violation(f"{path}.memory", "memory must be a quantity such as \"0.5Gi\", \"8Gi\" or "
                                                     "\"220Gi\"", memory))
            judged = False
        elif gib is not None:
            total_memory += gib
        else:
            judged = False
    if not judged or profile is None or not containers:
        return
    where = "properties.template.containers[0].resources"
    if profile.consumption:
        if total_cpu * 4 != int(total_cpu * 4) or not 0.25 <= total_cpu <= profile.cores \
                or abs(total_memory - 2 * total_cpu) > 1e-6:
            found.append(Violation(where, "on the Consumption profile CPU and memory go in pairs, memory = 2 x cpu: "
                                          "0.25 / 0.5Gi, 0.5 / 1Gi, ... 4 / 8Gi (all containers together); "
                                          f"found cpu {total_cpu:g}, memory {total_memory:g}Gi", total_cpu))
    elif total_cpu > profile.cores or total_memory > profile.memory_gib + 1e-6:
        found.append(Violation(where, f"the workload profile type {profile.name} offers {profile.cores:g} cores and "
                                      f"{profile.memory_gib:g}Gi per {'replica' if profile.serverless else 'node'}; "
                                      f"found cpu {total_cpu:g}, memory {total_memory:g}Gi (all containers "
                                      "together)", total_cpu))


def _probes(probes: Any, path: str, found: list[Violation]) -> None:
    if probes is None or not _plain(probes):
        return
    if not isinstance(probes, list):
        found.append(Violation(path, "expected an array of probes", probes))
        return
    seen: set[str] = set()
    for index, probe in enumerate(probes):
        here = f"{path}[{index}]"
        if not _plain(probe):
            continue
        if not isinstance(probe, dict):
            found.append(Violation(here, "expected a probe object {type, httpGet | tcpSocket, ...}", probe))
            continue
        kind = probe.get("type")
        if _plain(kind):
            match = next((t for t in PROBE_TYPES if isinstance(kind, str) and t.lower() == kind.lower()), None)
            if match is None:
                found.append(Violation(f"{here}.type", f"type must be one of {', '.join(PROBE_TYPES)}", kind, probe))
            elif match in seen:
                found.append(Violation(f"{here}.type", f"only one {match} probe per container", kind, probe))
            else:
                seen.add(match)
        for key, (low, high) in PROBE_LIMITS.items():
            value = probe.get(key)
            if value is not None and _plain(value) and (not _int(value) or not low <= value <= high):
                found.append(Violation(f"{here}.{key}", f"{key} must be a whole number from {low} to {high}", value,
                                       probe))
        success = probe.get("successThreshold")
        if _int(success) and success != 1 and isinstance(kind, str) and kind.lower() in ("liveness", "startup"):
            found.append(Violation(f"{here}.successThreshold", "successThreshold must be 1 for liveness and startup "
                                                               "probes", success, probe))
        actions = [k for k in ("httpGet", "tcpSocket") if probe.get(k) is not None]
        if len(actions) != 1:
            found.append(Violation(here, "a probe needs exactly one of httpGet or tcpSocket", probe, probe))
            continue
        action = probe[actions[0]]
        port = action.get("port") if isinstance(action, dict) else None
        if _plain(action) and _plain(port) and not (_int(port) and 1 <= port <= 65535):
            found.append(Violation(f"{here}.{actions[0]}.port", "port must be a whole number from 1 to 65535", port,
                                   probe))


def _env(env: Any, path: str, secrets: set[str] | None, found: list[Violation]) -> None:
    if env is None or not _plain(env):
        return
    if not isinstance(env, list):
        found.append(Violation(path, "expected an array of {name, value} or {name, secretRef} objects", env))
        return
    for index, entry in enumerate(env):
        here = f"{path}[{index}]"
        if not _plain(entry):
            continue
        if not isinstance(entry, dict):
            found.append(Violation(here, "each environment variable must be an object {\"name\": ..., \"value\": ...} "
                                         "(or \"secretRef\" instead of \"value\")", entry, entry))
            continue
        name = entry.get("name")
        if _plain(name) and (not isinstance(name, str) or not _ENV_NAME.match(name)):
            found.append(Violation(f"{here}.name", "name must be a string of letters, digits, '-', '.' and '_', not "
                                                   "starting with a digit", name, entry))
        for key in ("value", "secretRef"):
            value = entry.get(key)
            if value is not None and _plain(value) and not isinstance(value, str):
                found.append(Violation(f"{here}.{key}", f"{key} must be a string", value, entry))
        if entry.get("value") is not None and entry.get("secretRef") is not None:
            found.append(Violation(here, "give either value or secretRef, not both", entry, entry))
        ref = entry.get("secretRef")
        if isinstance(ref, str) and secrets is not None and ref.lower() not in secrets:
            found.append(Violation(f"{here}.secretRef", f"secretRef '{ref}' names no secret of the app "
                                                        "(configuration.secrets)", ref, entry))
        unknown = sorted(set(entry) - {"name", "value", "secretRef"})
        if unknown:
            found.append(Violation(here, f"unknown key(s) {', '.join(unknown)}: an environment variable has name and "
                                         "value (or secretRef)", entry, entry))


def _volumes(volumes: Any, found: list[Violation]) -> set[str] | None:
    path = "properties.template.volumes"
    if volumes is None:
        return set()
    if not _plain(volumes):
        return None
    if not isinstance(volumes, list):
        found.append(Violation(path, "expected an array of volumes", volumes))
        return None
    names: set[str] = set()
    for index, volume in enumerate(volumes):
        here = f"{path}[{index}]"
        if not _plain(volume):
            return None
        if not isinstance(volume, dict):
            found.append(Violation(here, "expected a volume object {name, storageType, storageName}", volume, volume))
            continue
        name, kind, storage = volume.get("name"), volume.get("storageType"), volume.get("storageName")
        if not isinstance(name, str) or not name:
            found.append(Violation(f"{here}.name", "a volume needs a name (a non-empty string)", name, volume))
        elif name.lower() in names:
            found.append(Violation(f"{here}.name", f"volume name '{name}' is used twice", name, volume))
        else:
            names.add(name.lower())
        canonical = STORAGE_TYPES.get(kind.lower()) if isinstance(kind, str) else ("EmptyDir" if kind is None else None)
        if canonical is None and _plain(kind):
            found.append(Violation(f"{here}.storageType", f"storageType must be one of "
                                                          f"{', '.join(STORAGE_TYPES.values())}", kind, volume))
        if canonical in ("AzureFile", "NfsAzureFile") and _plain(storage) and (not isinstance(storage, str)
                                                                              or not storage):
            found.append(Violation(f"{here}.storageName", f"a {canonical} volume needs storageName (the environment "
                                                          "storage)", storage, volume))
    return names


def _mounts(mounts: Any, path: str, volumes: set[str] | None, found: list[Violation]) -> None:
    if mounts is None or not _plain(mounts):
        return
    if not isinstance(mounts, list):
        found.append(Violation(path, "expected an array of {volumeName, mountPath}", mounts))
        return
    for index, mount in enumerate(mounts):
        here = f"{path}[{index}]"
        if not isinstance(mount, dict):
            if _plain(mount):
                found.append(Violation(here, "expected {volumeName, mountPath}", mount, mount))
            continue
        name, target = mount.get("volumeName"), mount.get("mountPath")
        if isinstance(name, str) and volumes is not None and name.lower() not in volumes:
            found.append(Violation(f"{here}.volumeName", f"volumeName '{name}' names no volume of the template "
                                                         "(template.volumes)", name, mount))
        elif _plain(name) and not isinstance(name, str):
            found.append(Violation(f"{here}.volumeName", "volumeName must be a string", name, mount))
        if _plain(target) and (not isinstance(target, str) or not target.startswith("/") or ":" in target):
            found.append(Violation(f"{here}.mountPath", "mountPath must be an absolute path without ':'", target,
                                   mount))


def _command(container: dict[str, Any], path: str, found: list[Violation]) -> None:
    argv: list[Any] = []
    for key in ("command", "args"):
        value = container.get(key)
        if value is None or not _plain(value):
            if value is not None:
                return
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) or not _plain(v) for v in value):
            found.append(Violation(f"{path}.{key}", f"{key} must be an array of strings", value))
            return
        argv += [(key, i, v) for i, v in enumerate(value)]
    for position, (key, _index, word) in enumerate(argv):
        shell = isinstance(word, str) and word.rsplit("/", 1)[-1] in _SHELLS
        if not shell or position + 1 >= len(argv) or argv[position + 1][2] != "-c":
            continue
        if position + 2 >= len(argv):
            found.append(Violation(f"{path}.{key}", "the start command runs a shell with -c and no script: give it "
                                                    "the commands to run", word))
            continue
        script_key, script_index, script = argv[position + 2]
        if isinstance(script, str) and not script.strip(" &;\n\t"):
            found.append(Violation(f"{path}.{script_key}[{script_index}]",
                                   "the start command's shell script is empty, so the container runs nothing and "
                                   "exits: give it the commands to run", script))


def container_app_violations(properties: Any, profile: str | None, secrets: set[str] | None = None) -> list[Violation]:
    """Every rule the container app's `properties` break. `profile`: the workload profile type the app runs on
    ("Consumption", "NC24-A100", ...; None when unknown); `secrets`: the app's secret names (lower case)."""
    found: list[Violation] = []
    if not isinstance(properties, dict):
        return found
    template = properties.get("template")
    if not isinstance(template, dict):
        return found
    _scale(template.get("scale"), found)
    volumes = _volumes(template.get("volumes"), found)
    containers = template.get("containers")
    if not _plain(containers):
        return found
    if not isinstance(containers, list) or not containers:
        found.append(Violation("properties.template.containers", "a container app needs at least one container",
                               containers))
        return found
    judged: list[dict[str, Any]] = []
    for index, container in enumerate(containers):
        path = f"properties.template.containers[{index}]"
        if not isinstance(container, dict):
            if _plain(container):
                found.append(Violation(path, "expected a container object {name, image, ...}", container))
            continue
        judged.append(container)
        for key in ("name", "image"):
            value = container.get(key)
            if _plain(value) and (not isinstance(value, str) or not value.strip()):
                found.append(Violation(f"{path}.{key}", f"a container needs {key} (a non-empty string)", value))
        _command(container, path, found)
        _env(container.get("env"), f"{path}.env", secrets, found)
        _probes(container.get("probes"), f"{path}.probes", found)
        _mounts(container.get("volumeMounts"), f"{path}.volumeMounts", volumes, found)
    _resources(judged, profile_type(profile), found)
    return found
