"""The desired state of every resource: parameters file + fine-tuning defaults + the bicep's default names.

Pure: no Azure calls. The same names come out as from the bicep, so a hand-provisioned workspace and the
command agree on what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...workspace.finetuning import FinetuningDefaults
from ...workspace.naming import default_names
from ...workspace.parameters import InferenceParameters

CONTAINER_NAME = "inference"
VOLUME_NAME = "azurefile"
MOUNT_PATH = "/mount"
API_KEY_SECRET = "inference-api-key"
API_KEY_ENV = "INFERENCE_API_KEY"
CONSUMPTION_PROFILE = "Consumption"


@dataclass(frozen=True)
class ResourceNames:
    storage_account: str
    file_share: str
    log_analytics_workspace: str
    managed_environment: str
    environment_storage: str
    container_app: str


@dataclass(frozen=True)
class DesiredState:
    subscription_id: str
    resource_group: str
    resource_group_id: str
    location: str
    names: ResourceNames
    parameters: InferenceParameters
    # Names the user wrote (parameters file) - only these shared resources may be updated.
    named: frozenset[str]


def resolve_names(params: InferenceParameters, finetuning: FinetuningDefaults, resource_group_id: str,
                  *, same_place_as_finetuning: bool) -> tuple[ResourceNames, frozenset[str]]:
    defaults = default_names(resource_group_id)
    ft = finetuning if same_place_as_finetuning else FinetuningDefaults()
    named = frozenset(name for name in ("storageAccountName", "fileShareName", "acaLogAnalyticsName",
                                         "acaEnvironmentName", "acaEnvironmentStorageName", "acaAppName")
                      if getattr(params, name) is not None)
    names = ResourceNames(
        storage_account=params.storageAccountName or ft.storage_account or defaults.storage_account,
        file_share=params.fileShareName or ft.file_share or defaults.file_share,
        log_analytics_workspace=params.acaLogAnalyticsName or ft.log_analytics_workspace
        or defaults.log_analytics_workspace,
        managed_environment=params.acaEnvironmentName or ft.managed_environment or defaults.managed_environment,
        environment_storage=params.acaEnvironmentStorageName or ft.environment_storage
        or defaults.environment_storage,
        container_app=params.acaAppName or defaults.container_app,
    )
    return names, named


def container_command(params: InferenceParameters) -> tuple[list[str], list[str]]:
    """ACA runs `command` with `args`; the template joins defaultCommands into one bash line."""
    return ["/bin/bash", "-c"], [" && ".join(params.defaultCommands)]


def probes(params: InferenceParameters) -> list[dict[str, object]]:
    """Startup allows a GPU cold start (pip install + model load: minutes); readiness gates traffic."""
    http = {"path": "/health", "port": params.targetPort, "scheme": "HTTP"}
    return [
        {"type": "Startup", "httpGet": http, "initialDelaySeconds": 5, "periodSeconds": 10,
         "failureThreshold": 10, "timeoutSeconds": 5},
        {"type": "Readiness", "httpGet": http, "periodSeconds": 5, "failureThreshold": 3, "timeoutSeconds": 5},
        {"type": "Liveness", "httpGet": http, "periodSeconds": 30, "failureThreshold": 3, "timeoutSeconds": 10},
    ]


def gpu_profile(params: InferenceParameters) -> dict[str, object]:
    return {"name": params.workloadProfileName, "workloadProfileType": params.workloadProfileType,
            "minimumCount": 0, "maximumCount": params.maximumInstanceCount}


def container_env(params: InferenceParameters) -> list[dict[str, str]]:
    env = [{"name": v.name, "value": v.value} for v in params.environmentVariables if v.name != API_KEY_ENV]
    if params.endpointAuth == "apiKey":
        env.append({"name": API_KEY_ENV, "secretRef": API_KEY_SECRET})
    return env


def container_app_template(params: InferenceParameters, environment_storage: str) -> dict[str, object]:
    """The `template` part of the app: what a deploy compares to decide update vs restart."""
    command, args = container_command(params)
    return {
        "containers": [{
            "name": CONTAINER_NAME,
            "image": params.containerImage,
            "command": command,
            "args": args,
            "resources": {"cpu": params.containerCpu, "memory": params.containerMemory},
            "env": container_env(params),
            "volumeMounts": [{"volumeName": VOLUME_NAME, "mountPath": MOUNT_PATH}],
            "probes": probes(params),
        }],
        "scale": {"minReplicas": params.minReplicas, "maxReplicas": params.effective_max_replicas},
        "volumes": [{"name": VOLUME_NAME, "storageType": "AzureFile", "storageName": environment_storage}],
    }
