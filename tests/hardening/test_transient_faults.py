"""Transient faults are retried where retrying is safe, and reported as what they are when retries run out.

Faults come from the emulator's fault injection, shaped like each service's own answers (ARM: 429 with
Retry-After, 500, 503; Files: 503 ServerBusy, 500 OperationTimedOut with the storage XML body; both: a
connection dropped before the answer, an answer cut mid-body). Each test injects a fault a fixed number of
times on one kind of request, and proves both that it was injected and that the operation still succeeded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aca_inference.azure.target import TargetSettings
from tests.conftest import last_json
from tests.deploy.conftest import make_workspace
from tests.deploy.in_place import make_in_place_workspace
from tests.hardening.campaign import serves
from tests.hardening.conftest import cli, flat, inject, local_tree, no_traceback, provision, share_tree
from tests.provision.arm import ArmProbe


@pytest.fixture(scope="module")
def workspace(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = make_workspace(tmp_path_factory.mktemp("faults-ws"))
    return root, provision(emulator, root, f"rg-faults-{root.name[-8:].lower()}")


@pytest.fixture
def arm(emulator: Any) -> Iterator[ArmProbe]:
    probe = ArmProbe(emulator)
    probe.clear_faults()
    yield probe
    probe.clear_faults()


def _injected(arm: ArmProbe, mark: int, kind: str) -> list[dict[str, Any]]:
    return [e for e in arm.requests_since(mark) if e["fault"] == kind]


@pytest.mark.parametrize(("path", "fault"), [
    (r"/listKeys", {"status": None, "drop": "before"}),
    (r"/listKeys", {"status": None, "drop": "mid-body"}),
    (r"/listSecrets", {"status": None, "drop": "before"}),
    (r"/listSecrets", {"status": 429, "retry_after": 0}),
    (r"/deactivate", {"status": None, "drop": "before"}),
])
def test_a_dropped_or_throttled_read_only_post_is_retried_and_the_deploy_succeeds(
        emulator: Any, workspace: tuple[Path, dict[str, Any]], arm: ArmProbe, path: str, fault: dict[str, Any]) -> None:
    root, _ = workspace
    (root / "inference" / "message.txt").write_text(f"fault {path} {fault}\n")
    mark = arm.mark()
    inject(emulator, path=path, method="POST", count=1, port="management", **fault)
    run = cli(emulator, "deploy", root)
    assert run.returncode == 0, run.stderr
    assert len(_injected(arm, mark, fault.get("drop") or str(fault["status"]))) == 1
    assert [e for e in arm.requests_since(mark) if path.strip("/") in e["path"] and e["status"] == 200]


APP_URL = r"/containerApps/[^/?]+\?"  # the app itself (its PATCH), not its revisions or actions


@pytest.fixture
def slow_app_updates(arm: ArmProbe) -> Iterator[None]:
    """A container app update runs for 1.5 s of wall time, so a write sent again meets it still running, as on
    Azure (tens of seconds); the session's emulator otherwise finishes one in milliseconds."""
    before = arm.durations()["container_app_update"]
    arm.set_durations(container_app_update=1.5 / arm.time_scale())
    yield
    arm.set_durations(container_app_update=before)


@pytest.mark.parametrize("drop", ["before", "mid-body"])
def test_a_container_app_patch_whose_answer_is_lost_is_sent_again_and_the_deploy_succeeds(
        emulator: Any, workspace: tuple[Path, dict[str, Any]], arm: ArmProbe, slow_app_updates: None,
        drop: str) -> None:
    """The deploy's first PATCH (the new revision at 0 %) loses its answer. Sent again, a PATCH whose first
    attempt did reach the service meets its update still running (409 ContainerAppOperationInProgress): the
    deploy waits for it to end, sends it again, and succeeds the first time."""
    root, _ = workspace
    message = f"patch {drop}\n"
    (root / "inference" / "message.txt").write_text(message)
    mark = arm.mark()
    inject(emulator, path=APP_URL, method="PATCH", status=None, drop=drop, count=1)
    run = cli(emulator, "deploy", root, "--drain-seconds", "0")
    assert run.returncode == 0, run.stderr
    patches = [e for e in arm.requests_since(mark, "management") if e["method"] == "PATCH"]
    assert len(_injected(arm, mark, drop)) == 1
    if drop == "mid-body":  # the service had started the update: the repeat met it and waited
        assert 409 in [e["status"] for e in patches]
    assert serves(last_json(run.stdout)["endpoint"], message)


