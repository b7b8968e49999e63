"""ACA's checks of a container app body (PUT, or PATCH merged over the stored app), after app_shapes.read_body:
the environment and profile, configuration (revision mode, ingress, secrets), template (volumes, containers,
env, probes, resources, scale). `validate_app` is the one entry point; each rule is a small function so a new
one (e.g. a GPU profile's) is one call more."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..resource_types import ENVIRONMENT_STORAGE, MANAGED_ENVIRONMENT
from ..store import Record
from .context import ArmContext, normalize_location
from .errors import ArmError
from .gpu_rules import check_one_gpu_per_replica

ENV_TYPE = MANAGED_ENVIRONMENT.type
STORAGE_TYPE = ENVIRONMENT_STORAGE.type
SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$|^[a-z0-9]$")
CONTAINER_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
PROBE_TYPES = {"Liveness", "Readiness", "Startup"}
# The 'memory' field: "a decimal value to no more than 2 decimal places followed by 'Gi'" (the service's message,
# Azure/bicep-types-az#2226).
MEMORY = re.compile(r"^\d+(\.\d{1,2})?Gi$")
# Consumption: total cpu/memory of an app's containers is one of these pairs, memory twice the cpu (ACA docs,
# "Containers: allocations"; ContainerAppInvalidResourceTotal, Azure/bicep#14569). Dedicated profiles are freer.
CONSUMPTION_PAIRS = [(q / 4, q / 2) for q in range(1, 17)]


def _bad(message: str, code: str = "ContainerAppInvalidSchema") -> ArmError:
    return ArmError(400, code, message)


def malformed(message: str) -> ArmError:
    """ARM's answer to a body whose JSON does not fit the schema (a string where an object belongs, ...)."""
    return ArmError(400, "InvalidRequestContent", f"The request content was invalid and could not be deserialized: "
                                                  f"{message}")


@dataclass
class AppSpec:
    """A validated container app request: what the record and the runtime need."""

    environment: Record
    properties: dict[str, Any]
    secret_values: dict[str, str]


# ACA's limits on probe values: field -> (minimum, maximum), per probe type where they differ. Sources: the
# Microsoft.App spec (ContainerAppProbe, 2026-07-01: initialDelaySeconds 1-60, periodSeconds 1-240, timeoutSeconds
# 1-240, successThreshold 1-10 and "must be 1 for liveness and startup"); for failureThreshold the spec still says
# 1-10 while the service answers wider ranges: ContainerAppProbeFailureThresholdOutOfRange "... must be in the
# range of ['1', '30']" (microsoft/azure-container-apps#1100), and readiness up to 48 (ACA's own default), startup
# up to 240 (its default), liveness 30 (hashicorp/terraform-provider-azurerm#31980, #31989, "match Azure API
# actual limits"). Only the FailureThreshold code is confirmed; the others follow its pattern.
PROBE_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "initialDelaySeconds": {"*": (1, 60)},
    "periodSeconds": {"*": (1, 240)},
    "timeoutSeconds": {"*": (1, 240)},
    "successThreshold": {"Readiness": (1, 10), "*": (1, 1)},
    "failureThreshold": {"Liveness": (1, 30), "Readiness": (1, 48), "Startup": (1, 240)},
}


def check_probes(container: str, probes: Any) -> None:
    """ACA's checks of a container's probes: known types, one of each, an action, values within the limits."""
    if not isinstance(probes, list):
        raise _bad(f"Container '{container}': probes must be an array.")
    seen: set[str] = set()
    for probe in probes:
        ptype = probe.get("type") if isinstance(probe, dict) else None
        # "Only one of each probe type per container" (ACA docs, health probes, restrictions); code unconfirmed.
        if ptype not in PROBE_TYPES or ptype in seen:
            raise _bad(f"Container '{container}': probe type {ptype!r} is not one of Liveness, Readiness, Startup "
                       "or appears twice.", "ContainerAppInvalidProbe")
        seen.add(ptype)
        if not (probe.get("httpGet") or probe.get("tcpSocket")):
            raise _bad(f"Container '{container}': the {ptype} probe needs httpGet or tcpSocket.",
                       "ContainerAppInvalidProbe")
        for field_name, ranges in PROBE_LIMITS.items():
            value = probe.get(field_name)
            if value is None:
                continue
            low, high = ranges.get(ptype, ranges.get("*", (1, 1)))
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                pascal = field_name[0].upper() + field_name[1:]
                raise _bad(f"Container '{container}' '{ptype}' probe's {pascal} must be in the range of "
                           f"['{low}', '{high}'].", f"ContainerAppProbe{pascal}OutOfRange")


