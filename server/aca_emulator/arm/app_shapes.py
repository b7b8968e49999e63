"""How Microsoft.App reads a request body and shapes its answers, as recorded real Azure does
(../shared/azure-recordings, the Azure CLI's containerapp tests):

- property names are matched case-insensitively (`workloadProfiles[].Name` is `name`), and the service answers
  with its own spelling;
- enum values are case-insensitive (`activeRevisionsMode: "single"`, `transport: "auto"`) and come back in the
  spec's casing;
- a number sent as a numeric string is read as the number (traffic `"weight": "50"`);
- an explicit null is "not set" (`maxReplicas: null`: the default, 10);
- every answer carries the keys Azure always sends, null where nothing is set (`dapr`, `registries`, ...),
  and the defaults it fills (`scale.maxReplicas`, container `resources`, `imageType`, `patchingMode` ...).
"""

from __future__ import annotations

import copy
import re
from typing import Any

# Property names of Microsoft.App containerApps / managedEnvironments bodies (Microsoft.App spec), by lower case.
_NAMES = """
environmentId managedEnvironmentId workloadProfileName configuration template activeRevisionsMode ingress secrets
registries dapr maxInactiveRevisions runtime service identitySettings external targetPort exposedPort transport
traffic revisionName weight latestRevision label allowInsecure customDomains ipSecurityRestrictions stickySessions
clientCertificateMode corsPolicy additionalPortMappings targetPortHttpScheme containers initContainers image imageType
name command args env value secretRef resources cpu memory ephemeralStorage probes volumeMounts volumeName mountPath
subPath scale minReplicas maxReplicas rules pollingInterval cooldownPeriod volumes storageType storageName mountOptions
revisionSuffix terminationGracePeriodSeconds serviceBinds keyVaultUrl identity type httpGet tcpSocket path port host
scheme httpHeaders initialDelaySeconds periodSeconds timeoutSeconds successThreshold failureThreshold
terminationGracePeriodSeconds http custom azureQueue tcp metadata auth triggerParameter queueName queueLength
workloadProfiles workloadProfileType minimumCount maximumCount appLogsConfiguration destination
logAnalyticsConfiguration customerId sharedKey dynamicJsonColumns zoneRedundant vnetConfiguration
daprAIInstrumentationKey daprAIConnectionString customDomainConfiguration peerAuthentication mtls enabled
peerTrafficConfiguration encryption infrastructureResourceGroup publicNetworkAccess location tags properties
azureFile accountName accountKey shareName accessMode server nfsAzureFile affinity server username passwordSecretRef
ipAddressRange action description appProtocol appPort enableApiLogging logLevel httpReadBufferSize
httpMaxRequestSize userAssignedIdentities patchingMode kind
"""
CANONICAL = {name.lower(): name for name in _NAMES.split()}
# Children of these are the user's own names, not the schema's.
USER_MAPS = {"tags", "metadata", "userassignedidentities"}
ENUMS: dict[str, tuple[str, ...]] = {
    "activeRevisionsMode": ("Single", "Multiple", "Labels"),
    "transport": ("Auto", "Http", "Http2", "Tcp"),
    "storageType": ("AzureFile", "EmptyDir", "Secret", "NfsAzureFile"),
    "imageType": ("CloudBuild", "ContainerImage"),
    "accessMode": ("ReadOnly", "ReadWrite"),
    "action": ("Allow", "Deny"),
    "patchingMode": ("Automatic", "Manual", "Disabled"),
    "affinity": ("sticky", "none"),
    "clientCertificateMode": ("ignore", "accept", "require"),
}
PROBE_TYPES = ("Liveness", "Readiness", "Startup")
NUMBERS = {"weight", "targetPort", "exposedPort", "minReplicas", "maxReplicas", "maxInactiveRevisions",
           "minimumCount", "maximumCount", "terminationGracePeriodSeconds", "pollingInterval", "cooldownPeriod"}
INTEGER = re.compile(r"^\s*-?\d+\s*$")
DECIMAL = re.compile(r"^\s*\d+(\.\d+)?\s*$")
QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*Gi\s*$")


def read_body(value: Any, key: str = "") -> Any:
    """The body as Microsoft.App reads it: canonical names, enums and numbers, nulls dropped."""
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for name, child in value.items():
            if child is None:
                continue
            text = str(name)
            canonical = text if key.lower() in USER_MAPS else CANONICAL.get(text.lower(), text)
            result[canonical] = child if canonical.lower() in USER_MAPS else read_body(child, canonical)
        return result
    if isinstance(value, list):
        items = [read_body(item, key) for item in value if item is not None]
        if key == "probes":
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("type"), str):
                    item["type"] = _enum(item["type"], PROBE_TYPES)
        return items
    if isinstance(value, str):
        if key in ENUMS:
            return _enum(value, ENUMS[key])
        if key in NUMBERS and INTEGER.match(value):
            return int(value)
        if key == "cpu" and DECIMAL.match(value):
            return float(value)
        if key == "memory":
            return quantity(value)
    return value


def quantity(value: str) -> str:
    """A Gi quantity as Azure writes it back ('1.0Gi' -> '1Gi', '0.50Gi' -> '0.5Gi'); anything else as sent."""
    match = QUANTITY.match(value)
    if not match:
        return value
    number = float(match.group(1))
    return f"{number:g}Gi"


