"""The request bodies of the AI Toolkit-shaped fixture (tests/fixtures/aitoolkit_project/infra/provision/
inference.bicep with its parameters file), written out as ARM receives them from a deployment of that bicep:
each resource at the api-version the bicep declares, nulls and all."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azure.core.rest import HttpRequest

if TYPE_CHECKING:
    from .conftest import Azure

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "aitoolkit_project"
APP_VERSION, STORAGE_VERSION, LOGS_VERSION = "2023-11-02-preview", "2023-01-01", "2022-10-01"


def default_command() -> str:
    parameters = json.loads((FIXTURE / "infra" / "provision" / "inference.parameters.json").read_text())
    return "; ".join(parameters["parameters"]["defaultCommands"]["value"])  # the bicep's join(..., '; ')


@dataclass(frozen=True)
class Names:
    sub: str
    group: str
    suffix: str

    @property
    def group_id(self) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{self.group}"

    @property
    def account(self) -> str:
        return f"aistorage{self.suffix}"

    @property
    def share(self) -> str:
        return f"aifileshare{self.suffix}"

    @property
    def env(self) -> str:
        return f"aienv{self.suffix}"

    @property
    def env_storage(self) -> str:
        return f"aienvstorage{self.suffix}"

    @property
    def app(self) -> str:
        return f"aiacaapp{self.suffix}"

    @property
    def workspace(self) -> str:
        return f"ailog{self.suffix}"

    def account_id(self) -> str:
        return f"{self.group_id}/providers/Microsoft.Storage/storageAccounts/{self.account}"

    def file_service_id(self) -> str:
        return f"{self.account_id()}/fileServices/default"

    def share_id(self) -> str:
        return f"{self.file_service_id()}/shares/{self.share}"

    def workspace_id(self) -> str:
        return f"{self.group_id}/providers/Microsoft.OperationalInsights/workspaces/{self.workspace}"

    def env_id(self) -> str:
        return f"{self.group_id}/providers/Microsoft.App/managedEnvironments/{self.env}"

    def env_storage_id(self) -> str:
        return f"{self.env_id()}/storages/{self.env_storage}"

    def app_id(self) -> str:
        return f"{self.group_id}/providers/Microsoft.App/containerApps/{self.app}"


def storage_account(location: str) -> dict[str, Any]:
    return {"location": location, "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
            "properties": {"largeFileSharesState": "Enabled"}}


def file_service() -> dict[str, Any]:
    return {"properties": {"shareDeleteRetentionPolicy": {"enabled": True, "days": 7}}}


def share() -> dict[str, Any]:
    return {"properties": {"shareQuota": 1024}}


def workspace(location: str) -> dict[str, Any]:
    return {"location": location, "properties": {"sku": {"name": "PerGB2018"}}}


def environment(location: str, customer_id: str, shared_key: str, *, maximum_instances: int = 1) -> dict[str, Any]:
    return {"location": location, "properties": {
        "zoneRedundant": False, "vnetConfiguration": None,
        "appLogsConfiguration": {"destination": "log-analytics", "logAnalyticsConfiguration": {
            "customerId": customer_id, "sharedKey": shared_key}},
        "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"},
                             {"name": "GPU", "workloadProfileType": "NC24-A100", "minimumCount": 0,
                              "maximumCount": maximum_instances}]}}


def environment_storage(names: Names, account_key: str) -> dict[str, Any]:
    return {"properties": {"azureFile": {"accountName": names.account, "accountKey": account_key,
                                         "shareName": names.share, "accessMode": "ReadWrite"}}}


def _http_probe(kind: str, **timing: int) -> dict[str, Any]:
    return {"type": kind, "httpGet": {"path": "/", "port": 7860, "scheme": "HTTP"}, **timing}


def container_app(names: Names, location: str, *, command: str | None = None) -> dict[str, Any]:
    return {"location": location, "identity": {"type": "None"}, "properties": {
        "environmentId": names.env_id(), "workloadProfileName": "GPU",
        "configuration": {
            "activeRevisionsMode": "Single", "secrets": None,
            "ingress": {"external": True, "targetPort": 7860, "exposedPort": 0, "allowInsecure": False,
                        "transport": "Auto", "traffic": [{"weight": 100, "latestRevision": True}]},
            "maxInactiveRevisions": 100},
        "template": {
            "revisionSuffix": "",
            "containers": [{
                "name": names.app, "image": "docker.io/pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime",
                "command": ["/bin/bash", "-c", command if command is not None else default_command()],
                "resources": {"cpu": 24, "memory": "220Gi"},
                "probes": [
                    _http_probe("Liveness", initialDelaySeconds=60, periodSeconds=10, timeoutSeconds=1,
                                successThreshold=1, failureThreshold=3),
                    _http_probe("Readiness", initialDelaySeconds=60, periodSeconds=10, failureThreshold=3),
                    _http_probe("Startup", initialDelaySeconds=60, periodSeconds=120, failureThreshold=10)],
                "volumeMounts": [{"volumeName": f"{names.share}volume", "mountPath": "/mount"}]}],
            "scale": {"minReplicas": 1, "maxReplicas": 1, "rules": None},
            "volumes": [{"name": f"{names.share}volume", "storageName": names.env_storage,
                         "storageType": "AzureFile"}]}}}


SECRETS = {"sharedKey", "accountKey"}  # sent, never returned


def assert_echoes(sent: Any, got: Any, path: str = "$") -> None:
    """Everything that was sent (nulls excepted: they mean "not set") comes back as sent."""
    if isinstance(sent, dict):
        assert isinstance(got, dict), f"{path}: expected an object, found {got!r}"
        for key, value in sent.items():
            if value is None or key in SECRETS:
                continue
            assert key in got, f"{path}.{key}: sent {value!r}, missing from {sorted(got)}"
            assert_echoes(value, got[key], f"{path}.{key}")
    elif isinstance(sent, list):
        assert isinstance(got, list) and len(got) == len(sent), f"{path}: sent {sent!r}, found {got!r}"
        for index, (item, found) in enumerate(zip(sent, got, strict=True)):
            assert_echoes(item, found, f"{path}[{index}]")
    else:
        assert got == sent, f"{path}: sent {sent!r}, found {got!r}"


class Deployment:
    """What a template deployment does, resource by resource, with the generic resources client."""

    def __init__(self, azure: Azure) -> None:
        self.azure = azure
        self.client = azure.resources()
        self.names = Names(azure.sub, azure.new_group(), uuid.uuid4().hex[:5])

    def put(self, resource_id: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        self.client.resources.begin_create_or_update_by_id(resource_id, body, api_version=version).result()
        return self.get(resource_id, version)

    def get(self, resource_id: str, version: str) -> dict[str, Any]:
        response = self.client.send_request(HttpRequest("GET", f"{resource_id}?api-version={version}"))
        assert response.status_code == 200, response.text()
        return dict(response.json())

    def post(self, path: str, version: str) -> dict[str, Any]:
        response = self.client.send_request(HttpRequest("POST", f"{path}?api-version={version}"))
        assert response.status_code == 200, response.text()
        return dict(response.json())

    def deploy(self, *, command: str | None = None) -> dict[str, Any]:
        """Every resource of the bicep in its dependency order; (resource id -> (version, sent body))."""
        n, where = self.names, "westus3"
        sent: dict[str, Any] = {}

        def put(resource_id: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
            sent[resource_id] = (version, body)
            got = self.put(resource_id, version, body)
            assert_echoes(body, got)
            return got

        put(n.account_id(), STORAGE_VERSION, storage_account(where))
        put(n.file_service_id(), STORAGE_VERSION, file_service())
        put(n.share_id(), STORAGE_VERSION, share())
        logs = put(n.workspace_id(), LOGS_VERSION, workspace(where))
        keys = self.post(f"{n.workspace_id()}/listKeys", LOGS_VERSION)  # bicep: workspace.listKeys()
        account_key = self.post(f"{n.account_id()}/listKeys", STORAGE_VERSION)["keys"][0]["value"]
        put(n.env_id(), APP_VERSION, environment(where, logs["properties"]["customerId"], keys["primarySharedKey"]))
        put(n.env_storage_id(), APP_VERSION, environment_storage(n, account_key))
        put(n.app_id(), APP_VERSION, container_app(n, where, command=command))
        return sent