def validate_app(ctx: ArmContext, sub: str, location: str, properties: dict[str, Any],
                 old_secrets: dict[str, str]) -> AppSpec:
    """Raises ArmError (Azure's status and code) when ACA would refuse the app; else what the record needs."""
    environment = check_environment(ctx, sub, location, properties)
    configuration = _object(properties.get("configuration") or {}, "properties.configuration")
    check_configuration(configuration)
    secret_values = read_secrets(configuration, old_secrets)
    template = properties.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("containers"), list) \
            or not template["containers"]:
        raise _bad("properties.template.containers must list at least one container.")
    volume_names = check_volumes(ctx, environment, template.get("volumes") or [])
    names: set[str] = set()
    for container in template["containers"]:
        check_container(_object(container, "template.containers[]"), names, volume_names, secret_values)
    check_resources(template["containers"], profile_type(environment, properties.get("workloadProfileName")))
    check_one_gpu_per_replica(environment.body["properties"].get("workloadProfiles") or [], properties)
    check_scale(template.get("scale") or {})
    return AppSpec(environment, properties, secret_values)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise malformed(f"{where} must be an object, got {type(value).__name__} {value!r:.40}.")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise malformed(f"{where} must be an array, got {type(value).__name__} {value!r:.40}.")
    return value


def check_environment(ctx: ArmContext, sub: str, location: str, properties: dict[str, Any]) -> Record:
    environment_id = properties.get("environmentId") or properties.get("managedEnvironmentId")
    if not environment_id or not isinstance(environment_id, str):
        raise _bad("properties.environmentId is required: the managed environment's resource id.",
                   "ManagedEnvironmentIdRequired")
    environment = ctx.store.get(environment_id)
    if environment is None or environment.type.lower() != ENV_TYPE.lower() \
            or not environment.id.lower().startswith(f"/subscriptions/{sub.lower()}/"):
        raise ArmError(404, "ManagedEnvironmentNotFound", f"Managed environment '{environment_id}' was not found.")
    if environment.body["properties"]["provisioningState"] not in ("Succeeded", "InfrastructureSetupInProgress"):
        raise ArmError(409, "ManagedEnvironmentNotProvisioned",
                       f"Managed environment '{environment.name}' is not ready "
                       f"(provisioningState {environment.body['properties']['provisioningState']}).")
    if normalize_location(environment.body["location"]) != location:
        raise _bad(f"The container app location '{location}' must be the managed environment's location "
                   f"'{environment.body['location']}'.", "LocationMismatch")
    profile = properties.get("workloadProfileName")
    profiles = environment.body["properties"].get("workloadProfiles") or []
    if profile and not any(str(p["name"]).lower() == str(profile).lower() for p in profiles) \
            and not (not profiles and str(profile).lower() == "consumption"):  # a Consumption-only environment
        raise _bad(f"Workload profile '{profile}' does not exist in managed environment '{environment.name}' "
                   f"(it has: {', '.join(p['name'] for p in profiles) or 'none'}).", "WorkloadProfileNotFound")
    return environment


def profile_type(environment: Record, profile: Any) -> str:
    """The workloadProfileType the app runs on ('Consumption' when it names none)."""
    for entry in environment.body["properties"].get("workloadProfiles") or []:
        if profile and str(entry["name"]).lower() == str(profile).lower():
            return str(entry["workloadProfileType"])
    return "Consumption"


