"""Multiple revision mode as ACA runs it, through the official azure-mgmt-appcontainers client: each active revision
serves on its own FQDN, the app's endpoint splits by the ingress's traffic weights, a traffic switch in one PATCH
drops no request, traffic is validated, a deactivated revision stops and gets no traffic."""

from __future__ import annotations

import threading
import time
import urllib.error
from collections import Counter
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from .conftest import Azure, wait_for
from .scaling_apps import ask, replica_names, scaled_app_body

pytestmark = pytest.mark.slow
ONE, TWO = "multi--one", "multi--two"


def _state(azure: Azure, group: str, revision: str) -> Any:
    return azure.apps().container_apps_revisions.get_revision(group, "multi", revision)


def _traffic(azure: Azure, group: str, traffic: list[dict[str, Any]]) -> Any:
    poller = azure.apps().container_apps.begin_update(
        group, "multi", {"properties": {"configuration": {"ingress": {"traffic": traffic}}}})
    return poller.result()


@pytest.fixture(scope="module")
def multi(azure: Azure, place: dict[str, str]) -> dict[str, Any]:
    """Revision one, pinned to 100% by name; then revision two (a template change) beside it with 0%."""
    group, apps = place["group"], azure.apps()
    body = scaled_app_body(place, scale={"minReplicas": 1, "maxReplicas": 1}, suffix="one", mode="Multiple")
    app = apps.container_apps.begin_create_or_update(group, "multi", body).result()
    wait_for(lambda: _state(azure, group, ONE).running_state == "Running", timeout=60)
    _traffic(azure, group, [{"revisionName": ONE, "weight": 100}])
    body = scaled_app_body(place, scale={"minReplicas": 1, "maxReplicas": 1}, version="two", suffix="two",
                           mode="Multiple")
    body["properties"]["configuration"]["ingress"]["traffic"] = [{"revisionName": ONE, "weight": 100}]
    apps.container_apps.begin_create_or_update(group, "multi", body).result()
    wait_for(lambda: _state(azure, group, TWO).running_state == "Running", timeout=60)
    return {"group": group, "fqdn": app.configuration.ingress.fqdn}


def test_both_revisions_serve_on_their_own_revision_fqdn(azure: Azure, multi: dict[str, Any]) -> None:
    one, two = _state(azure, multi["group"], ONE), _state(azure, multi["group"], TWO)
    assert one.active and two.active
    assert len({one.fqdn, two.fqdn, multi["fqdn"]}) == 3
    assert (ask(one.fqdn)["version"], ask(two.fqdn)["version"]) == ("one", "two")
    assert (one.traffic_weight, two.traffic_weight) == (100, 0)
    assert {ask(multi["fqdn"])["version"] for _ in range(5)} == {"one"}
    app = azure.apps().container_apps.get(multi["group"], "multi")
    assert app.latest_revision_fqdn == two.fqdn


def test_invalid_traffic_is_refused_with_acas_codes_and_nothing_changes(azure: Azure, multi: dict[str, Any]) -> None:
    cases = [([{"revisionName": ONE, "weight": 60}, {"revisionName": TWO, "weight": 30}],
              "ContainerAppInvalidTrafficWeight"),
             ([{"revisionName": "multi--nope", "weight": 100}], "ContainerAppRevisionNotFound"),
             ([{"revisionName": ONE, "weight": 100, "latestRevision": True}], "ContainerAppInvalidTrafficWeight"),
             ([{"revisionName": ONE, "weight": 50, "label": "blue"}, {"revisionName": TWO, "weight": 50,
                                                                     "label": "blue"}],
              "ContainerAppInvalidTrafficLabel")]
    for traffic, code in cases:
        with pytest.raises(HttpResponseError) as raised:
            _traffic(azure, multi["group"], traffic)
        assert (raised.value.status_code, raised.value.error.code) == (400, code)
    assert _state(azure, multi["group"], ONE).traffic_weight == 100


def test_weights_split_new_connections_between_revisions(azure: Azure, multi: dict[str, Any]) -> None:
    _traffic(azure, multi["group"], [{"revisionName": ONE, "weight": 70}, {"revisionName": TWO, "weight": 30}])
    assert (_state(azure, multi["group"], ONE).traffic_weight, _state(azure, multi["group"], TWO).traffic_weight) \
        == (70, 30)
    assert Counter(ask(multi["fqdn"])["version"] for _ in range(20)) == Counter({"one": 14, "two": 6})
    _traffic(azure, multi["group"], [{"revisionName": ONE, "weight": 100}, {"revisionName": TWO, "weight": 0}])


def test_traffic_switch_in_one_patch_drops_no_request_and_deactivate_stops_the_old(
        azure: Azure, multi: dict[str, Any]) -> None:
    group = multi["group"]
    answers: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                answers.append(ask(multi["fqdn"], timeout=10)["version"])
            except (OSError, ValueError) as exc:
                errors.append(repr(exc))
            time.sleep(0.05)

    caller = threading.Thread(target=client)
    caller.start()
    try:
        wait_for(lambda: len(answers) >= 5, timeout=30)
        _traffic(azure, group, [{"revisionName": ONE, "weight": 0}, {"latestRevision": True, "weight": 100}])
        wait_for(lambda: answers[-5:] == ["two"] * 5, timeout=30)
    finally:
        stop.set()
        caller.join()
    assert errors == []
    switch = answers.index("two")
    assert set(answers[:switch]) == {"one"} and set(answers[switch:]) == {"two"}  # one switch, no flapping
    old_url = _state(azure, group, ONE).fqdn
    azure.apps().container_apps_revisions.deactivate_revision(group, "multi", ONE)
    one = _state(azure, group, ONE)
    assert (one.active, one.running_state, one.replicas, one.traffic_weight) == (False, "Stopped", 0, 0)
    assert replica_names(azure, group, "multi", ONE) == []
    with pytest.raises(urllib.error.URLError):
        ask(old_url, timeout=5)
    assert {ask(multi["fqdn"])["version"] for _ in range(3)} == {"two"}
    azure.apps().container_apps_revisions.activate_revision(group, "multi", ONE)
    wait_for(lambda: _state(azure, group, ONE).running_state == "Running", timeout=60)
    assert ask(old_url)["version"] == "one"
