"""The default names the bicep computes, and Azure's naming rules (from `azure_name_rules`, the leaf package the
emulator shares: one statement of the rules, so a name is refused with the same message before any network call
and by the local Azure)."""

from __future__ import annotations

from dataclasses import dataclass

from azure_name_rules import RULES, NameRule, ResourceKind, check_name

from .unique_string import unique_string

__all__ = ["RULES", "DefaultNames", "NameRule", "PREFIXES", "ResourceKind", "check_name", "default_names",
           "resource_group_id", "resource_suffix"]


# The bicep's prefixes (AI Toolkit templates, infra/provision/*.bicep): prefix + resourceSuffix.
PREFIXES: dict[str, str] = {
    "storage_account": "aistorage",
    "file_share": "aifileshare",
    "managed_environment": "aienv",
    "environment_storage": "aienvstorage",
    "container_app": "aiacaapp",
    "log_analytics_workspace": "ailog",
}


@dataclass(frozen=True)
class DefaultNames:
    storage_account: str
    file_share: str
    managed_environment: str
    environment_storage: str
    container_app: str
    log_analytics_workspace: str


def resource_suffix(resource_group_id: str) -> str:
    """The bicep's `substring(uniqueString(resourceGroup().id), 0, 5)`."""
    return unique_string(resource_group_id)[:5]


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    """`resourceGroup().id` as ARM renders it: the resource group name keeps the case it was created with."""
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def default_names(resource_group_id: str) -> DefaultNames:
    """The names the bicep gives every resource whose parameter is null, for this resource group id.

    uniqueString is case-sensitive and ARM hashes `resourceGroup().id` with the group name as Azure stores it, so
    pass the id Azure returns for the group (its `id` field), not one rebuilt from what a user typed.
    """
    suffix = resource_suffix(resource_group_id)
    return DefaultNames(**{field: prefix + suffix for field, prefix in PREFIXES.items()})
