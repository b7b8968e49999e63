"""The AI Toolkit-shaped fixture's resources, sent as a deployment of its bicep sends them: generic
`PUT {resourceId}?api-version=<the bicep's>` through azure-mgmt-resource's `begin_create_or_update_by_id` (the
ARM poller of azure-core drives each long-running one), `POST {id}/listKeys`; every body comes back as sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.rest import HttpRequest

from . import aitoolkit
from .aitoolkit import APP_VERSION, LOGS_VERSION, STORAGE_VERSION, Names, assert_echoes
from .conftest import Azure

SLOW = ("storage_account", "log_analytics_workspace", "managed_environment", "container_app",
        "container_app_update", "managed_environment_update")


@pytest.fixture
def slow_operations(azure: Azure) -> Iterator[None]:
    """Every long-running create takes 1.2 s of wall time: answered 201/202 and polled, not done inline."""
    scale = azure.admin("GET", "time-scale")["time_scale"]
    before = azure.admin("GET", "durations")["durations"]
    azure.admin("POST", "durations", {k: 1.2 / scale for k in SLOW})
    yield
    azure.admin("POST", "durations", {k: before[k] for k in SLOW})


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

    def deploy(self) -> dict[str, dict[str, Any]]:
        """Every resource of the bicep in its dependency order; (resource id -> (version, sent body))."""
        n, where = self.names, "westus3"
        sent: dict[str, Any] = {}

        def put(resource_id: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
            sent[resource_id] = (version, body)
            got = self.put(resource_id, version, body)
            assert_echoes(body, got)
            return got

        put(n.account_id(), STORAGE_VERSION, aitoolkit.storage_account(where))
        put(n.file_service_id(), STORAGE_VERSION, aitoolkit.file_service())
        put(n.share_id(), STORAGE_VERSION, aitoolkit.share())
        workspace = put(n.workspace_id(), LOGS_VERSION, aitoolkit.workspace(where))
        keys = self.post(f"{n.workspace_id()}/listKeys", LOGS_VERSION)  # bicep: workspace.listKeys()
        account_key = self.post(f"{n.account_id()}/listKeys", STORAGE_VERSION)["keys"][0]["value"]
        put(n.env_id(), APP_VERSION, aitoolkit.environment(where, workspace["properties"]["customerId"],
                                                           keys["primarySharedKey"]))
        put(n.env_storage_id(), APP_VERSION, aitoolkit.environment_storage(n, account_key))
        put(n.app_id(), APP_VERSION, aitoolkit.container_app(n, where, command="exec sleep 600"))
        return sent


def test_workspace_list_keys_answers_the_shared_keys(azure: Azure) -> None:
    deployment = Deployment(azure)
    n = deployment.names
    deployment.put(n.workspace_id(), LOGS_VERSION, aitoolkit.workspace("westus3"))
    keys = deployment.post(f"{n.workspace_id()}/listKeys", LOGS_VERSION)
    shared = azure.logs().shared_keys.get_shared_keys(n.group, n.workspace)
    assert (keys["primarySharedKey"], keys["secondarySharedKey"]) == (shared.primary_shared_key,
                                                                    shared.secondary_shared_key)


def test_fixture_resources_round_trip_at_the_bicep_api_versions_through_the_arm_poller(
        azure: Azure, slow_operations: None) -> None:
    deployment = Deployment(azure)
    mark = azure.admin("GET", "requests")["last"]
    deployment.deploy()
    calls = [c for c in azure.admin("GET", f"requests?since={mark}")["requests"] if c["port"] == "management"]
    first_answers = {c["path"].split("/providers/")[-1].split("/")[1]: c["status"] for c in calls
                     if c["method"] == "PUT" and c["path"].count("/") == 8}
    # The slow creates were long-running operations (answered 201/202, then polled), not done inline.
    assert first_answers == {"storageAccounts": 202, "workspaces": 201, "managedEnvironments": 201,
                             "containerApps": 201}
    assert any("operationResults" in c["path"] for c in calls) and any("operationStatuses" in c["path"]
                                                                       for c in calls)
    n = deployment.names
    app = deployment.get(n.app_id(), APP_VERSION)
    assert app["identity"] == {"type": "None"}
    assert app["properties"]["template"]["scale"]["rules"] is None  # echoed as ACA does, not invented
    assert app["properties"]["latestRevisionName"].startswith(f"{n.app}--")  # revisionSuffix '' = generated
    service = deployment.get(n.file_service_id(), STORAGE_VERSION)
    assert service["properties"]["shareDeleteRetentionPolicy"] == {"enabled": True, "days": 7}
    assert "cors" in service["properties"] and "protocolSettings" in service["properties"]
    azure.apps().container_apps.begin_delete(n.group, n.app).result()


def test_deploying_the_fixture_twice_converges(azure: Azure) -> None:
    deployment = Deployment(azure)
    sent = deployment.deploy()
    revision = deployment.get(deployment.names.app_id(), APP_VERSION)["properties"]["latestRevisionName"]
    for resource_id, (version, body) in sent.items():
        if "/listKeys" in resource_id:
            continue
        assert_echoes(body, deployment.put(resource_id, version, body))
    app = deployment.get(deployment.names.app_id(), APP_VERSION)
    assert app["properties"]["latestRevisionName"] == revision  # same template: no new revision
    azure.apps().container_apps.begin_delete(deployment.names.group, deployment.names.app).result()


def test_file_service_properties_are_stored_and_merged(azure: Azure) -> None:
    deployment = Deployment(azure)
    n = deployment.names
    deployment.put(n.account_id(), STORAGE_VERSION, aitoolkit.storage_account("westus3"))
    assert deployment.get(n.file_service_id(), STORAGE_VERSION)["properties"]["shareDeleteRetentionPolicy"] == {
        "enabled": True, "days": 7}  # the service's default before anyone sets it
    cors = {"corsRules": [{"allowedOrigins": ["https://example.org"], "allowedMethods": ["GET"],
                           "allowedHeaders": ["*"], "exposedHeaders": ["*"], "maxAgeInSeconds": 60}]}
    deployment.put(n.file_service_id(), STORAGE_VERSION, {"properties": {
        "shareDeleteRetentionPolicy": {"enabled": True, "days": 14}, "cors": cors,
        "protocolSettings": {"smb": {"versions": "SMB3.0;SMB3.1.1"}}}})
    got = deployment.put(n.file_service_id(), STORAGE_VERSION, {"properties": {"cors": cors}})
    assert got["properties"]["shareDeleteRetentionPolicy"] == {"enabled": True, "days": 14}
    assert got["properties"]["protocolSettings"] == {"smb": {"versions": "SMB3.0;SMB3.1.1"}}
    assert got["properties"]["cors"] == cors
