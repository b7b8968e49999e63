"""Microsoft.App through azure-mgmt-appcontainers: environments, storages, container apps, revisions, replicas."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .conftest import Azure, app_body, wait_for

SERVER = ["/bin/bash", "-c"]
SERVE_ARGS = ["exec python3 -m http.server $PORT --bind 127.0.0.1"]


def test_managed_environment_has_workload_profiles_and_storage(azure: Azure, place: dict[str, str]) -> None:
    client = azure.apps()
    env = client.managed_environments.get(place["group"], place["env"])
    assert env.provisioning_state == "Succeeded"
    assert [(p.name, p.workload_profile_type) for p in env.workload_profiles] == [
        ("Consumption", "Consumption"), ("GPU", "NC24-A100")]
    assert env.app_logs_configuration.log_analytics_configuration.shared_key is None  # never echoed back
    states = list(client.managed_environments.list_workload_profile_states(place["group"], place["env"]))
    assert {s.name for s in states} == {"Consumption", "GPU"}
    storage = client.managed_environments_storages.get(place["group"], place["env"], "files")
    assert (storage.properties.azure_file.account_name, storage.properties.azure_file.account_key) == (
        place["account"], None)
    assert [s.name for s in client.managed_environments_storages.list(place["group"], place["env"]).value] == ["files"]
    assert place["env"] in [e.name for e in client.managed_environments.list_by_resource_group(place["group"])]


def test_workload_profile_is_added_to_an_environment_by_patch(azure: Azure, place: dict[str, str]) -> None:
    client = azure.apps()
    env = client.managed_environments.get(place["group"], place["env"])
    profiles = [p.as_dict() for p in env.workload_profiles]
    updated = client.managed_environments.begin_update(place["group"], place["env"], {"properties": {
        "workloadProfiles": [*profiles, {"name": "GPU2", "workloadProfileType": "NC48-A100", "minimumCount": 0,
                                         "maximumCount": 2}]}}).result()
    assert "GPU2" in [p.name for p in updated.workload_profiles]
    assert updated.provisioning_state == "Succeeded"


def test_unknown_workload_profile_type_is_refused(azure: Azure, place: dict[str, str]) -> None:
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().managed_environments.begin_create_or_update(place["group"], "env-bad-profile", {
            "location": "westus3", "properties": {"workloadProfiles": [
                {"name": "GPU", "workloadProfileType": "H100-TURBO", "minimumCount": 0, "maximumCount": 1}]}}).result()
    assert (raised.value.status_code, raised.value.error.code) == (400, "InvalidWorkloadProfileType")


def test_environment_storage_of_missing_environment_answers_parent_resource_not_found(
        azure: Azure, place: dict[str, str]) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        azure.apps().managed_environments_storages.create_or_update(place["group"], "env-missing", "files", {
            "properties": {"azureFile": {"accountName": "a", "accountKey": "k", "shareName": "s",
                                         "accessMode": "ReadWrite"}}})
    assert raised.value.error.code == "ParentResourceNotFound"


def test_container_app_lifecycle_secrets_token_revisions_and_replicas(azure: Azure, place: dict[str, str]) -> None:
    client = azure.apps()
    group = place["group"]
    body = app_body(place["env_id"], SERVER, args=SERVE_ARGS, secrets=[{"name": "api-key", "value": "s3cret"}],
                    env=[{"name": "API_KEY", "secretRef": "api-key"}])
    app = client.container_apps.begin_create_or_update(group, "app-life", body).result()
    assert app.provisioning_state == "Succeeded"
    host, port = app.configuration.ingress.fqdn.split(":")
    assert host == "127.0.0.1" and int(port) > 0
    assert app.latest_revision_name.startswith("app-life--")
    assert [s.name for s in app.configuration.secrets] == ["api-key"]
    assert all(s.value is None for s in app.configuration.secrets)
    assert [(s.name, s.value) for s in client.container_apps.list_secrets(group, "app-life").value] == [
        ("api-key", "s3cret")]
    token = client.container_apps.get_auth_token(group, "app-life")
    assert token.token and token.expires
    assert app.event_stream_endpoint.startswith(azure.info.management_endpoint)

    revision = wait_for(lambda: (r := client.container_apps_revisions.get_revision(
        group, "app-life", app.latest_revision_name)).running_state == "Running" and r)
    assert (revision.active, revision.health_state, revision.replicas) == (True, "Healthy", 1)
    replicas = client.container_apps_revision_replicas.list_replicas(group, "app-life", revision.name).value
    assert len(replicas) == 1 and replicas[0].containers[0].ready
    assert client.container_apps_revision_replicas.get_replica(
        group, "app-life", revision.name, replicas[0].name).name == replicas[0].name

    # A template change makes a new revision on the same endpoint; the old one is deactivated.
    body["properties"]["template"]["containers"][0]["env"].append({"name": "VERSION", "value": "2"})
    updated = client.container_apps.begin_create_or_update(group, "app-life", body).result()
    assert updated.latest_revision_name != revision.name
    assert updated.configuration.ingress.fqdn == app.configuration.ingress.fqdn
    revisions = {r.name: r for r in client.container_apps_revisions.list_revisions(group, "app-life")}
    assert revisions[revision.name].active is False
    assert revisions[updated.latest_revision_name].active is True

    # A configuration-only change (secret value) keeps the revision.
    body["properties"]["configuration"]["secrets"] = [{"name": "api-key", "value": "rotated"}]
    same = client.container_apps.begin_create_or_update(group, "app-life", body).result()
    assert same.latest_revision_name == updated.latest_revision_name

    client.container_apps.begin_delete(group, "app-life").result()
    with pytest.raises(ResourceNotFoundError):
        client.container_apps.get(group, "app-life")


def test_patch_merges_into_the_app_and_makes_a_revision(azure: Azure, place: dict[str, str]) -> None:
    client = azure.apps()
    body = app_body(place["env_id"], SERVER, args=SERVE_ARGS)
    first = client.container_apps.begin_create_or_update(place["group"], "app-patch", body).result()
    container = body["properties"]["template"]["containers"][0]
    container["env"] = [{"name": "MODE", "value": "patched"}]
    patched = client.container_apps.begin_update(place["group"], "app-patch", {
        "properties": {"template": {"containers": [container]}}}).result()
    assert patched.latest_revision_name != first.latest_revision_name
    assert patched.template.containers[0].env[0].value == "patched"
    assert patched.template.volumes[0].storage_name == "files"  # untouched parts stay
    client.container_apps.begin_delete(place["group"], "app-patch").result()


def test_container_app_name_with_upper_case_is_refused(azure: Azure, place: dict[str, str]) -> None:
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().container_apps.begin_create_or_update(
            place["group"], "MyApp", app_body(place["env_id"], SERVER, args=SERVE_ARGS)).result()
    assert (raised.value.status_code, raised.value.error.code) == (400, "ContainerAppInvalidName")


def test_container_app_secret_ref_must_name_a_secret(azure: Azure, place: dict[str, str]) -> None:
    body = app_body(place["env_id"], SERVER, args=SERVE_ARGS, env=[{"name": "KEY", "secretRef": "nope"}])
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().container_apps.begin_create_or_update(place["group"], "app-badref", body).result()
    assert (raised.value.status_code, raised.value.error.code) == (400, "ContainerAppSecretRefNotFound")


def test_container_app_in_missing_environment_is_refused(azure: Azure, place: dict[str, str]) -> None:
    body = app_body(place["env_id"] + "-gone", SERVER, args=SERVE_ARGS)
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().container_apps.begin_create_or_update(place["group"], "app-noenv", body).result()
    assert (raised.value.status_code, raised.value.error.code) == (404, "ManagedEnvironmentNotFound")


def test_container_app_volume_needs_an_environment_storage(azure: Azure, place: dict[str, str]) -> None:
    body = app_body(place["env_id"], SERVER, args=SERVE_ARGS)
    body["properties"]["template"]["volumes"][0]["storageName"] = "missing"
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().container_apps.begin_create_or_update(place["group"], "app-novol", body).result()
    assert raised.value.error.code == "ManagedEnvironmentStorageNotFound"


def test_unknown_workload_profile_name_is_refused(azure: Azure, place: dict[str, str]) -> None:
    body = app_body(place["env_id"], SERVER, args=SERVE_ARGS)
    body["properties"]["workloadProfileName"] = "Nope"
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().container_apps.begin_create_or_update(place["group"], "app-noprofile", body).result()
    assert raised.value.error.code == "WorkloadProfileNotFound"


def test_missing_container_app_answers_resource_not_found(azure: Azure, place: dict[str, str]) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        azure.apps().container_apps.get(place["group"], "app-never")
    assert raised.value.error.code == "ResourceNotFound"


def test_environment_with_apps_cannot_be_deleted(azure: Azure, place: dict[str, str]) -> None:
    client = azure.apps()
    client.container_apps.begin_create_or_update(place["group"], "app-pin",
                                                 app_body(place["env_id"], SERVER, args=SERVE_ARGS)).result()
    with pytest.raises(HttpResponseError) as raised:
        client.managed_environments.begin_delete(place["group"], place["env"]).result()
    assert (raised.value.status_code, raised.value.error.code) == (409, "ManagedEnvironmentHasContainerApps")
    client.container_apps.begin_delete(place["group"], "app-pin").result()
