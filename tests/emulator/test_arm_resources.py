"""Subscriptions and resource groups through azure-mgmt-resource, and the ARM answers to bad requests."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from .conftest import Azure


def test_subscription_list_has_the_local_subscription(azure: Azure) -> None:
    subs = list(azure.subscriptions().subscriptions.list())
    assert [(s.subscription_id, s.display_name, s.state) for s in subs] == [
        ("5f6c8d2a-0000-4000-8000-00000000aca0", "Local emulator subscription", "Enabled")]
    assert azure.subscriptions().subscriptions.get(azure.sub).display_name == "Local emulator subscription"


def test_resource_group_is_created_read_listed_and_deleted(azure: Azure) -> None:
    client = azure.resources()
    created = client.resource_groups.create_or_update("rg-Lifecycle", {"location": "West US 3", "tags": {"a": "b"}})
    assert created.id == f"/subscriptions/{azure.sub}/resourceGroups/rg-Lifecycle"
    assert (created.location, created.properties.provisioning_state, created.tags) == ("westus3", "Succeeded",
                                                                                        {"a": "b"})
    assert client.resource_groups.get("RG-LIFECYCLE").name == "rg-Lifecycle"  # ARM names are case-insensitive
    assert "rg-Lifecycle" in [g.name for g in client.resource_groups.list()]
    assert client.resource_groups.check_existence("rg-lifecycle") is True
    client.resource_groups.begin_delete("rg-lifecycle").result()
    assert client.resource_groups.check_existence("rg-lifecycle") is False


def test_deleting_a_resource_group_deletes_what_is_in_it(azure: Azure) -> None:
    group = azure.new_group()
    azure.storage().storage_accounts.begin_create(group, "stdeleteme", {
        "location": "westus3", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}).result()
    azure.storage().file_shares.create(group, "stdeleteme", "data", {})
    assert (azure.data_dir / "shares" / "stdeleteme" / "data").is_dir()
    azure.resources().resource_groups.begin_delete(group).result()
    assert not (azure.data_dir / "shares" / "stdeleteme").exists()
    azure.resources().resource_groups.create_or_update(group, {"location": "westus3"})
    with pytest.raises(ResourceNotFoundError):
        azure.storage().storage_accounts.get_properties(group, "stdeleteme")


def test_missing_resource_group_answers_resource_group_not_found(azure: Azure) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        azure.resources().resource_groups.get("rg-does-not-exist")
    assert raised.value.error.code == "ResourceGroupNotFound"
    assert "rg-does-not-exist" in raised.value.error.message


def test_resource_group_name_breaking_azure_rules_is_refused(azure: Azure) -> None:
    with pytest.raises(HttpResponseError) as raised:
        azure.resources().resource_groups.create_or_update("bad name!", {"location": "westus3"})
    assert raised.value.status_code == 400
    assert raised.value.error.code == "InvalidResourceGroup"


def test_resource_group_cannot_move_to_another_location(azure: Azure) -> None:
    group = azure.new_group("westus3")
    with pytest.raises(HttpResponseError) as raised:
        azure.resources().resource_groups.create_or_update(group, {"location": "eastus"})
    assert (raised.value.status_code, raised.value.error.code) == (409, "InvalidResourceGroupLocation")


def test_unknown_location_is_refused(azure: Azure) -> None:
    with pytest.raises(HttpResponseError) as raised:
        azure.resources().resource_groups.create_or_update("rg-nowhere", {"location": "atlantis"})
    assert raised.value.status_code == 400
    assert "atlantis" in raised.value.error.message


def _raw(azure: Azure, method: str, url: str, **kwargs: object) -> object:
    client = azure.resources()
    return client._client.send_request(HttpRequest(method, url, **kwargs))  # type: ignore[arg-type]


def test_unknown_api_version_answers_invalid_api_version_parameter(azure: Azure) -> None:
    response = _raw(azure, "GET", f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourcegroups"
                                  "?api-version=2099-01-01")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert "2025-04-01" in response.json()["error"]["message"]


def test_unknown_provider_api_version_answers_no_registered_provider_found(azure: Azure) -> None:
    group = azure.new_group()
    response = _raw(azure, "GET", f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourceGroups/{group}"
                                  "/providers/Microsoft.App/containerApps/x?api-version=1999-01-01")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert "2026-07-01" in response.json()["error"]["message"]


def test_missing_api_version_is_refused(azure: Azure) -> None:
    response = _raw(azure, "GET", f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourcegroups")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "MissingApiVersionParameter")


def test_unknown_resource_type_answers_404_invalid_resource_type(azure: Azure) -> None:
    group = azure.new_group()
    response = _raw(azure, "GET", f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourceGroups/{group}"
                                  "/providers/Microsoft.App/spaceships/x?api-version=2026-07-01")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "InvalidResourceType"


def test_body_that_is_not_json_answers_400_in_the_arm_envelope(azure: Azure) -> None:
    response = _raw(azure, "PUT", f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourcegroups/rg-x"
                                  "?api-version=2025-04-01", content=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()["error"]) >= {"code", "message"}


def test_request_without_a_bearer_token_is_refused(azure: Azure) -> None:
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=azure.info.ca_path)
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{azure.info.management_endpoint}/subscriptions?api-version=2022-12-01",
                               context=context)
    assert raised.value.code == 401
