"""What the daemon provisions: resource types, their ARM api versions, and the template parameters it reads.

The single source of truth shared by the provision engine and the templates in infra/provision/. The bicep
files are for users who deploy by hand; tests/workspace/test_bicep_drift.py parses them and fails when they
declare other resource types, other api versions or other parameters than this module (and the parameters
model in workspace/parameters.py) - so a hand deployment and `aca-inference provision` create the same
things. No Azure SDK is imported here (the daemon imports this at start-up).
"""

from __future__ import annotations

from dataclasses import dataclass

# Newest stable api versions with a spec under shared/azure-specs, and the defaults of the management SDKs the
# daemon uses (azure-mgmt-storage, azure-mgmt-loganalytics, azure-mgmt-appcontainers).
STORAGE_API_VERSION = "2026-09-01"
LOG_ANALYTICS_API_VERSION = "2025-07-01"
CONTAINER_APPS_API_VERSION = "2026-07-01"


@dataclass(frozen=True)
class ResourceSpec:
    key: str  # the provision engine's key for it (ops/provision/resources.py), or a template-only helper
    type: str  # ARM resource type, e.g. "Microsoft.App/containerApps"
    api_version: str
    parent: str | None = None  # key of the parent resource for child types

    @property
    def provider(self) -> str:
        return self.type.split("/", 1)[0]


# Every resource of the inference template, parents before children. The file service ("default") is not
# created on its own by the daemon - Azure has it with every storage account - but the bicep must declare it
# to parent the share, and it is part of the share's resource id.
INFERENCE_RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec("storage", "Microsoft.Storage/storageAccounts", STORAGE_API_VERSION),
    ResourceSpec("file-service", "Microsoft.Storage/storageAccounts/fileServices", STORAGE_API_VERSION, "storage"),
    ResourceSpec("share", "Microsoft.Storage/storageAccounts/fileServices/shares", STORAGE_API_VERSION,
                 "file-service"),
    ResourceSpec("logs", "Microsoft.OperationalInsights/workspaces", LOG_ANALYTICS_API_VERSION),
    ResourceSpec("environment", "Microsoft.App/managedEnvironments", CONTAINER_APPS_API_VERSION),
    ResourceSpec("environment-storage", "Microsoft.App/managedEnvironments/storages", CONTAINER_APPS_API_VERSION,
                 "environment"),
    ResourceSpec("app", "Microsoft.App/containerApps", CONTAINER_APPS_API_VERSION),
)

# The fine-tuning template: the shared resources plus its job. Inference never creates the job.
FINETUNING_RESOURCES: tuple[ResourceSpec, ...] = (
    *(spec for spec in INFERENCE_RESOURCES if spec.key != "app"),
    ResourceSpec("job", "Microsoft.App/jobs", CONTAINER_APPS_API_VERSION),
)

# api version per provider namespace: what the daemon's management clients should send.
API_VERSIONS: dict[str, str] = {
    "Microsoft.Storage": STORAGE_API_VERSION,
    "Microsoft.OperationalInsights": LOG_ANALYTICS_API_VERSION,
    "Microsoft.App": CONTAINER_APPS_API_VERSION,
}

# Parameters whose null value means "the bicep's default name": prefix + first 5 chars of
# uniqueString(resourceGroup().id). Values are workspace.naming.DefaultNames fields.
DEFAULT_NAME_PARAMETERS: dict[str, str] = {
    "storageAccountName": "storage_account",
    "fileShareName": "file_share",
    "acaEnvironmentName": "managed_environment",
    "acaEnvironmentStorageName": "environment_storage",
    "acaAppName": "container_app",
    "acaLogAnalyticsName": "log_analytics_workspace",
}

# What the daemon reads from infra/provision/finetuning.parameters.json (workspace/finetuning.py): the
# fine-tuning template must declare each of these, with the same default names as the inference template.
FINETUNING_PARAMETER_NAMES: tuple[str, ...] = (
    "location",
    "storageAccountName",
    "fileShareName",
    "acaEnvironmentName",
    "acaEnvironmentStorageName",
    "acaLogAnalyticsName",
)
