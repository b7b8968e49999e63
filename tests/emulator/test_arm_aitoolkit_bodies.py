"""The AI Toolkit-shaped fixture's resources, sent as a deployment of its bicep sends them: generic
`PUT {resourceId}?api-version=<the bicep's>` through azure-mgmt-resource's `begin_create_or_update_by_id` (the
ARM poller of azure-core drives each long-running one), `POST {id}/listKeys`; every body comes back as sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import aitoolkit
from .aitoolkit import APP_VERSION, LOGS_VERSION, STORAGE_VERSION, Deployment, assert_echoes
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
    deployment.deploy(command="exec sleep 600")
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
    sent = deployment.deploy(command="exec sleep 600")
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
