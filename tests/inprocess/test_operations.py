"""Whole operations in-process: the workspace's real files, the operation's real code, and fakes only at the Azure
boundary (the session and the container-app gateway, set on the OperationContext as the front ends never do).
What the user would notice: the config file kept whole, the confirmation asked, the secret kept out of the
output, the message naming the file and field to fix."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from aca_inference.azure.container_apps import AppRef, Replica
from aca_inference.errors import Cancelled, InputError
from aca_inference.ops.context import OperationContext, TargetSettings
from aca_inference.ops.migrate import migrate
from aca_inference.ops.show_logs import show_logs
from aca_inference.ops.status import show_status
from aca_inference.ops.teardown import delete_app
from tests.fakes.container_apps import START, FakeContainerAppGateway
from tests.fakes.reporter import RecordingReporter

from .builders import app, launcher_template, revision

SECRET = "sk-very-secret-0123456789"
AITOOLKIT_PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "aitoolkit_project"


def _workspace(root: Path) -> Path:
    """A workspace whose config a user edited: an extra key of theirs, keys in their own order."""
    (root / "infra").mkdir(parents=True)
    config = {"ACA_APP_NAME": "app", "MY_NOTE": "keep me", "SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
              "RESOURCE_GROUP_NAME": "rg-fake", "STORAGE_ACCOUNT_NAME": "aistorage12345",
              "FILE_SHARE_NAME": "aifileshare12345", "ACA_APP_ENDPOINT": "https://app.fake.example"}
    (root / "infra" / "inference.config.json").write_text(json.dumps(config, indent=2) + "\n")
    return root


def _context(root: Path, gateway: FakeContainerAppGateway, reporter: RecordingReporter) -> OperationContext:
    @asynccontextmanager
    async def connect(target: TargetSettings) -> AsyncIterator[Any]:
        yield object()  # the gateway below is all these operations use of a session

    def gateway_for(session: Any, ref: AppRef) -> FakeContainerAppGateway:
        assert (ref.resource_group, ref.name) == ("rg-fake", "app")  # what the config names
        return gateway

    return OperationContext(root=root, reporter=reporter, connect=connect, container_app_gateway=gateway_for)


def _in_place_app() -> FakeContainerAppGateway:
    """An app deployed in place (no release launcher), one revision serving with one ready replica."""
    template = launcher_template(launcher=False)
    serving = dataclasses.replace(revision("one", None, traffic=100), template=template)
    return FakeContainerAppGateway(app(template=template, latest_revision="app--one"), [serving],
                                   secrets={"inference-api-key": SECRET})


async def test_delete_asks_first_then_removes_only_the_app_and_forgets_only_its_endpoint(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    gateway = _in_place_app()
    reporter = RecordingReporter(confirm_answers=[True])
    result = await delete_app(_context(root, gateway, reporter))
    assert gateway.calls == [("delete", "app")]
    assert (result.deleted, result.summary) == (True, "Deleted container app app.")
    config = json.loads((root / "infra" / "inference.config.json").read_text())
    assert list(config) == ["ACA_APP_NAME", "MY_NOTE", "SUBSCRIPTION_ID", "RESOURCE_GROUP_NAME",
                            "STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME", "ACA_APP_ENDPOINT"]
    assert config["MY_NOTE"] == "keep me" and config["ACA_APP_ENDPOINT"] is None
    assert [n.message for n in reporter.notifications] == ["Deleted container app app."]
    again = await delete_app(_context(root, gateway, RecordingReporter(confirm_answers=[True])))
    assert (again.deleted, again.summary) == (False, "Container app app did not exist.")


async def test_delete_declined_changes_nothing(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    before = (root / "infra" / "inference.config.json").read_bytes()
    gateway = _in_place_app()
    with pytest.raises(Cancelled, match="Delete cancelled; nothing was changed."):
        await delete_app(_context(root, gateway, RecordingReporter(confirm_answers=[False])))
    assert gateway.calls == []
    assert (root / "infra" / "inference.config.json").read_bytes() == before


async def test_status_reports_revisions_and_replicas_and_keeps_the_key_out_of_the_output(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    gateway = _in_place_app()
    gateway.replicas["app--one"] = [Replica("app--one-abc-1", "Running", START, 2, True)]
    reporter = RecordingReporter()
    result = await show_status(_context(root, gateway, reporter), show_api_key=True)
    assert result.healthy and not result.scaled_to_zero and result.releases is None
    assert result.revisions[0]["replicas"] == [{"name": "app--one-abc-1", "running_state": "Running", "ready": True,
                                               "restart_count": 2}]
    assert result.summary == SECRET and result.as_json()["api_key"] == SECRET  # asked for: the result carries it
    said = [*reporter.messages(), *(n.message for n in reporter.notifications)]
    assert not [line for line in said if SECRET in line]
    assert "* revision app--one: Running, health Healthy, traffic 100%, 1 replica(s)" in "\n".join(said)
    assert "api_key" not in (await show_status(_context(root, gateway, RecordingReporter()))).as_json()


async def test_status_reads_azures_null_scale_bounds_as_acas_defaults(tmp_path: Path) -> None:
    """Azure answers `minReplicas: null` (and may `maxReplicas: null`) where nothing was set: 0 and 10, not None."""
    root = _workspace(tmp_path)
    template = {**launcher_template(launcher=False), "scale": {"minReplicas": None, "maxReplicas": None, "rules": None}}
    serving = dataclasses.replace(revision("one", None, traffic=100), template=template)
    gateway = FakeContainerAppGateway(app(template=template, latest_revision="app--one"), [serving],
                                      secrets={"inference-api-key": SECRET})
    reporter = RecordingReporter()
    await show_status(_context(root, gateway, reporter))
    assert any(m.startswith("  replicas: 0 to 10 per revision") for m in reporter.messages())


async def test_status_of_an_app_that_is_gone_names_the_config_field_and_the_fix(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    gateway = _in_place_app()
    gateway.deleted = True
    with pytest.raises(InputError) as missing:
        await show_status(_context(root, gateway, RecordingReporter()))
    assert str(missing.value) == ("infra/inference.config.json: ACA_APP_NAME: container app 'app' was not found in "
                                  "resource group 'rg-fake'; run provision or correct the value.")


async def test_logs_of_a_revision_scaled_to_zero_say_so_instead_of_streaming(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    gateway = _in_place_app()
    gateway.replicas["app--one"] = []
    reporter = RecordingReporter()
    result = await show_logs(_context(root, gateway, reporter), follow=False, tail=20)
    assert result.lines == 0 and result.replicas == []
    assert reporter.messages() == [
        "--- log of app, revision app--one, no replica ---",
        "Revision app--one has no replica running (scaled to zero): there is no console log until a request starts "
        "one."]


async def test_logs_of_a_replica_that_is_not_running_name_the_ones_that_are(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    gateway = _in_place_app()
    gateway.replicas["app--one"] = [Replica("app--one-abc-1", "Running", START, 0, True)]
    with pytest.raises(InputError) as refused:
        await show_logs(_context(root, gateway, RecordingReporter()), follow=False, tail=20,
                        replica="app--one-abc-9")
    assert str(refused.value) == "Replica app--one-abc-9 is not running in container app app; its replicas: " \
                                 "app--one-abc-1."


async def test_migrate_lists_every_change_and_declined_it_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(AITOOLKIT_PROJECT, root)
    before = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    reporter = RecordingReporter(confirm_answers=[False])
    with pytest.raises(Cancelled, match="Nothing was changed."):
        await migrate(OperationContext(root=root, reporter=reporter), preview=False)
    assert {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} == before
    said = "\n".join(reporter.messages())
    assert "infra/provision/inference.bicep" in said and "inference-aca/" in said
