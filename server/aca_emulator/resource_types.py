"""The one table of what the local Azure serves: each resource type (its ARM type, its provider's api-versions
key, its naming rule) and each provider's api-versions. ARM routing, the handlers, the runtime and the server
all read it here; nothing else spells a type or a version."""

from __future__ import annotations

from dataclasses import dataclass

from azure_name_rules import ResourceKind

# The api-versions each provider answers, newest first. A version is listed when its wire format for what we
# serve is the one we implement: the ones our SDKs send, the ones templates declare (AI Toolkit's inference
# bicep: Microsoft.App 2023-11-02-preview, Storage 2023-01-01, OperationalInsights 2022-10-01), the ones with a
# spec under ../shared/azure-specs. Microsoft.App's list is the service's published versions from 2022-10-01
# on (the first with workload profiles and probes as we validate them).
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "microsoft.resources": ("2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-07-01", "2022-09-01",
                            "2021-04-01"),
    "subscriptions": ("2022-12-01", "2021-01-01", "2020-01-01", "2016-06-01"),
    "microsoft.storage": ("2026-09-01", "2025-08-01", "2025-06-01", "2025-01-01", "2024-01-01", "2023-05-01",
                          "2023-04-01", "2023-01-01", "2022-09-01", "2022-05-01", "2021-09-01"),
    "microsoft.operationalinsights": ("2025-07-01", "2025-02-01", "2023-09-01", "2022-10-01", "2021-12-01-preview",
                                      "2021-06-01", "2020-10-01", "2020-08-01"),
    "microsoft.app": ("2026-07-01", "2026-01-01", "2025-07-01", "2025-02-02-preview", "2025-01-01",
                      "2024-10-02-preview", "2024-08-02-preview", "2024-03-01", "2024-02-02-preview",
                      "2023-11-02-preview", "2023-08-01-preview", "2023-05-02-preview", "2023-05-01",
                      "2023-04-01-preview", "2022-11-01-preview", "2022-10-01"),
}


@dataclass(frozen=True)
class ResourceType:
    type: str  # as ARM spells it, e.g. "Microsoft.Storage/storageAccounts"
    name_rule: ResourceKind | None = None  # the naming rule a PUT checks, where the service has one

    @property
    def namespace(self) -> str:
        """The resource provider, e.g. "Microsoft.Storage"."""
        return self.type.split("/", 1)[0]

    @property
    def provider(self) -> str:
        """The key of API_VERSIONS."""
        return self.namespace.lower()

    @property
    def child_type(self) -> str:
        """The type without its namespace, as ARM names a parent's missing child ("storageAccounts/...")."""
        return self.type.split("/", 1)[1]

    @property
    def collection(self) -> str:
        """The URL template of a resource group's resources of this (top-level) type."""
        return "/subscriptions/{sub}/resourceGroups/{rg}/providers/" + self.type

    def id_in(self, group_id: str, name: str) -> str:
        """The id of a top-level resource `name` of this type in a resource group."""
        return f"{group_id}/providers/{self.type}/{name}"

    def child_id(self, parent_id: str, name: str) -> str:
        """The id of a child resource `name` of this type under its parent's id (the type's last segment):
        `<environment id>/storages/<name>`, `<app id>/revisions/<name>`."""
        return f"{parent_id}/{self.type.rsplit('/', 1)[1]}/{name}"


RESOURCE_GROUP = ResourceType("Microsoft.Resources/resourceGroups", ResourceKind.resource_group)
STORAGE_ACCOUNT = ResourceType("Microsoft.Storage/storageAccounts", ResourceKind.storage_account)
FILE_SERVICE = ResourceType("Microsoft.Storage/storageAccounts/fileServices")
FILE_SHARE = ResourceType("Microsoft.Storage/storageAccounts/fileServices/shares", ResourceKind.file_share)
LOG_ANALYTICS_WORKSPACE = ResourceType("Microsoft.OperationalInsights/workspaces",
                                       ResourceKind.log_analytics_workspace)
MANAGED_ENVIRONMENT = ResourceType("Microsoft.App/managedEnvironments", ResourceKind.managed_environment)
ENVIRONMENT_STORAGE = ResourceType("Microsoft.App/managedEnvironments/storages", ResourceKind.environment_storage)
WORKLOAD_PROFILE_STATE = ResourceType("Microsoft.App/managedEnvironments/workloadProfileStates")
AVAILABLE_WORKLOAD_PROFILE = ResourceType("Microsoft.App/locations/availableManagedEnvironmentsWorkloadProfileTypes")
CONTAINER_APP = ResourceType("Microsoft.App/containerApps", ResourceKind.container_app)
CONTAINER_APP_TOKEN = ResourceType("Microsoft.App/containerApps/accesstoken")
REVISION = ResourceType("Microsoft.App/containerApps/revisions")
REPLICA = ResourceType("Microsoft.App/containerApps/revisions/replicas")

RESOURCE_TYPES: tuple[ResourceType, ...] = (
    RESOURCE_GROUP, STORAGE_ACCOUNT, FILE_SERVICE, FILE_SHARE, LOG_ANALYTICS_WORKSPACE, MANAGED_ENVIRONMENT,
    ENVIRONMENT_STORAGE, WORKLOAD_PROFILE_STATE, AVAILABLE_WORKLOAD_PROFILE, CONTAINER_APP, CONTAINER_APP_TOKEN,
    REVISION, REPLICA)