@pytest.mark.parametrize("drop", ["before", "mid-body"])
async def test_a_traffic_switch_whose_answer_is_lost_moves_the_traffic_once_sent_again(
        emulator: Any, workspace: tuple[Path, dict[str, Any]], arm: ArmProbe, slow_app_updates: None,
        drop: str) -> None:
    """The failure CI's fault campaign met: the traffic PATCH's connection dropped and the deploy gave up."""
    from aca_inference.azure.container_apps import AppRef, ArmContainerAppGateway, TrafficWeight
    from aca_inference.azure.session import open_session

    root, config = workspace
    assert cli(emulator, "deploy", root).returncode == 0  # a release serves
    ref = AppRef(emulator.subscription_id, config["RESOURCE_GROUP_NAME"], config["ACA_APP_NAME"])
    async with open_session(TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir))) as session:
        gateway = ArmContainerAppGateway(session, ref)
        serving = (await gateway.get_app()).latest_ready_revision_name
        mark = arm.mark()
        inject(emulator, path=APP_URL, method="PATCH", status=None, drop=drop, count=1)
        await gateway.set_traffic([TrafficWeight(serving, 100)])
        app = await gateway.get_app()
    assert [(t.get("revisionName"), t.get("weight")) for t in app.configuration["ingress"]["traffic"]] == [
        (serving, 100)]
    assert len(_injected(arm, mark, drop)) == 1


async def test_a_write_that_meets_an_operation_running_past_the_wait_names_it_and_the_fix(
        emulator: Any, workspace: tuple[Path, dict[str, Any]], slow_app_updates: None) -> None:
    """Past its limit (5 min in the product, 0.6 s here) the wait gives up, and the user reads ARM's 409 with
    what to do, not a traceback."""
    import time

    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.appcontainers.aio import ContainerAppsAPIClient

    from aca_inference.azure.errors import azure_error
    from aca_inference.azure.retry import WaitOutOperationInProgress
    from aca_inference.azure.session import open_session

    _, config = workspace
    group, name = config["RESOURCE_GROUP_NAME"], config["ACA_APP_NAME"]
    async with open_session(TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir))) as session:
        options = {**session._options(), "per_call_policies": [WaitOutOperationInProgress(limit_s=0.6)]}
        async with ContainerAppsAPIClient(session.credential, emulator.subscription_id, **options) as client:
            running = await client.container_apps.begin_update(group, name, {"tags": {"busy": "first"}})
            started = time.monotonic()
            with pytest.raises(HttpResponseError) as caught:
                await client.container_apps.begin_update(group, name, {"tags": {"busy": "second"}})
            waited = time.monotonic() - started
            await running.result()
    assert 0.6 <= waited < 1.4  # it did wait, and no longer than its limit
    message = str(azure_error(caught.value, f"updating container app {name}"))
    assert message.startswith(f"Azure refused updating container app {name}: ContainerAppOperationInProgress: ")
    assert "Fix: Another operation on this resource was still running after 5 minutes" in message


FILES_FAULTS = [{"status": 503}, {"status": 500}, {"status": 429}, {"status": None, "drop": "before"},
                {"status": None, "drop": "mid-body"}, {"status": None, "latency_ms": 300}]


@pytest.fixture(scope="module")
def in_place_workspace(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = make_in_place_workspace(tmp_path_factory.mktemp("faults-in-place"))
    return root, provision(emulator, root, f"rg-faults-ip-{root.name[-8:].lower()}")


def _files_faults_then_deploy(emulator: Any, arm: ArmProbe, root: Path, config: dict[str, Any],
                              fault: dict[str, Any], targets: list[tuple[str, str, int]]) -> None:
    for index in range(4):
        (root / "inference" / f"part-{index}.txt").write_text(f"{fault} {index}\n")
    mark = arm.mark()
    for path, method, count in targets:
        inject(emulator, path=path, method=method, count=count, port="files", **fault)
    run = cli(emulator, "deploy", root)
    assert run.returncode == 0, run.stderr
    kind = fault.get("drop") or (str(fault["status"]) if fault["status"] else "latency")
    assert len(_injected(arm, mark, kind)) == sum(count for _, _, count in targets)
    share = arm.share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    assert share_tree(share) == local_tree(root)


@pytest.mark.parametrize("fault", FILES_FAULTS)
def test_files_faults_are_retried_and_the_new_release_matches_the_workspace(
        emulator: Any, workspace: tuple[Path, dict[str, Any]], arm: ArmProbe, fault: dict[str, Any]) -> None:
    root, config = workspace
    assert cli(emulator, "deploy", root).returncode == 0  # a release serves: the next deploy reads its manifest
    # Twice on uploads, once on the serving release's manifest and once on the new one's: every step meets it.
    _files_faults_then_deploy(emulator, arm, root, config, fault, [
        (r"/\.aca-inference/objects/[0-9a-f]{64}\.partial-", "PUT", 2),
        (r"/\.aca-inference/releases/[0-9]{8}-[0-9]{6}-[0-9a-f]{7}\.json(\?|$)", "GET", 1),
        (r"/\.aca-inference/releases/[0-9]{8}-[0-9]{6}-[0-9a-f]{7}\.json\.partial-", "PUT", 1)])


@pytest.mark.parametrize("fault", [FILES_FAULTS[0], FILES_FAULTS[4]])
def test_files_faults_are_retried_and_the_share_matches_the_workspace_in_place(
        emulator: Any, in_place_workspace: tuple[Path, dict[str, Any]], arm: ArmProbe, fault: dict[str, Any]) -> None:
    root, config = in_place_workspace
    # Twice on uploads, once on each manifest read and write: every step of the sync meets the fault.
    _files_faults_then_deploy(emulator, arm, root, config, fault, [
        (r"/inference/", "PUT", 2), (r"manifest\.json", "GET", 1), (r"manifest\.json", "PUT", 1)])


def test_the_emulator_answers_files_faults_the_way_storage_does(emulator: Any, arm: ArmProbe,
                                                                workspace: tuple[Path, dict[str, Any]]) -> None:
    import ssl
    import urllib.error
    import urllib.request

    _, config = workspace
    context = ssl.create_default_context(cafile=str(emulator.ca_path))
    for status, code in ((503, "ServerBusy"), (500, "OperationTimedOut")):
        # The service's `timeout` parameter makes the URL this test's own: no other client meets the fault.
        url = (f"{emulator.files_endpoint}/{config['STORAGE_ACCOUNT_NAME']}/{config['FILE_SHARE_NAME']}"
               f"?restype=share&timeout={status}")
        inject(emulator, path=rf"restype=share&timeout={status}$", status=status, count=1, port="files")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, context=context, timeout=10)
        assert caught.value.code == status
        assert caught.value.headers["x-ms-error-code"] == code
        assert f"<Code>{code}</Code>" in caught.value.read().decode()


