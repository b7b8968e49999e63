"""The emulator as a service: background start/status/stop, discovery of an in-process one, state and apps
surviving a restart, fault injection and the request log."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError

from aca_emulator import control
from aca_emulator.testing import running_emulator

from .conftest import Azure, app_body, provision_environment, wait_for


def test_background_emulator_starts_once_reports_status_and_stops(tmp_path: Path) -> None:
    info = control.start_background(tmp_path, time_scale=0.001)
    try:
        assert info.running and info.management_endpoint.startswith("https://127.0.0.1:")
        assert Path(info.ca_path).is_file()
        recorded = json.loads((tmp_path / "emulator.json").read_text())
        assert recorded["pid"] == info.pid and recorded["files_endpoint"] == info.files_endpoint
        assert control.start_background(tmp_path).pid == info.pid  # idempotent
        assert control.status(tmp_path).management_endpoint == info.management_endpoint
    finally:
        assert control.stop(tmp_path) is True
    assert control.status(tmp_path) is None
    assert not (tmp_path / "emulator.json").exists()
    assert control.stop(tmp_path) is False


def test_stale_info_file_is_not_reported_as_running(tmp_path: Path) -> None:
    (tmp_path / "emulator.json").write_text(json.dumps({
        "pid": 2 ** 22 + 17, "management_endpoint": "https://127.0.0.1:9", "files_endpoint": "https://127.0.0.1:9",
        "ca_path": str(tmp_path / "ca.pem"), "subscription_id": "x", "data_dir": str(tmp_path)}))
    assert control.status(tmp_path) is None


def test_in_process_emulator_is_found_by_status(azure: Azure) -> None:
    found = control.status(azure.data_dir)
    assert found is not None and found.pid == os.getpid()
    assert found.management_endpoint == azure.info.management_endpoint


def test_state_and_apps_survive_an_emulator_restart(tmp_path: Path) -> None:
    with running_emulator(tmp_path, time_scale=0.001) as info:
        azure = Azure(info, tmp_path)
        group = azure.new_group()
        place = provision_environment(azure, group)
        body = app_body(place["env_id"], ["/bin/bash", "-c"], args=["exec python3 -m http.server $PORT --bind 127.0.0.1"])
        app = azure.apps().container_apps.begin_create_or_update(group, "survivor", body).result()
        fqdn = app.configuration.ingress.fqdn
        wait_for(lambda: urllib.request.urlopen(f"http://{fqdn}/", timeout=2).status == 200 if _answers(fqdn) else None)
    assert not _answers(fqdn)  # ending the emulator ends its apps
    with running_emulator(tmp_path, time_scale=0.001) as info:
        azure = Azure(info, tmp_path)
        again = azure.apps().container_apps.get(group, "survivor")
        assert again.configuration.ingress.fqdn == fqdn
        assert azure.storage().storage_accounts.get_properties(group, place["account"]).provisioning_state == "Succeeded"
        wait_for(lambda: _answers(fqdn), timeout=30)


def _answers(fqdn: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{fqdn}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_injected_503_is_retried_by_the_sdk_and_logged(azure: Azure) -> None:
    from azure.mgmt.resource.resources import ResourceManagementClient

    from .conftest import StaticToken

    fault = azure.admin("POST", "faults", {"path": "/resourcegroups/rg-flaky", "status": 503, "count": 2,
                                           "retry_after": 0})
    try:
        mark = azure.admin("GET", "requests")["last"]
        options = {**azure.options(), "retry_total": 3, "retry_backoff_factor": 0.01}
        client = ResourceManagementClient(StaticToken(), azure.sub, **options)
        assert client.resource_groups.create_or_update("rg-flaky", {"location": "westus3"}).name == "rg-flaky"
        statuses = [r["status"] for r in azure.admin("GET", f"requests?since={mark}")["requests"]
                    if "rg-flaky" in r["path"]]
        assert statuses == [503, 503, 201]
    finally:
        azure.admin("DELETE", f"faults/{fault['id']}")


def test_injected_fault_without_retries_reaches_the_caller(azure: Azure) -> None:
    azure.admin("POST", "faults", {"path": "/resourcegroups/rg-down", "status": 500, "method": "PUT"})
    try:
        with pytest.raises(HttpResponseError) as raised:
            azure.resources().resource_groups.create_or_update("rg-down", {"location": "westus3"})
        assert raised.value.status_code == 500
    finally:
        azure.admin("DELETE", "faults")


def test_added_latency_slows_matching_requests(azure: Azure) -> None:
    azure.admin("POST", "faults", {"path": "/resourcegroups/rg-slow", "latency_ms": 300, "status": None})
    try:
        started = time.perf_counter()
        group = azure.resources().resource_groups.create_or_update("rg-slow", {"location": "westus3"})
        assert time.perf_counter() - started >= 0.3
        assert group.properties.provisioning_state == "Succeeded"  # served after the delay
    finally:
        azure.admin("DELETE", "faults")


def test_connection_dropped_mid_body_is_retried_by_the_sdk(azure: Azure) -> None:
    from azure.mgmt.resource.resources import ResourceManagementClient

    from .conftest import StaticToken

    group = azure.new_group()
    azure.admin("POST", "faults", {"path": f"/resourcegroups/{group}(\\?|$)", "method": "GET", "drop": "mid-body",
                                   "status": None, "count": 1})
    try:
        mark = azure.admin("GET", "requests")["last"]
        options = {**azure.options(), "retry_total": 3, "retry_backoff_factor": 0.01}
        client = ResourceManagementClient(StaticToken(), azure.sub, **options)
        assert client.resource_groups.get(group).name == group
        gets = [r["fault"] for r in azure.admin("GET", f"requests?since={mark}")["requests"] if r["method"] == "GET"]
        assert gets == ["mid-body", None]
    finally:
        azure.admin("DELETE", "faults")