def check_configuration(configuration: dict[str, Any]) -> None:
    mode = configuration.get("activeRevisionsMode", "Single")
    if mode not in ("Single", "Multiple", "Labels"):
        raise _bad(f"activeRevisionsMode must be Single, Multiple or Labels, got {mode!r}.")
    ingress = configuration.get("ingress")
    if ingress is not None:
        ingress = _object(ingress, "configuration.ingress")
        port = ingress.get("targetPort")
        if port is not None and (not isinstance(port, int) or not 0 <= port <= 65535):
            raise _bad(f"ingress.targetPort must be an integer between 1 and 65535, got {port!r}.")
        if ingress.get("transport", "Auto") not in ("Auto", "Http", "Http2", "Tcp"):
            raise _bad(f"ingress.transport {ingress.get('transport')!r} is not one of auto, http, http2, tcp.")
        for entry in _list(ingress.get("traffic") or [], "ingress.traffic"):
            _object(entry, "ingress.traffic[]")


def read_secrets(configuration: dict[str, Any], old_secrets: dict[str, str]) -> dict[str, str]:
    raw_secrets = configuration.get("secrets")
    if raw_secrets is None:
        return dict(old_secrets)
    values: dict[str, str] = {}
    for secret in _list(raw_secrets, "configuration.secrets"):
        name = _object(secret, "configuration.secrets[]").get("name")
        if not isinstance(name, str) or len(name) > 253 or not SECRET_NAME.match(name):
            raise _bad(f"Secret name {name!r} is invalid: lower-case letters, digits, '-' and '.', starting "
                       "and ending with a letter or digit.", "ContainerAppSecretInvalid")
        value = secret.get("value")
        if value is None:
            if secret.get("keyVaultUrl"):
                value = ""
            elif name in old_secrets:
                value = old_secrets[name]
            else:
                raise _bad(f"Secret '{name}' has no value.", "ContainerAppSecretInvalid")
        values[name] = str(value)
    return values


def check_volumes(ctx: ArmContext, environment: Record, volumes: Any) -> set[str]:
    storages = {r.name.lower() for r in ctx.store.children(environment.id, STORAGE_TYPE)}
    names = set()
    for volume in _list(volumes, "template.volumes"):
        vname = _object(volume, "template.volumes[]").get("name")
        if not vname or not isinstance(vname, str):
            raise _bad("Every volume needs a name.")
        names.add(vname)
        kind = volume.get("storageType", "EmptyDir")
        if kind not in ("AzureFile", "EmptyDir", "Secret", "NfsAzureFile"):
            raise _bad(f"Volume '{vname}': storageType {kind!r} is not supported.")
        if kind in ("AzureFile", "NfsAzureFile") and str(volume.get("storageName", "")).lower() not in storages:
            raise _bad(f"Volume '{vname}' refers to storage '{volume.get('storageName')}', which does not exist "
                       f"in managed environment '{environment.name}'.", "ManagedEnvironmentStorageNotFound")
    return names


