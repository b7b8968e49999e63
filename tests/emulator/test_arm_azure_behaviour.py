"""Microsoft.App as recorded real Azure behaves (../shared/azure-recordings; tests/recordings replays them):
what it accepts, what it fills in and rewrites, what it refuses and with which code - through raw ARM calls."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from aca_emulator.testing import running_emulator

from .conftest import Azure, app_body, provision_environment, wait_for

API = "2024-03-01"


@pytest.fixture(scope="module")
def arm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Azure, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("emulator")
    with running_emulator(data_dir, time_scale=0.001, run_apps=False) as info:
        azure = Azure(info, Path(data_dir))
        group = azure.new_group()
        yield azure, {"group": group, **provision_environment(azure, group)}


def _call(azure: Azure, method: str, path: str, body: Any = None) -> requests.Response:
    session = requests.Session()
    session.trust_env = False  # the emulator's own CA, whatever REQUESTS_CA_BUNDLE says
    return session.request(method, f"{azure.info.management_endpoint}{path}?api-version={API}",
                           data=None if body is None else json.dumps(body), verify=azure.info.ca_path,
                           headers={"Authorization": "Bearer t", "Content-Type": "application/json"}, timeout=30)


def _app_path(azure: Azure, place: dict[str, str], name: str) -> str:
    return f"/subscriptions/{azure.sub}/resourceGroups/{place['group']}/providers/Microsoft.App/containerApps/{name}"


def _body(place: dict[str, str]) -> dict[str, Any]:
    return copy.deepcopy(app_body(place["env_id"], ["python3", "-m", "http.server"]))


def _settled(azure: Azure, path: str) -> dict[str, Any]:
    return wait_for(lambda: (b := _call(azure, "GET", path).json())["properties"]["provisioningState"] == "Succeeded"
                    and b)


def test_casing_text_numbers_and_nulls_are_read_as_azure_reads_them(arm: tuple[Azure, dict[str, str]]) -> None:
    azure, place = arm
    body = _body(place)
    properties = body["properties"]
    properties["configuration"]["activeRevisionsMode"] = "single"
    properties["configuration"]["ingress"].update(transport="auto", traffic=[{"weight": "100", "latestRevision": True}])
    properties["template"]["scale"] = {"minReplicas": None, "maxReplicas": None}
    properties["template"]["containers"][0]["resources"] = {"cpu": 0.5, "memory": "1.0Gi", "ephemeralStorage": "1Gi"}
    path = _app_path(azure, place, "shapes")
    created = _call(azure, "PUT", path, body)
    assert created.status_code == 201, created.text
    app = _settled(azure, path)["properties"]
    assert app["configuration"]["activeRevisionsMode"] == "Single"
    assert app["configuration"]["ingress"]["transport"] == "Auto"
    assert app["configuration"]["ingress"]["traffic"] == [{"weight": 100, "latestRevision": True}]
    assert app["template"]["scale"] == {"minReplicas": None, "maxReplicas": 10, "rules": None}
    container = app["template"]["containers"][0]
    assert container["resources"] == {"cpu": 0.5, "memory": "1Gi", "ephemeralStorage": "2Gi"}
    assert container["imageType"] == "ContainerImage" and container["probes"] == []
    assert app["patchingMode"] == "Automatic" and app["configuration"]["dapr"] is None
    assert app["latestReadyRevisionName"] == app["latestRevisionName"]


def test_the_latest_ready_revision_stays_the_previous_one_while_an_update_is_in_progress(
        arm: tuple[Azure, dict[str, str]]) -> None:
    azure, place = arm
    path = _app_path(azure, place, "ready")
    assert _call(azure, "PUT", path, _body(place)).status_code == 201
    first = _settled(azure, path)["properties"]["latestRevisionName"]
    scale = azure.admin("GET", "time-scale")["time_scale"]
    before = azure.admin("GET", "durations")["durations"]["container_app_update"]
    azure.admin("POST", "durations", {"container_app_update": 3.0 / scale})
    try:
        body = _body(place)
        body["properties"]["template"]["containers"][0]["env"] = [{"name": "NEW", "value": "1"}]
        updating = _call(azure, "PUT", path, body)
        assert updating.status_code == 201 and "Azure-AsyncOperation" in updating.headers
        during = _call(azure, "GET", path).json()["properties"]
        assert during["latestRevisionName"] != first and during["latestReadyRevisionName"] == first
        after = _settled(azure, path)["properties"]
        assert after["latestReadyRevisionName"] == after["latestRevisionName"] != first
    finally:
        azure.admin("POST", "durations", {"container_app_update": before})


@pytest.mark.parametrize(("change", "code"), [
    (lambda c, s: c.update(env=[{"name": 1}, "X=1"]), "InvalidRequestContent"),
    (lambda c, s: c["resources"].update(memory="lots"), "ContainerAppInvalidResourceMemory"),
    (lambda c, s: c["resources"].update(cpu=0.5, memory="3Gi"), "ContainerAppInvalidResourceTotal"),
    (lambda c, s: s.update(minReplicas=3, maxReplicas=1), "ContainerAppInvalidScaleOptions"),
], ids=["malformed-env", "memory-lots", "cpu-memory-pair", "min-over-max"])
def test_what_azure_refuses_is_a_400_with_its_code_and_nothing_is_created(
        arm: tuple[Azure, dict[str, str]], change: Any, code: str) -> None:
    azure, place = arm
    body = _body(place)
    change(body["properties"]["template"]["containers"][0], body["properties"]["template"]["scale"])
    path = _app_path(azure, place, f"refused-{code.lower()[-12:]}")
    refused = _call(azure, "PUT", path, body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == code and refused.json()["error"]["message"]
    assert _call(azure, "GET", path).status_code == 404


def test_a_patch_answers_202_with_location_only_and_a_deleted_environment_ends_in_204(
        arm: tuple[Azure, dict[str, str]]) -> None:
    azure, place = arm
    scale = azure.admin("GET", "time-scale")["time_scale"]
    before = azure.admin("GET", "durations")["durations"]
    azure.admin("POST", "durations", {"container_app_update": 1.5 / scale, "managed_environment_delete": 1.5 / scale})
    try:
        path = _app_path(azure, place, "patched")
        assert _call(azure, "PUT", path, _body(place)).status_code == 201
        _settled(azure, path)
        patched = _call(azure, "PATCH", path, {"properties": {"template": {"scale": {"maxReplicas": "3"}}}})
        assert patched.status_code == 202 and "Location" in patched.headers
        assert "Azure-AsyncOperation" not in patched.headers
        assert _settled(azure, path)["properties"]["template"]["scale"]["maxReplicas"] == 3
        group = azure.new_group()
        lonely = provision_environment(azure, group, with_share=False)
        env_path = lonely["env_id"]
        deleting = _call(azure, "DELETE", env_path)
        assert deleting.status_code == 202 and "Azure-AsyncOperation" not in deleting.headers
        monitor = deleting.headers["Location"]
        session = requests.Session()
        session.trust_env = False
        final = wait_for(lambda: (r := session.get(monitor, verify=azure.info.ca_path, timeout=30,
                                                    headers={"Authorization": "Bearer t"})).status_code != 202 and r)
        assert final.status_code == 204
    finally:
        azure.admin("POST", "durations", {k: before[k] for k in ("container_app_update", "managed_environment_delete")})
