"""Probe values outside ACA's limits are refused with ACA's error before anything changes; the AI Toolkit
fixture's probes (startup 60 s + 120 s x 10) are within them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .conftest import Azure, app_body

SERVE = ["/bin/bash", "-c"], ["exec python3 -m http.server $PORT --bind 127.0.0.1"]
AIT_PROBES = [
    {"type": "Liveness", "httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 60,
     "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
    {"type": "Readiness", "httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 60,
     "periodSeconds": 10, "failureThreshold": 3},
    {"type": "Startup", "httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 60,
     "periodSeconds": 120, "failureThreshold": 10}]

OUT_OF_LIMITS = [
    ("Liveness", "initialDelaySeconds", 61, "InitialDelaySeconds", "['1', '60']"),
    ("Startup", "initialDelaySeconds", 0, "InitialDelaySeconds", "['1', '60']"),
    ("Readiness", "periodSeconds", 0, "PeriodSeconds", "['1', '240']"),
    ("Startup", "periodSeconds", 241, "PeriodSeconds", "['1', '240']"),
    ("Liveness", "timeoutSeconds", 241, "TimeoutSeconds", "['1', '240']"),
    ("Readiness", "successThreshold", 11, "SuccessThreshold", "['1', '10']"),
    ("Liveness", "successThreshold", 2, "SuccessThreshold", "['1', '1']"),
    ("Startup", "successThreshold", 2, "SuccessThreshold", "['1', '1']"),
    ("Liveness", "failureThreshold", 31, "FailureThreshold", "['1', '30']"),
    ("Readiness", "failureThreshold", 49, "FailureThreshold", "['1', '48']"),
    ("Startup", "failureThreshold", 0, "FailureThreshold", "['1', '240']"),
]


def _body(env_id: str, probes: list[dict[str, Any]]) -> dict[str, Any]:
    return app_body(env_id, SERVE[0], args=SERVE[1], probes=probes)


@pytest.fixture(scope="module")
def probed_app(azure: Azure, place: dict[str, str]) -> dict[str, Any]:
    body = _body(place["env_id"], AIT_PROBES)
    app = azure.apps().container_apps.begin_create_or_update(place["group"], "app-probes", body).result()
    return {"body": body, "revision": app.latest_revision_name}


@pytest.mark.parametrize(("kind", "field", "value", "pascal", "limits"), OUT_OF_LIMITS)
def test_probe_value_out_of_limits_is_refused_and_nothing_changes(
        azure: Azure, place: dict[str, str], probed_app: dict[str, Any], kind: str, field: str, value: int,
        pascal: str, limits: str) -> None:
    client = azure.apps()
    body = copy.deepcopy(probed_app["body"])
    probe = next(p for p in body["properties"]["template"]["containers"][0]["probes"] if p["type"] == kind)
    probe[field] = value
    body["properties"]["template"]["containers"][0]["env"] = [{"name": "CHANGED", "value": "yes"}]
    with pytest.raises(HttpResponseError) as raised:
        client.container_apps.begin_create_or_update(place["group"], "app-probes", body).result()
    assert (raised.value.status_code, raised.value.error.code) == (400, f"ContainerAppProbe{pascal}OutOfRange")
    assert raised.value.error.message == f"Container 'main' '{kind}' probe's {pascal} must be in the range of {limits}."
    app = client.container_apps.get(place["group"], "app-probes")
    assert app.latest_revision_name == probed_app["revision"]
    assert app.template.containers[0].env == []
    assert [r.name for r in client.container_apps_revisions.list_revisions(place["group"], "app-probes")] == [
        probed_app["revision"]]
    # A new app with the same probe is not created either.
    with pytest.raises(HttpResponseError):
        client.container_apps.begin_create_or_update(place["group"], "app-probes-new", body).result()
    with pytest.raises(ResourceNotFoundError):
        client.container_apps.get(place["group"], "app-probes-new")


def test_two_probes_of_one_type_are_refused(azure: Azure, place: dict[str, str]) -> None:
    body = _body(place["env_id"], [*AIT_PROBES, copy.deepcopy(AIT_PROBES[0])])
    with pytest.raises(HttpResponseError) as raised:
        azure.apps().container_apps.begin_create_or_update(place["group"], "app-twice", body).result()
    assert (raised.value.status_code, raised.value.error.code) == (400, "ContainerAppInvalidProbe")
    assert "Liveness" in raised.value.error.message


def test_the_fixture_probes_are_within_the_limits(azure: Azure, place: dict[str, str],
                                                  probed_app: dict[str, Any]) -> None:
    app = azure.apps().container_apps.get(place["group"], "app-probes")
    probes = {p.type: p for p in app.template.containers[0].probes}
    assert (probes["Startup"].initial_delay_seconds, probes["Startup"].period_seconds,
            probes["Startup"].failure_threshold) == (60, 120, 10)
