"""One class per resource the plan owns: read what exists, decide create/update/reuse, apply.

The SDK clients are async azure-mgmt-* clients from the one AzureSession; bodies are wire-format dicts.
Long-running operations are awaited through azure-core's pollers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from ...azure.errors import is_not_found
from ...azure.session import AzureSession
from ...errors import InputError
from .compare import differences
from .desired import (
    API_KEY_SECRET,
    CONSUMPTION_PROFILE,
    DesiredState,
    container_app_template,
    gpu_profile,
)

Action = Literal["create", "update", "reuse"]


@dataclass
class ResourceChange:
    key: str
    label: str
    name: str
    resource_id: str
    action: Action = "create"
    changes: list[str] = field(default_factory=list)
    current: dict[str, Any] | None = None
    status: str = "pending"  # pending | done | failed | skipped

    def describe(self) -> str:
        verb = {"create": "create", "update": "update", "reuse": "reuse"}[self.action]
        detail = f" ({', '.join(self.changes)})" if self.changes else ""
        return f"{verb:<7} {self.label} {self.name}{detail}"


def _wire(model: Any) -> dict[str, Any]:
    return model.as_dict() if hasattr(model, "as_dict") else dict(model)


async def _read(call: Any) -> dict[str, Any] | None:
    try:
        return _wire(await call)
    except Exception as error:  # noqa: BLE001 - only "not found" means absent
        if is_not_found(error):
            return None
        raise


class Resource:
    key: str
    label: str

    def __init__(self, session: AzureSession, desired: DesiredState) -> None:
        self.session = session
        self.desired = desired
        self.sub = desired.subscription_id
        self.rg = desired.resource_group
        self.change = ResourceChange(self.key, self.label, self.name, self.resource_id())

    @property
    def name(self) -> str:
        raise NotImplementedError

    def resource_id(self) -> str:
        raise NotImplementedError

    def _rg_id(self) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{self.rg}"

    async def read(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def decide(self, current: dict[str, Any]) -> list[str]:
        """What differs on an existing resource (empty = reuse)."""
        return []

    async def plan(self) -> ResourceChange:
        current = await self.read()
        self.change.current = current
        if current is None:
            self.change.action = "create"
        else:
            self.change.changes = self.decide(current)
            self.change.action = "update" if self.change.changes else "reuse"
        return self.change

    async def apply(self) -> None:
        raise NotImplementedError


class StorageAccount(Resource):
    key, label = "storage", "storage account"

    @property
    def name(self) -> str:
        return self.desired.names.storage_account

    def resource_id(self) -> str:
        return f"{self._rg_id()}/providers/Microsoft.Storage/storageAccounts/{self.name}"

    async def read(self) -> dict[str, Any] | None:
        return await _read(self.session.storage(self.sub).storage_accounts.get_properties(self.rg, self.name))

    async def apply(self) -> None:
        body = {"location": self.desired.location, "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
                "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
                               "supportsHttpsTrafficOnly": True}}
        poller = await self.session.storage(self.sub).storage_accounts.begin_create(self.rg, self.name, body)
        await poller.result()


class FileShare(Resource):
    key, label = "share", "file share"

    @property
    def name(self) -> str:
        return self.desired.names.file_share

    def resource_id(self) -> str:
        return (f"{self._rg_id()}/providers/Microsoft.Storage/storageAccounts/{self.desired.names.storage_account}"
                f"/fileServices/default/shares/{self.name}")

    async def read(self) -> dict[str, Any] | None:
        client = self.session.storage(self.sub)
        if await _read(client.storage_accounts.get_properties(self.rg, self.desired.names.storage_account)) is None:
            return None
        return await _read(client.file_shares.get(self.rg, self.desired.names.storage_account, self.name))

    async def apply(self) -> None:
        await self.session.storage(self.sub).file_shares.create(
            self.rg, self.desired.names.storage_account, self.name,
            {"properties": {"shareQuota": 1024, "enabledProtocols": "SMB"}})


class LogAnalyticsWorkspace(Resource):
    key, label = "logs", "Log Analytics workspace"

    @property
    def name(self) -> str:
        return self.desired.names.log_analytics_workspace

    def resource_id(self) -> str:
        return f"{self._rg_id()}/providers/Microsoft.OperationalInsights/workspaces/{self.name}"

    async def read(self) -> dict[str, Any] | None:
        return await _read(self.session.log_analytics(self.sub).workspaces.get(self.rg, self.name))

    async def apply(self) -> None:
        body = {"location": self.desired.location,
                "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}}
        poller = await self.session.log_analytics(self.sub).workspaces.begin_create_or_update(self.rg, self.name, body)
        await poller.result()


class ManagedEnvironment(Resource):
    key, label = "environment", "Container Apps environment"

    @property
    def name(self) -> str:
        return self.desired.names.managed_environment

    def resource_id(self) -> str:
        return f"{self._rg_id()}/providers/Microsoft.App/managedEnvironments/{self.name}"

    async def read(self) -> dict[str, Any] | None:
        return await _read(self.session.container_apps(self.sub).managed_environments.get(self.rg, self.name))

    def _profiles(self, current: dict[str, Any]) -> list[dict[str, Any]]:
        return list((current.get("properties") or {}).get("workloadProfiles") or [])

    def decide(self, current: dict[str, Any]) -> list[str]:
        profiles = self._profiles(current)
        params = self.desired.parameters
        if not profiles:
            raise InputError(
                f"The Container Apps environment '{self.name}' is a Consumption-only environment: Azure cannot add a "
                f"dedicated GPU workload profile ({params.workloadProfileType}) to it after creation. Set "
                "`acaEnvironmentName` in infra/provision/inference.parameters.json to a new name so provision creates "
                "a workload-profiles environment, or use an environment that has workload profiles.")
        wanted = gpu_profile(params)
        mine = next((p for p in profiles if str(p.get("name", "")).lower() == str(wanted["name"]).lower()), None)
        if mine is None:
            return [f"add workload profile {wanted['name']} ({wanted['workloadProfileType']})"]
        changes = [f"workload profile {wanted['name']}.{path}" for path in differences(wanted, mine)]
        return changes

    async def _log_analytics_config(self) -> dict[str, Any]:
        client = self.session.log_analytics(self.sub)
        workspace = _wire(await client.workspaces.get(self.rg, self.desired.names.log_analytics_workspace))
        keys = _wire(await client.shared_keys.get_shared_keys(self.rg, self.desired.names.log_analytics_workspace))
        return {"customerId": workspace["properties"]["customerId"], "sharedKey": keys["primarySharedKey"]}

    async def apply(self) -> None:
        client = self.session.container_apps(self.sub).managed_environments
        wanted = gpu_profile(self.desired.parameters)
        if self.change.action == "create":
            body = {"location": self.desired.location, "properties": {
                "appLogsConfiguration": {"destination": "log-analytics",
                                         "logAnalyticsConfiguration": await self._log_analytics_config()},
                "workloadProfiles": [{"name": CONSUMPTION_PROFILE, "workloadProfileType": CONSUMPTION_PROFILE}, wanted]}}
            poller = await client.begin_create_or_update(self.rg, self.name, body)
        else:
            profiles = [p for p in self._profiles(self.change.current or {})
                        if str(p.get("name", "")).lower() != str(wanted["name"]).lower()]
            poller = await client.begin_update(self.rg, self.name, {"properties": {"workloadProfiles": [*profiles, wanted]}})
        await poller.result()


class EnvironmentStorage(Resource):
    key, label = "environment-storage", "environment storage"

    @property
    def name(self) -> str:
        return self.desired.names.environment_storage

    def resource_id(self) -> str:
        return (f"{self._rg_id()}/providers/Microsoft.App/managedEnvironments/{self.desired.names.managed_environment}"
                f"/storages/{self.name}")

    def _wanted(self) -> dict[str, Any]:
        return {"accountName": self.desired.names.storage_account, "shareName": self.desired.names.file_share,
                "accessMode": "ReadWrite"}

    async def read(self) -> dict[str, Any] | None:
        client = self.session.container_apps(self.sub)
        if await _read(client.managed_environments.get(self.rg, self.desired.names.managed_environment)) is None:
            return None
        return await _read(client.managed_environments_storages.get(
            self.rg, self.desired.names.managed_environment, self.name))

    def decide(self, current: dict[str, Any]) -> list[str]:
        azure_file = (current.get("properties") or {}).get("azureFile") or {}
        return [f"azureFile.{path}" for path in differences(self._wanted(), azure_file)]

    async def apply(self) -> None:
        keys = _wire(await self.session.storage(self.sub).storage_accounts.list_keys(
            self.rg, self.desired.names.storage_account))
        account_key = keys["keys"][0]["value"]
        await self.session.container_apps(self.sub).managed_environments_storages.create_or_update(
            self.rg, self.desired.names.managed_environment, self.name,
            {"properties": {"azureFile": {**self._wanted(), "accountKey": account_key}}})


class ContainerApp(Resource):
    key, label = "app", "container app"

    @property
    def name(self) -> str:
        return self.desired.names.container_app

    def resource_id(self) -> str:
        return f"{self._rg_id()}/providers/Microsoft.App/containerApps/{self.name}"

    async def read(self) -> dict[str, Any] | None:
        return await _read(self.session.container_apps(self.sub).container_apps.get(self.rg, self.name))

    def _properties(self) -> dict[str, Any]:
        params = self.desired.parameters
        environment_id = (f"{self._rg_id()}/providers/Microsoft.App/managedEnvironments/"
                          f"{self.desired.names.managed_environment}")
        return {
            "environmentId": environment_id,
            "workloadProfileName": params.workloadProfileName,
            "configuration": {"activeRevisionsMode": "Single",
                              "ingress": {"external": True, "targetPort": params.targetPort, "transport": "auto",
                                          "allowInsecure": False}},
            "template": container_app_template(params, self.desired.names.environment_storage),
        }

    def decide(self, current: dict[str, Any]) -> list[str]:
        changes = differences(self._properties(), current.get("properties") or {})
        secret_names = {s.get("name") for s in ((current.get("properties") or {}).get("configuration") or {})
                        .get("secrets") or []}
        if self.desired.parameters.endpointAuth == "apiKey" and API_KEY_SECRET not in secret_names:
            changes.append(f"secret {API_KEY_SECRET}")
        return [c.replace("template.containers[0].", "container.") for c in changes]

    async def _secrets(self) -> list[dict[str, str]]:
        """Keep the API key generated once: reuse the app's secret when it has one."""
        existing: list[dict[str, str]] = []
        if self.change.current is not None:
            listed = _wire(await self.session.container_apps(self.sub).container_apps.list_secrets(self.rg, self.name))
            existing = [{"name": s["name"], "value": s["value"]} for s in listed.get("value", []) if "value" in s]
        if self.desired.parameters.endpointAuth == "apiKey" and not any(s["name"] == API_KEY_SECRET for s in existing):
            key = self.desired.parameters.apiKey or secrets.token_urlsafe(32)
            existing.append({"name": API_KEY_SECRET, "value": key})
        return existing

    async def apply(self) -> None:
        properties = self._properties()
        properties["configuration"]["secrets"] = await self._secrets()
        body = {"location": self.desired.location, "properties": properties}
        poller = await self.session.container_apps(self.sub).container_apps.begin_create_or_update(
            self.rg, self.name, body)
        self.change.current = _wire(await poller.result())