def check_container(container: dict[str, Any], names: set[str], volume_names: set[str],
                    secret_values: dict[str, str]) -> None:
    cname = container.get("name")
    if not isinstance(cname, str) or not CONTAINER_NAME.match(cname) or len(cname) > 63:
        raise _bad(f"Container name {cname!r} is invalid: lower-case letters, digits and '-'.")
    if cname in names:
        raise _bad(f"Container name '{cname}' is used twice.")
    names.add(cname)
    if not isinstance(container.get("image"), str) or not container["image"]:
        raise _bad(f"Container '{cname}' needs an image.")
    for key in ("command", "args"):
        if container.get(key) is not None and (not isinstance(container[key], list)
                                               or not all(isinstance(a, str) for a in container[key])):
            raise _bad(f"Container '{cname}': {key} must be an array of strings.")
    for variable in _list(container.get("env") or [], f"container '{cname}' env"):
        if not isinstance(variable, dict):
            raise malformed(f"container '{cname}' env entries must be objects with a name and a value or "
                            f"secretRef, got {variable!r:.40}.")
        if variable.get("name") is not None and not isinstance(variable["name"], str):
            raise malformed(f"container '{cname}' env entry name must be a string, got {variable['name']!r:.40}.")
        if not variable.get("name"):
            raise _bad(f"Container '{cname}': every env entry needs a name.")
        ref = variable.get("secretRef")
        if ref is not None and ref not in secret_values:
            raise _bad(f"Container '{cname}': env '{variable['name']}' refers to secret '{ref}', which is not "
                       "defined in configuration.secrets.", "ContainerAppSecretRefNotFound")
    for mount in _list(container.get("volumeMounts") or [], f"container '{cname}' volumeMounts"):
        if _object(mount, "volumeMounts[]").get("volumeName") not in volume_names:
            raise _bad(f"Container '{cname}': volume mount '{mount.get('volumeName')}' has no volume.")
    check_probes(cname, container.get("probes") or [])


def check_resources(containers: list[dict[str, Any]], profile: str) -> None:
    """Each container's cpu and memory are well formed; on Consumption their totals are one of ACA's pairs."""
    total_cpu, total_memory = 0.0, 0.0
    for container in containers:
        resources = _object(container.get("resources") or {}, f"container '{container.get('name')}' resources")
        cpu, memory = resources.get("cpu", 0.5), resources.get("memory", "1Gi")
        if isinstance(cpu, bool) or not isinstance(cpu, (int, float)) or cpu <= 0:
            raise _bad(f"Container with name '{container.get('name')}' has an invalid cpu resource request: "
                       f"'{cpu}'. The 'cpu' field for each container, if provided, must be a decimal number "
                       "greater than zero with no more than 2 decimal places. Example: '0.25' or '1.5'.",
                       "ContainerAppInvalidResourceCpu")
        if not isinstance(memory, str) or not MEMORY.match(memory):
            raise _bad(f"Container with name '{container.get('name')}' has an invalid memory resource request: "
                       f"'{memory}'. The 'memory' field for each container, if provided, must contain a decimal "
                       "value to no more than 2 decimal places followed by 'Gi' to denote the unit (Gibibytes). "
                       "Example: '1.25Gi' or '2Gi'.", "ContainerAppInvalidResourceMemory")
        total_cpu += float(cpu)
        total_memory += float(memory[:-2])
    if profile == "Consumption" and not any(abs(total_cpu - c) < 1e-6 and abs(total_memory - m) < 1e-6
                                            for c, m in CONSUMPTION_PAIRS):
        pairs = "; ".join(f"[cpu: {c:.2f}, memory: {m:.1f}Gi]" for c, m in CONSUMPTION_PAIRS)
        raise _bad(f"The total requested CPU and memory resources for this application (CPU: {total_cpu:g}, memory: "
                   f"{total_memory:g}) is invalid. Total CPU and memory for all containers defined in a Container App "
                   f"must add up to one of the following CPU - Memory combinations: {pairs}",
                   "ContainerAppInvalidResourceTotal")


def check_scale(scale: Any) -> None:
    scale = _object(scale, "template.scale")
    low, high = scale.get("minReplicas", 0), scale.get("maxReplicas", 10)
    if not isinstance(low, int) or not isinstance(high, int) or isinstance(low, bool) or isinstance(high, bool) \
            or low < 0 or high < 1 or low > high or high > 1000:
        # The service's wording (MicrosoftDocs/azure-docs#89742); the code is ours, in its pattern.
        raise _bad(f"The scale options provided for Container App are incorrect (minReplicas {low!r}, maxReplicas "
                   f"{high!r}). The values must be positive, maxReplicas must not be less than minReplicas and not "
                   "bigger than 1000.", "ContainerAppInvalidScaleOptions")