def _enum(value: str, allowed: tuple[str, ...]) -> str:
    return next((a for a in allowed if a.lower() == value.lower()), value)


# Azure's answer for a container app: keys it always sends (null where not set) and the defaults it fills.
APP_CONFIGURATION: dict[str, Any] = {"secrets": None, "activeRevisionsMode": "Single", "ingress": None,
                                     "registries": None, "identitySettings": [], "dapr": None, "runtime": None,
                                     "maxInactiveRevisions": 100, "service": None}
APP_INGRESS: dict[str, Any] = {"fqdn": "", "external": False, "targetPort": None, "exposedPort": 0,
                               "transport": "Auto", "traffic": [{"weight": 100, "latestRevision": True}],
                               "customDomains": None, "allowInsecure": False, "ipSecurityRestrictions": None,
                               "corsPolicy": None, "clientCertificateMode": None, "stickySessions": None,
                               "additionalPortMappings": None, "targetPortHttpScheme": None}
APP_TEMPLATE: dict[str, Any] = {"revisionSuffix": "", "terminationGracePeriodSeconds": None, "containers": [],
                                "initContainers": None, "scale": None, "volumes": None, "serviceBinds": None}
SCALE: dict[str, Any] = {"minReplicas": None, "maxReplicas": 10, "rules": None}
# ACA's default container size on Consumption (0.5 cpu, 1Gi), and its ephemeral storage: 2Gi per 0.5 cpu
# up to 8Gi (recorded: 0.5/1Gi -> 2Gi, 1.0/2Gi -> 4Gi, 10/5Gi -> 8Gi), whatever was asked.
DEFAULT_CPU, DEFAULT_MEMORY = 0.5, "1Gi"


def ephemeral_storage(cpu: float) -> str:
    return f"{min(8, max(1, round(cpu / 0.5)) * 2)}Gi"


def fill_template(template: dict[str, Any], *, revision: bool = False) -> dict[str, Any]:
    """A stored template as Azure answers it (an app's, or a revision's: `revision`)."""
    result = {**APP_TEMPLATE, **copy.deepcopy(template)}
    if revision:
        result["revisionSuffix"] = None
    result["scale"] = {**SCALE, **(result.get("scale") or {})}
    containers = []
    for container in result.get("containers") or []:
        shaped = dict(container)
        resources = dict(shaped.get("resources") or {})
        cpu = resources.get("cpu", DEFAULT_CPU)
        resources["cpu"] = float(cpu) if isinstance(cpu, (int, float)) and not isinstance(cpu, bool) else cpu
        resources.setdefault("memory", DEFAULT_MEMORY)
        if not revision:
            resources["ephemeralStorage"] = ephemeral_storage(resources["cpu"]) \
                if isinstance(resources["cpu"], float) else "2Gi"
            shaped.setdefault("imageType", "ContainerImage")
        else:
            resources.pop("ephemeralStorage", None)
            shaped.pop("imageType", None)
        shaped["resources"] = resources
        shaped.setdefault("probes", [])
        containers.append(shaped)
    result["containers"] = containers
    return result


def fill_configuration(configuration: dict[str, Any]) -> dict[str, Any]:
    result = {**APP_CONFIGURATION, **configuration}
    if result.get("ingress") is not None:
        result["ingress"] = {**APP_INGRESS, **result["ingress"]}
    return result


# A managed environment's answer: the keys Azure always sends.
ENV_PROPERTIES: dict[str, Any] = {
    "daprAIInstrumentationKey": None, "daprAIConnectionString": None, "vnetConfiguration": None,
    "appLogsConfiguration": {"destination": None, "logAnalyticsConfiguration": None},
    "openTelemetryConfiguration": None, "zoneRedundant": False, "kedaConfiguration": {"version": "2.15.1"},
    "daprConfiguration": {"version": "1.12.5"}, "appInsightsConfiguration": None, "firstPartyConfiguration": None,
    "infrastructureResourceGroup": None, "peerAuthentication": {"mtls": {"enabled": False}},
    "peerTrafficConfiguration": {"encryption": {"enabled": False}}, "publicNetworkAccess": "Enabled",
}
CUSTOM_DOMAIN: dict[str, Any] = {"dnsSuffix": None, "certificateKeyVaultProperties": None, "certificateValue": None,
                                 "certificatePassword": None, "thumbprint": None, "subjectName": None,
                                 "expirationDate": None}


def fill_environment(properties: dict[str, Any]) -> dict[str, Any]:
    result = {**copy.deepcopy(ENV_PROPERTIES), **properties}
    result["customDomainConfiguration"] = {**CUSTOM_DOMAIN, **(properties.get("customDomainConfiguration") or {})}
    logs = result.get("appLogsConfiguration") or {"destination": None}
    if logs.get("destination") == "log-analytics":
        analytics = logs.get("logAnalyticsConfiguration") or {}
        logs = {**logs, "logAnalyticsConfiguration": {"customerId": analytics.get("customerId"), "sharedKey": None,
                                                      "dynamicJsonColumns": bool(analytics.get("dynamicJsonColumns"))}}
    else:
        logs = {"logAnalyticsConfiguration": None, **logs}
    result["appLogsConfiguration"] = logs
    return result