def test_the_emulator_throttles_arm_with_retry_after(emulator: Any, arm: ArmProbe) -> None:
    import json
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=str(emulator.ca_path))
    inject(emulator, path=r"^/subscriptions\?api-version=2022-12-01$", status=429, count=1, port="management")
    request = urllib.request.Request(f"{emulator.management_endpoint}/subscriptions?api-version=2022-12-01",
                                     headers={"Authorization": "Bearer x.y.z"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, context=context, timeout=10)
    assert caught.value.code == 429 and caught.value.headers["Retry-After"] == "1"
    assert json.loads(caught.value.read())["error"]["code"] == "TooManyRequests"


async def test_an_arm_put_cut_mid_body_is_retried_also_for_long_running_operations(
        emulator: Any, arm: ArmProbe) -> None:
    from aca_inference.azure.session import open_session

    group = "rg-cut-put"
    async with open_session(TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir))) as session:
        mark = arm.mark()
        inject(emulator, path=rf"/resourcegroups/{group}\?", method="PUT", status=None, drop="mid-body", count=1)
        made = await session.resources(emulator.subscription_id).resource_groups.create_or_update(
            group, {"location": "westus3"})
        assert made.name == group
        # The SDK's long-running PUTs stream the first answer and read it later, outside its retries.
        inject(emulator, path=r"/storageAccounts/cutputacct\?", method="PUT", status=None, drop="mid-body", count=1)
        poller = await session.storage(emulator.subscription_id).storage_accounts.begin_create(
            group, "cutputacct", {"location": "westus3", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}})
        account = await poller.result()
        assert account.name == "cutputacct"
        assert len(_injected(arm, mark, "mid-body")) == 2


async def test_a_connection_that_keeps_failing_is_named_as_such_not_as_azure_refusing(
        emulator: Any, arm: ArmProbe, workspace: tuple[Path, dict[str, Any]]) -> None:
    from aca_inference.azure.errors import azure_error
    from aca_inference.azure.session import open_session

    _, config = workspace
    async with open_session(TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir))) as session:
        inject(emulator, path=r"/listKeys", method="POST", status=None, drop="before", count=3)
        with pytest.raises(Exception) as caught:
            await session.storage(emulator.subscription_id).storage_accounts.list_keys(
                config["RESOURCE_GROUP_NAME"], config["STORAGE_ACCOUNT_NAME"], retry_total=2)
    message = str(azure_error(caught.value, "reading the keys of storage account x"))
    host = emulator.management_endpoint.split("://")[1]
    assert message.startswith(f"The connection to {host} failed while reading the keys of storage account x")
    assert "Azure refused" not in message and "Fix: check the network" in message


def test_a_deploy_whose_files_connection_keeps_dropping_fails_naming_the_host(
        emulator: Any, workspace: tuple[Path, dict[str, Any]], arm: ArmProbe) -> None:
    root, _ = workspace
    assert cli(emulator, "deploy", root).returncode == 0  # a release serves: the next deploy reads its manifest
    inject(emulator, path=r"/\.aca-inference/releases/", method="GET", status=None, drop="before", port="files")
    run = cli(emulator, "deploy", root)
    output = flat(no_traceback(run))
    assert run.returncode == 1
    host = emulator.files_endpoint.split("://")[1]
    assert f"The connection to {host} failed while reading the releases" in output
    assert "refused" not in output
    assert last_json(run.stdout)["ok"] is False
