"""What ARM says about the subscription before a provider sees a request, read by the official SDKs: provider
registration (and MissingSubscriptionRegistration on a write), storage name availability (and
StorageAccountAlreadyTaken), the caller's permissions (and AuthorizationFailed), the workload profile types a
location offers (and WorkloadProfileTypeNotSupported) and the GPU usages and quota (and MaxRegionalQuotaExceeded),
each settable through /_emulator/subscription-state."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from .conftest import Azure


@pytest.fixture
def state(azure: Azure) -> Iterator[Azure]:
    yield azure
    azure.admin("DELETE", "subscription-state")


def _environment(location: str, profile_type: str, maximum: int) -> dict[str, object]:
    return {"location": location, "properties": {"workloadProfiles": [
        {"name": "Consumption", "workloadProfileType": "Consumption"},
        {"name": "GPU", "workloadProfileType": profile_type, "minimumCount": 0, "maximumCount": maximum}]}}


def _refusal(error: pytest.ExceptionInfo[HttpResponseError]) -> tuple[int, str, dict[str, object]]:
    body = json.loads(error.value.response.text())
    return error.value.status_code, body["error"]["code"], body["error"]


def test_providers_are_registered_by_default_and_register_when_asked(state: Azure) -> None:
    providers = state.resources().providers
    app = providers.get("Microsoft.App")
    assert app.registration_state == "Registered"
    catalog = next(t for t in app.resource_types
                   if t.resource_type == "locations/availableManagedEnvironmentsWorkloadProfileTypes")
    assert "West US 3" in catalog.locations
    state.admin("POST", "subscription-state", {"unregistered_providers": ["Microsoft.App"]})
    assert providers.get("microsoft.app").registration_state == "NotRegistered"
    assert providers.register("Microsoft.App").registration_state == "Registering"
    assert providers.get("Microsoft.App").registration_state == "Registered"
    with pytest.raises(HttpResponseError) as unknown:
        providers.get("Microsoft.Nothing")
    assert _refusal(unknown)[:2] == (404, "InvalidResourceNamespace")


def test_a_write_to_an_unregistered_namespace_is_refused_as_arm_does(state: Azure) -> None:
    group = state.new_group()
    state.admin("POST", "subscription-state", {"unregistered_providers": ["Microsoft.App"]})
    with pytest.raises(HttpResponseError) as refused:
        state.apps().managed_environments.begin_create_or_update(group, "env-unregistered",
                                                                 _environment("westus3", "D4", 1))
    status, code, error = _refusal(refused)
    assert (status, code) == (409, "MissingSubscriptionRegistration")
    assert error["message"] == ("The subscription is not registered to use namespace 'Microsoft.App'. See "
                                "https://aka.ms/rps-not-found for how to register subscriptions.")
    assert error["details"] == [{"code": "MissingSubscriptionRegistration", "target": "Microsoft.App",
                                 "message": error["message"]}]
    with pytest.raises(HttpResponseError) as read:  # ARM routes nothing to it, reads included
        list(state.apps().available_workload_profiles.get("westus3"))
    assert _refusal(read)[:2] == (409, "MissingSubscriptionRegistration")
    state.storage().storage_accounts.begin_create(group, "stregistered1", {  # another namespace is fine
        "location": "westus3", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}).result()


def test_storage_names_are_free_taken_or_invalid(state: Azure) -> None:
    accounts = state.storage().storage_accounts
    check = {"type": "Microsoft.Storage/storageAccounts"}
    assert accounts.check_name_availability({**check, "name": "freename123"}).name_available is True
    group = state.new_group()
    accounts.begin_create(group, "mineexists1", {"location": "westus3", "sku": {"name": "Standard_LRS"},
                                                 "kind": "StorageV2"}).result()
    taken = accounts.check_name_availability({**check, "name": "mineexists1"})
    assert (taken.name_available, taken.reason, taken.message) == (
        False, "AlreadyExists", "The storage account named mineexists1 is already taken.")
    assert accounts.check_name_availability({**check, "name": "Bad_Name"}).reason == "AccountNameInvalid"
    state.admin("POST", "subscription-state", {"taken_storage_names": ["someoneelses1"]})
    assert accounts.check_name_availability({**check, "name": "someoneelses1"}).reason == "AlreadyExists"
    with pytest.raises(HttpResponseError) as refused:
        accounts.begin_create(group, "someoneelses1", {"location": "westus3", "sku": {"name": "Standard_LRS"},
                                                       "kind": "StorageV2"})
    assert _refusal(refused)[:2] == (409, "StorageAccountAlreadyTaken")


def test_permissions_are_listed_and_a_reader_cannot_write(state: Azure) -> None:
    group = state.new_group()
    client = state.resources()
    path = f"/subscriptions/{state.sub}/resourceGroups/{group}/providers/Microsoft.Authorization/permissions"
    listed = client.send_request(HttpRequest("GET", f"{path}?api-version=2022-04-01")).json()
    assert listed["value"][0]["actions"] == ["*"] and "Microsoft.Authorization/*/Write" in \
        listed["value"][0]["notActions"]
    state.admin("POST", "subscription-state", {"permissions": [{"actions": ["*/read"], "notActions": []}]})
    assert client.send_request(HttpRequest("GET", f"{path}?api-version=2022-04-01")).json()["value"][0][
        "actions"] == ["*/read"]
    with pytest.raises(HttpResponseError) as refused:
        state.logs().workspaces.begin_create_or_update(group, "log-denied", {"location": "westus3"})
    status, code, error = _refusal(refused)
    assert (status, code) == (403, "AuthorizationFailed")
    assert "does not have authorization to perform action 'Microsoft.OperationalInsights/workspaces/write' over " \
           f"scope '/subscriptions/{state.sub}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/" \
           "workspaces/log-denied'" in str(error["message"])
    assert client.resource_groups.get(group).name == group  # reading is allowed
    missing = client.send_request(HttpRequest("GET", path.replace(group, "rg-none") + "?api-version=2022-04-01"))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "ResourceGroupNotFound")


def test_a_location_offers_the_profile_types_set_for_it_and_refuses_others(state: Azure) -> None:
    catalog = state.apps().available_workload_profiles
    everywhere = {p.name for p in catalog.get("westus3")}
    assert {"Consumption", "D4", "NC24-A100", "Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100"} <= everywhere
    state.admin("POST", "subscription-state", {"offered_workload_profiles": {"West Europe": ["Consumption", "D4"]}})
    assert {p.name for p in catalog.get("westeurope")} == {"Consumption", "D4"}
    assert {p.name for p in catalog.get("westus3")} == everywhere
    with pytest.raises(HttpResponseError) as refused:
        state.apps().managed_environments.begin_create_or_update(state.new_group(), "env-notoffered",
                                                                 _environment("westeurope", "NC24-A100", 1))
    assert _refusal(refused)[:2] == (400, "WorkloadProfileTypeNotSupported")


def test_gpu_usages_count_what_exists_and_the_quota_refuses_more(state: Azure) -> None:
    def usage(location: str, name: str) -> tuple[float, float]:
        found = next(u for u in state.apps().usages.list(location) if u.name.value == name)
        return found.current_value, found.limit

    before, _ = usage("northeurope", "SubscriptionNCA100Gpus")
    group = state.new_group()
    state.apps().managed_environments.begin_create_or_update(group, "env-gpus", _environment(
        "northeurope", "NC48-A100", 2)).result()
    assert usage("northeurope", "SubscriptionNCA100Gpus")[0] == before + 4  # 2 GPUs per node x 2 nodes
    state.admin("POST", "subscription-state", {"gpu_quota": {"northeurope": {"SubscriptionNCA100Gpus": before + 5}}})
    assert usage("northeurope", "SubscriptionNCA100Gpus") == (before + 4, before + 5)
    with pytest.raises(HttpResponseError) as refused:
        state.apps().managed_environments.begin_create_or_update(group, "env-more", _environment(
            "northeurope", "NC24-A100", 2))
    status, code, error = _refusal(refused)
    assert (status, code) == (400, "MaxRegionalQuotaExceeded") and "SubscriptionNCA100Gpus" in str(error["message"])
    state.apps().managed_environments.begin_create_or_update(group, "env-more", _environment(
        "northeurope", "NC24-A100", 1)).result()  # exactly what is left


def test_the_admin_route_refuses_what_it_does_not_know(azure: Azure) -> None:
    import urllib.error

    for body in ({"quota": 1}, {"gpu_quota": {"westus3": {"NoSuchQuota": 1}}},
                 {"offered_workload_profiles": {"nowhere": ["D4"]}}):
        with pytest.raises(urllib.error.HTTPError) as refused:
            azure.admin("POST", "subscription-state", body)
        assert refused.value.code == 400
