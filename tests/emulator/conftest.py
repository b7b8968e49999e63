"""ARM/runtime/control tests: a local Azure per module, driven through the official azure-mgmt clients."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from aca_emulator.testing import running_emulator


class StaticToken:
    """The emulator accepts any well-formed bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("local-test-token", int(time.time()) + 3600)


@dataclass
class Azure:
    info: Any
    data_dir: Path

    @property
    def sub(self) -> str:
        return self.info.subscription_id

    def options(self) -> dict[str, Any]:
        return {"base_url": self.info.management_endpoint, "connection_verify": self.info.ca_path,
                "credential_scopes": [f"{self.info.management_endpoint}/.default"], "retry_total": 0}

    def resources(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(StaticToken(), self.sub, **self.options())

    def subscriptions(self) -> Any:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(StaticToken(), **self.options())

    def storage(self) -> Any:
        from azure.mgmt.storage import StorageManagementClient

        return StorageManagementClient(StaticToken(), self.sub, **self.options())

    def logs(self) -> Any:
        from azure.mgmt.loganalytics import LogAnalyticsManagementClient

        return LogAnalyticsManagementClient(StaticToken(), self.sub, **self.options())

    def apps(self) -> Any:
        from azure.mgmt.appcontainers import ContainerAppsAPIClient

        return ContainerAppsAPIClient(StaticToken(), self.sub, **self.options())

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        import json
        import ssl
        import urllib.request

        request = urllib.request.Request(f"{self.info.management_endpoint}/_emulator/{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=self.info.ca_path)
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def new_group(self, location: str = "westus3") -> str:
        name = f"rg-{uuid.uuid4().hex[:8]}"
        self.resources().resource_groups.create_or_update(name, {"location": location})
        return name


@pytest.fixture(scope="module")
def azure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azure]:
    data_dir = tmp_path_factory.mktemp("emulator")
    with running_emulator(data_dir, time_scale=0.001) as info:
        yield Azure(info, data_dir)


@pytest.fixture(scope="module")
def place(azure: Azure) -> dict[str, str]:
    """A resource group with a storage account, share, workspace, managed environment and its storage."""
    group = azure.new_group()
    return {"group": group, **provision_environment(azure, group)}


def provision_environment(azure: Azure, group: str, *, with_share: bool = True) -> dict[str, str]:
    """Storage account + share + Log Analytics + managed environment (+ storage): what an app needs."""
    suffix = uuid.uuid4().hex[:6]
    account, share, workspace, env = f"st{suffix}", "share", f"log-{suffix}", f"env-{suffix}"
    storage = azure.storage()
    storage.storage_accounts.begin_create(group, account, {"location": "westus3", "sku": {"name": "Standard_LRS"},
                                                           "kind": "StorageV2"}).result()
    if with_share:
        storage.file_shares.create(group, account, share, {"properties": {"shareQuota": 10}})
    key = storage.storage_accounts.list_keys(group, account).as_dict()["keys"][0]["value"]
    logs = azure.logs()
    ws = logs.workspaces.begin_create_or_update(group, workspace, {"location": "westus3"}).result()
    shared = logs.shared_keys.get_shared_keys(group, workspace)
    apps = azure.apps()
    apps.managed_environments.begin_create_or_update(group, env, {
        "location": "westus3",
        "properties": {"appLogsConfiguration": {"destination": "log-analytics", "logAnalyticsConfiguration": {
            "customerId": ws.customer_id, "sharedKey": shared.primary_shared_key}},
            "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"},
                                 {"name": "GPU", "workloadProfileType": "NC24-A100", "minimumCount": 0,
                                  "maximumCount": 1}]}}).result()
    apps.managed_environments_storages.create_or_update(group, env, "files", {"properties": {"azureFile": {
        "accountName": account, "accountKey": key, "shareName": share, "accessMode": "ReadWrite"}}})
    env_id = f"/subscriptions/{azure.sub}/resourceGroups/{group}/providers/Microsoft.App/managedEnvironments/{env}"
    return {"account": account, "share": share, "workspace": workspace, "env": env, "env_id": env_id, "key": key,
            "share_dir": str(azure.data_dir / "shares" / account / share)}


def app_body(env_id: str, command: list[str], *, args: list[str] | None = None, env: list[dict[str, str]] | None = None,
             secrets: list[dict[str, str]] | None = None, probes: list[dict[str, Any]] | None = None,
             target_port: int = 8080, image: str = "mcr.microsoft.com/azurelinux/base/python:3") -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": image, "command": command,
                                 "resources": {"cpu": 0.5, "memory": "1Gi"}, "env": env or [],
                                 "volumeMounts": [{"volumeName": "azurefile", "mountPath": "/mount"}]}
    if args is not None:
        container["args"] = args
    if probes is not None:
        container["probes"] = probes
    return {"location": "westus3", "properties": {
        "environmentId": env_id, "workloadProfileName": "Consumption",
        "configuration": {"activeRevisionsMode": "Single", "secrets": secrets or [],
                          "ingress": {"external": True, "targetPort": target_port}},
        "template": {"containers": [container], "scale": {"minReplicas": 0, "maxReplicas": 1},
                     "volumes": [{"name": "azurefile", "storageType": "AzureFile", "storageName": "files"}]}}}


def wait_for(predicate: Any, timeout: float = 30, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)


@pytest.fixture(scope="module")
def files(azure: Azure) -> Any:
    """A storage account of its own for each test module that uses it: the Files tests' endpoint, key and CA."""
    from tests.sync.files_endpoint import create_account

    return create_account(azure.info)
