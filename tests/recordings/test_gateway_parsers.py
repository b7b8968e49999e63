"""The gateway's parsers read every real GET answer Azure gave (../shared/azure-recordings) right: container
apps (latest ready revision, traffic, FQDN, provisioning state), revisions, replicas (running state), managed
environments (workload profiles, provisioning state) and their storages."""

from __future__ import annotations

from typing import Any

import pytest

from aca_inference.azure.arm_resources import property_at, provisioning_state
from aca_inference.azure.container_apps import ContainerApp, Replica, Revision, WorkloadProfile

from .cassettes import missing_reason, recorded_get_bodies

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")


def _bodies(kind: str) -> list[tuple[str, int, dict[str, Any]]]:
    return list(recorded_get_bodies(kind)) if missing_reason() is None else []


def _ids(found: list[tuple[str, int, dict[str, Any]]]) -> list[str]:
    return [f"{name.removesuffix('.yaml')}#{index}-{body.get('name')}" for name, index, body in found]


APPS, REVISIONS, REPLICAS = _bodies("containerApps"), _bodies("revisions"), _bodies("replicas")
ENVIRONMENTS, STORAGES = _bodies("managedEnvironments"), _bodies("storages")


def test_the_recordings_hold_real_answers_of_every_kind_the_gateway_reads() -> None:
    assert len(APPS) >= 50 and len(REVISIONS) >= 10 and len(REPLICAS) >= 3
    assert len(ENVIRONMENTS) >= 30 and len(STORAGES) >= 1


@pytest.mark.parametrize("found", APPS, ids=_ids(APPS))
def test_a_container_app_is_read_as_azure_answered_it(found: tuple[str, int, dict[str, Any]]) -> None:
    _, _, body = found
    properties = body["properties"]
    app = ContainerApp.from_arm(body)
    assert app.name == body["name"] and app.id == body["id"]
    assert app.provisioning_state == properties["provisioningState"] == "Succeeded"
    assert app.revisions_mode == properties["configuration"]["activeRevisionsMode"]
    assert app.latest_revision_name == properties["latestRevisionName"]
    # Azure keeps naming the last revision that was ready while a newer one is not yet.
    assert app.latest_ready_revision_name == (properties.get("latestReadyRevisionName") or None)
    assert app.latest_revision == (properties.get("latestReadyRevisionName") or properties["latestRevisionName"])
    assert app.environment_id.lower() == properties["environmentId"].lower()
    ingress = properties["configuration"].get("ingress")
    if ingress is None:
        assert app.fqdn is None and app.endpoint is None and app.traffic == []
    else:
        assert app.fqdn == ingress["fqdn"] and app.endpoint == f"https://{ingress['fqdn']}"
        assert sum(t.weight for t in app.traffic) == 100
        named = {t.revision for t in app.traffic if t.revision}
        assert named == {t["revisionName"] for t in ingress["traffic"] if not t.get("latestRevision")}
    assert app.scale.get("maxReplicas") == properties["template"]["scale"]["maxReplicas"] == app.max_replicas
    # Azure answers null for a minReplicas nobody set: ACA's default, 0, not "None".
    assert app.min_replicas == (properties["template"]["scale"].get("minReplicas") or 0)
    assert [c["name"] for c in app.containers] == [c["name"] for c in properties["template"]["containers"]]


@pytest.mark.parametrize("found", REVISIONS, ids=_ids(REVISIONS))
def test_a_revision_is_read_as_azure_answered_it(found: tuple[str, int, dict[str, Any]]) -> None:
    _, _, body = found
    properties = body["properties"]
    revision = Revision.from_arm(body)
    assert revision.name == body["name"]
    assert revision.active is properties["active"]
    assert revision.traffic_weight == properties.get("trafficWeight", 0)
    assert revision.fqdn == properties["fqdn"] and revision.url == f"https://{properties['fqdn']}"
    assert revision.running_state == properties["runningState"] and revision.replicas == properties["replicas"]
    assert revision.created == properties["createdTime"]
    if not revision.active:
        assert revision.running_state == "Stopped" and revision.replicas == 0


@pytest.mark.parametrize("found", REPLICAS, ids=_ids(REPLICAS))
def test_a_replica_is_read_as_azure_answered_it(found: tuple[str, int, dict[str, Any]]) -> None:
    _, _, body = found
    properties = body["properties"]
    replica = Replica.from_arm(body)
    assert replica.name == body["name"]
    assert replica.running_state == properties["runningState"] == "Running"
    assert replica.ready is all(c["ready"] for c in properties["containers"]) is True
    assert replica.restart_count == max(c["restartCount"] for c in properties["containers"])
    assert replica.created is not None and replica.created.tzinfo is not None


@pytest.mark.parametrize("found", ENVIRONMENTS, ids=_ids(ENVIRONMENTS))
def test_a_managed_environment_is_read_as_azure_answered_it(found: tuple[str, int, dict[str, Any]]) -> None:
    _, _, body = found
    assert provisioning_state(body) == body["properties"]["provisioningState"]
    profiles = body["properties"].get("workloadProfiles")  # null for a Consumption-only environment
    for entry in profiles or []:
        profile = WorkloadProfile.in_environment(body, entry["name"].upper())
        assert profile is not None and profile.type == entry["workloadProfileType"]
        assert profile.dedicated is (entry["workloadProfileType"] != "Consumption")
        if profile.dedicated:
            assert profile.maximum_count == entry["maximumCount"]
    assert WorkloadProfile.in_environment(body, "no-such-profile") is None


@pytest.mark.parametrize("found", STORAGES, ids=_ids(STORAGES))
def test_an_environment_storage_is_read_as_azure_answered_it(found: tuple[str, int, dict[str, Any]]) -> None:
    _, _, body = found
    azure_file = property_at(body, "azureFile")
    assert {k: azure_file[k] for k in ("accountName", "shareName", "accessMode")} == body["properties"]["azureFile"]
    assert "accountKey" not in azure_file  # Azure never returns the key
    assert provisioning_state(body) == "Succeeded"  # storages carry no state: there is nothing to wait for
