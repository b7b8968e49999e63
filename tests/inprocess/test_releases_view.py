"""Which revision serves, which release each runs, what status lists and where rollback goes - from ARM's JSON
(parsed once) to the decisions made on it."""

from __future__ import annotations

import pytest

from aca_inference.azure.container_apps import ContainerApp, Replica, Revision
from aca_inference.errors import InputError
from aca_inference.ops.deploy.release_deploy import serves_already
from aca_inference.ops.deploy.revisions import release_run_by, serving
from aca_inference.ops.deploy.rollback import rollback_target
from aca_inference.ops.status import release_rows
from aca_inference.sync.releases import ReleaseCatalog
from tests.inprocess.builders import RELEASE_A, RELEASE_B, RELEASE_C, launcher_template, manifest, revision

ARM_APP = {
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/app", "name": "app",
    "location": "westus3",
    "properties": {
        "provisioningState": "Succeeded", "runningStatus": "Running", "managedEnvironmentId": "/subscriptions/s/env",
        "workloadProfileName": "gpu", "latestRevisionName": "app--r2", "latestReadyRevisionName": "app--r1",
        "eventStreamEndpoint": "https://westus3.azurecontainerapps.dev/subscriptions/s/eventstream",
        "configuration": {"activeRevisionsMode": "Multiple", "ingress": {"fqdn": "app.example.io", "targetPort": 80}},
        "template": launcher_template(RELEASE_A)}}


def test_an_app_is_read_from_arm_json_once() -> None:
    app = ContainerApp.from_arm(ARM_APP)
    assert (app.name, app.revisions_mode, app.workload_profile_name) == ("app", "Multiple", "gpu")
    assert app.endpoint == "https://app.example.io"
    assert app.latest_revision == "app--r1"  # the newest one that got ready
    assert app.environment_id == "/subscriptions/s/env"
    assert app.containers[0]["name"] == "inference"


def test_an_app_without_ingress_has_no_endpoint_and_missing_parts_have_defaults() -> None:
    app = ContainerApp.from_arm({"name": "bare", "properties": {"configuration": None, "template": None}})
    assert (app.endpoint, app.revisions_mode, app.template, app.latest_revision) == (None, "Single", {}, None)


def test_the_emulators_loopback_fqdn_is_plain_http() -> None:
    app = ContainerApp.from_arm({"name": "a", "properties": {"configuration": {"ingress": {"fqdn": "127.0.0.1:8443"}}}})
    assert app.endpoint == "http://127.0.0.1:8443"


def test_revisions_and_replicas_are_read_from_arm_json() -> None:
    parsed = Revision.from_arm({"name": "app--r1", "properties": {
        "active": True, "trafficWeight": 60, "createdTime": "2026-01-01T00:00:00Z", "fqdn": "app--r1.example.io",
        "runningState": "Running", "healthState": "Healthy", "replicas": 2, "template": launcher_template(RELEASE_B)}})
    assert (parsed.active, parsed.traffic_weight, parsed.replicas) == (True, 60, 2)
    assert parsed.url == "https://app--r1.example.io"
    assert release_run_by(parsed) == RELEASE_B
    replica = Replica.from_arm({"name": "app--r1-abc-x", "properties": {
        "runningState": "Running", "createdTime": "2026-01-01T00:00:05Z",
        "containers": [{"ready": True, "restartCount": 1}, {"ready": False, "restartCount": 4}]}})
    assert (replica.ready, replica.restart_count, replica.created and replica.created.second) == (False, 4, 5)


def test_the_serving_revision_has_the_most_traffic_among_the_active_ones() -> None:
    revisions = [revision("r1", RELEASE_A, traffic=30), revision("r2", RELEASE_B, traffic=70),
                 revision("r3", RELEASE_C, active=False, traffic=100)]
    assert serving(revisions) == revisions[1]
    assert serving([revision("r1", RELEASE_A, traffic=0)]) is None  # active but at 0 %: nothing serves
    tied = [revision("r1", RELEASE_A, traffic=50), revision("r2", RELEASE_B, traffic=50)]
    assert serving(tied) == tied[1]  # the newer of equals


def test_status_rows_mark_the_serving_release_and_its_revisions() -> None:
    catalog = ReleaseCatalog([manifest(RELEASE_A), manifest(RELEASE_B), manifest(RELEASE_C)])
    rows = release_rows(catalog, [revision("r1", RELEASE_A, active=False), revision("r2", RELEASE_B, traffic=100),
                                  revision("r3", None)])
    assert [(r["id"], r["serving"], r["active"], r["revisions"]) for r in rows] == [
        (RELEASE_A, False, False, ["app--r1"]), (RELEASE_B, True, True, ["app--r2"]), (RELEASE_C, False, False, [])]
    assert rows[0]["files"] == 1 and rows[0]["bytes"] == 10


def test_rollback_goes_to_the_release_before_the_serving_one() -> None:
    catalog = ReleaseCatalog([manifest(RELEASE_A), manifest(RELEASE_B), manifest(RELEASE_C)])
    assert rollback_target(catalog, RELEASE_C, None, "share").id == RELEASE_B
    assert rollback_target(catalog, RELEASE_C, RELEASE_A, "share").id == RELEASE_A
    assert rollback_target(catalog, "20250101-000000-0000000", None, "share").id == RELEASE_C  # not kept: newest


def test_rollback_without_an_earlier_release_lists_what_is_kept() -> None:
    catalog = ReleaseCatalog([manifest(RELEASE_A), manifest(RELEASE_B)])
    with pytest.raises(InputError) as oldest:
        rollback_target(catalog, RELEASE_A, None, "code")
    assert str(oldest.value) == (f"No release before the serving one ({RELEASE_A}) is kept on share code (releases: "
                                 f"{RELEASE_A}, {RELEASE_B}). Deploy the code you want, or roll back with --to to a "
                                 "release listed.")
    with pytest.raises(InputError, match=r"No release before the serving one \(none\)"):
        rollback_target(catalog, None, None, "code")
    with pytest.raises(InputError, match=f"Release '{RELEASE_C}' is not on share code; the releases kept there: "
                                         f"{RELEASE_A}, {RELEASE_B}"):
        rollback_target(catalog, RELEASE_B, RELEASE_C, "code")


def test_an_unchanged_release_is_the_same_files_and_no_template_change() -> None:
    serving_release = manifest(RELEASE_A, {"inference/app.py": "1" * 64})
    assert serves_already(serving_release, manifest(RELEASE_B, {"inference/app.py": "1" * 64}), [])
    assert not serves_already(serving_release, manifest(RELEASE_B, {"inference/app.py": "2" * 64}), [])
    assert not serves_already(serving_release, manifest(RELEASE_B, {"inference/main.py": "1" * 64}), [])
    assert not serves_already(serving_release, manifest(RELEASE_B, {"inference/app.py": "1" * 64}),
                              ["image: a -> b"])
    assert not serves_already(None, manifest(RELEASE_B), [])
