"""Long-running operations end for the client when their simulated duration ends, whatever the time scale:
short ones inside the first answer, long ones with whole-second Retry-After and a final held poll."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .conftest import Azure

ACCOUNT = {"location": "westus3", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}


@pytest.fixture
def slow_storage(azure: Azure) -> Iterator[float]:
    """Storage account creation takes 1.6 s of wall time for this test."""
    before = azure.admin("GET", "durations")["durations"]["storage_account"]
    azure.admin("POST", "durations", {"storage_account": 1.6 / azure.admin("GET", "time-scale")["time_scale"]})
    yield 1.6
    azure.admin("POST", "durations", {"storage_account": before})


def _requests_since(azure: Azure, seq: int) -> list[dict]:
    return [r for r in azure.admin("GET", f"requests?since={seq}")["requests"] if r["port"] == "management"]


def test_short_operation_finishes_in_the_first_answer(azure: Azure) -> None:
    group = azure.new_group()
    mark = azure.admin("GET", "requests")["last"]
    account = azure.storage().storage_accounts.begin_create(group, "stquick1", ACCOUNT).result()
    assert account.provisioning_state == "Succeeded"
    calls = _requests_since(azure, mark)
    assert [(c["method"], c["status"]) for c in calls] == [("PUT", 200)]


def test_long_operation_is_polled_and_ends_on_time(azure: Azure, slow_storage: float) -> None:
    group = azure.new_group()
    mark = azure.admin("GET", "requests")["last"]
    started = time.perf_counter()
    account = azure.storage().storage_accounts.begin_create(group, "stslow1", ACCOUNT).result()
    elapsed = time.perf_counter() - started
    assert account.provisioning_state == "Succeeded"
    assert slow_storage <= elapsed < slow_storage + 0.5
    calls = _requests_since(azure, mark)
    assert (calls[0]["method"], calls[0]["status"]) == ("PUT", 202)
    polls = [c for c in calls[1:] if "operationResults" in c["path"]]
    # azure-core polls at once (202, Retry-After: 1), then once more: that poll is held until the end.
    assert [p["status"] for p in polls] == [202, 200]


def test_account_is_visible_as_creating_while_the_operation_runs(azure: Azure, slow_storage: float) -> None:
    group = azure.new_group()
    poller = azure.storage().storage_accounts.begin_create(group, "stslow2", ACCOUNT)
    assert azure.storage().storage_accounts.get_properties(group, "stslow2").provisioning_state == "Creating"
    assert poller.result().provisioning_state == "Succeeded"


def test_a_slow_workspace_create_is_monitored_through_location_as_recorded_azure_answers(azure: Azure) -> None:
    from azure.core.rest import HttpRequest

    scale = azure.admin("GET", "time-scale")["time_scale"]
    before = azure.admin("GET", "durations")["durations"]["log_analytics_workspace"]
    azure.admin("POST", "durations", {"log_analytics_workspace": 1.2 / scale})
    try:
        group = azure.new_group()
        client = azure.logs()
        url = (f"{azure.info.management_endpoint}/subscriptions/{azure.sub}/resourceGroups/{group}/providers/"
               "Microsoft.OperationalInsights/workspaces/log-async?api-version=2025-07-01")
        response = client._client.send_request(HttpRequest("PUT", url, json={"location": "westus3"}))
        assert response.status_code == 201
        assert response.json()["properties"]["provisioningState"] == "Creating"
        assert int(response.headers["Retry-After"]) >= 1
        # Recorded Azure (Microsoft.OperationalInsights): 201 with Location, no Azure-AsyncOperation.
        assert "Azure-AsyncOperation" not in response.headers
        status = client._client.send_request(HttpRequest("GET", response.headers["Location"]))
        assert status.status_code in (200, 202)
        deadline = time.monotonic() + 30
        while status.status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.5)
            status = client._client.send_request(HttpRequest("GET", response.headers["Location"]))
        assert status.status_code == 200
        assert client.workspaces.get(group, "log-async").provisioning_state == "Succeeded"
    finally:
        azure.admin("POST", "durations", {"log_analytics_workspace": before})
