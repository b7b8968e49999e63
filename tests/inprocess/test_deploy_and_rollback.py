"""Deploy and rollback as whole operations, in-process: the workspace's real files, the real release store on a
real Azure Files share (the local Azure's Files and ARM, in this process), and a fake container app (no replica
process starts: the revisions answer from a loopback server). What a user would notice: what went to the share,
which release serves, when the traffic moved, what a failure left serving, the config kept whole."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from aca_inference.azure.container_apps import AppRef
from aca_inference.azure.session import open_session
from aca_inference.errors import InputError, OperationFailed
from aca_inference.ops.context import OperationContext, TargetSettings
from aca_inference.ops.deploy.rollback import rollback
from aca_inference.ops.deploy.run import deploy
from aca_inference.ops.deploy.storage_key import account_key
from aca_inference.sync.releases import list_releases
from tests.emulator.conftest import Azure
from tests.fakes.container_apps import FakeContainerAppGateway
from tests.fakes.reporter import RecordingReporter

from .builders import answering_endpoint, app, launcher_template, revision


@pytest.fixture(scope="module")
def storage(emulator: Any) -> Iterator[dict[str, str]]:
    """A storage account on the in-process local Azure (the session's), in a resource group of this module's own
    so the names never clash with another module's; each test adds a share of its own."""
    azure = Azure(emulator, Path(emulator.data_dir))
    group = azure.new_group()
    account = f"st{uuid.uuid4().hex[:12]}"
    azure.storage().storage_accounts.begin_create(group, account, {"location": "westus3", "kind": "StorageV2",
                                                                   "sku": {"name": "Standard_LRS"}}).result()
    yield {"SUBSCRIPTION_ID": azure.sub, "RESOURCE_GROUP_NAME": group, "STORAGE_ACCOUNT_NAME": account}


class Workspace:
    """A workspace with our app's folder and a config a user edited, its own share folder on the module's share
    (each test deploys to a share of its own), and the fake app the config names."""

    def __init__(self, root: Path, storage: dict[str, str], emulator: Any, gateway: FakeContainerAppGateway) -> None:
        self.root, self.emulator, self.gateway = root, emulator, gateway
        (root / "infra").mkdir(parents=True)
        (root / "inference").mkdir()
        (root / "inference" / "app.py").write_text("print('v1')\n")
        (root / "inference" / "requirements.txt").write_text("gradio>=4\n")
        self.share_name = f"share{uuid.uuid4().hex[:10]}"
        config = {"MY_NOTE": "keep me", **storage, "FILE_SHARE_NAME": self.share_name,
                  "ACA_APP_NAME": "app", "ACA_APP_ENDPOINT": None}
        self.config_path = root / "infra" / "inference.config.json"
        self.config_path.write_text(json.dumps(config, indent=2) + "\n")
        Azure(emulator, Path(emulator.data_dir)).storage().file_shares.create(
            storage["RESOURCE_GROUP_NAME"], storage["STORAGE_ACCOUNT_NAME"], self.share_name, {})
        # The local target as the front ends open it: the product finds the local Azure running in this process.
        self.target = TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir))

    def context(self, reporter: RecordingReporter) -> OperationContext:
        def gateway_for(session: Any, ref: AppRef) -> FakeContainerAppGateway:
            assert ref.name == "app"
            return self.gateway

        return OperationContext(root=self.root, reporter=reporter, target=self.target,
                                container_app_gateway=gateway_for, readiness_timeout=10.0, drain_seconds=0.0)

    @asynccontextmanager
    async def share(self) -> AsyncIterator[Any]:
        """The share as the app's mount sees it, through the Files API."""
        config = json.loads(self.config_path.read_text())
        async with open_session(self.target) as session:
            key = await account_key(session, config["SUBSCRIPTION_ID"], config["RESOURCE_GROUP_NAME"],
                                    config["STORAGE_ACCOUNT_NAME"])
            yield session.share(config["STORAGE_ACCOUNT_NAME"], key, self.share_name)

    async def releases_on_share(self) -> list[str]:
        async with self.share() as share:
            return [r.id for r in (await list_releases(share)).releases]


@asynccontextmanager
async def workspace(tmp_path: Path, storage: dict[str, str], emulator: Any, *,
                    new_revision_state: str = "Running") -> AsyncIterator[Workspace]:
    """A launcher app with nothing deployed yet, its ingress and every new revision answering on loopback."""
    async with answering_endpoint() as fqdn:
        gateway = FakeContainerAppGateway(app(fqdn=fqdn, template=launcher_template()), [],
                                          new_revision_fqdn=fqdn, new_revision_state=new_revision_state)
        yield Workspace(tmp_path / "project", storage, emulator, gateway)


def _serving_release(gateway: FakeContainerAppGateway) -> str | None:
    from aca_inference.ops.deploy.revisions import release_run_by

    weights = gateway.serving_weights()
    return next((release_run_by(gateway.revisions[name]) for name in weights), None)


async def test_deploys_publish_releases_and_move_the_traffic_only_to_a_revision_that_answers(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:
    async with workspace(tmp_path, storage, emulator) as ws:
        first = await deploy(ws.context(RecordingReporter()))
        assert first.outcome.action == "released" and first.outcome.files_uploaded == 2
        first_revision = first.outcome.revision
        assert ws.gateway.calls == [("update", first_revision), ("set_traffic", f"{first_revision}=100")]
        assert _serving_release(ws.gateway) == first.outcome.release

        # One file changed: only its content travels; the new revision answers before it gets the traffic, and the
        # old one stops after.
        (ws.root / "inference" / "app.py").write_text("print('v2')\n")
        reporter = RecordingReporter()
        second = await deploy(ws.context(reporter))
        outcome = second.outcome
        assert (outcome.files_uploaded, outcome.files_unchanged) == (1, 1)
        assert (outcome.previous_release, outcome.zero_downtime) == (first.outcome.release, True)
        assert ws.gateway.calls[2:] == [("update", outcome.revision), ("set_traffic", f"{outcome.revision}=100"),
                                        ("deactivate", first_revision)]
        assert _serving_release(ws.gateway) == outcome.release
        assert await ws.releases_on_share() == [first.outcome.release, outcome.release]

    config = json.loads(ws.config_path.read_text())
    assert list(config)[:2] == ["MY_NOTE", "SUBSCRIPTION_ID"] and config["MY_NOTE"] == "keep me"
    assert config["ACA_APP_ENDPOINT"] == second.endpoint
    assert [n.message for n in reporter.notifications] == [f"Inference endpoint is ready: {second.endpoint} "
                                                           "(public: no authentication)"]


async def test_rollback_brings_the_previous_release_back_ready_first_then_the_traffic(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:
    async with workspace(tmp_path, storage, emulator) as ws:
        first = await deploy(ws.context(RecordingReporter()))
        (ws.root / "inference" / "app.py").write_text("print('v2')\n")
        second = await deploy(ws.context(RecordingReporter()))
        ws.gateway.calls.clear()

        back = await rollback(ws.context(RecordingReporter()))
        assert (back.release, back.previous_release, back.action) == (first.outcome.release,
                                                                      second.outcome.release, "rolled back")
        # The first release's revision still exists (deactivated): it is activated again, answers, then serves.
        assert ws.gateway.calls == [("activate", first.outcome.revision),
                                    ("set_traffic", f"{first.outcome.revision}=100"),
                                    ("deactivate", second.outcome.revision)]
        assert _serving_release(ws.gateway) == first.outcome.release

        again = await rollback(ws.context(RecordingReporter()), to=first.outcome.release)
        assert again.action == "unchanged" and again.summary == f"Release {first.outcome.release} already serves."

        with pytest.raises(InputError) as unknown:
            await rollback(ws.context(RecordingReporter()), to="20200101-000000-0000000")
        assert str(unknown.value) == (
            f"Release '20200101-000000-0000000' is not on share {ws.share_name}; the releases kept there: "
            f"{first.outcome.release}, {second.outcome.release}. Pick one of them (`aca-inference status` lists them).")


async def test_a_release_that_never_answers_leaves_the_serving_one_serving(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:
    async with workspace(tmp_path, storage, emulator) as ws:
        first = await deploy(ws.context(RecordingReporter()))
        ws.gateway.new_revision_state = "Failed"
        (ws.root / "inference" / "app.py").write_text("raise SystemExit(1)\n")
        reporter = RecordingReporter()
        with pytest.raises(OperationFailed) as failure:
            await deploy(ws.context(reporter))
        broken = ws.gateway.changed("update")[-1]
        assert ws.gateway.calls[-2:] == [("update", broken), ("deactivate", broken)]  # the traffic never moved
        assert _serving_release(ws.gateway) == first.outcome.release
        assert f"release {first.outcome.release}" in str(failure.value)
        assert len(await ws.releases_on_share()) == 2  # the failed release stays for a look, not served


async def test_an_app_outside_the_launcher_gets_its_folders_synced_in_place_and_a_restart(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:
    async with workspace(tmp_path, storage, emulator) as ws:
        in_place = launcher_template(launcher=False)
        ws.gateway.app = dataclasses.replace(ws.gateway.app, template=in_place, latest_revision_name="app--one")
        ws.gateway.revisions["app--one"] = dataclasses.replace(revision("one", None, traffic=100), template=in_place)
        reporter = RecordingReporter()
        result = await deploy(ws.context(reporter))
        assert (result.outcome.action, result.outcome.files_uploaded, result.outcome.release) == ("restarted", 2, None)
        assert ws.gateway.calls == [("restart", "app--one")]
        assert await ws.releases_on_share() == []  # nothing of the release store for an app that does not use it
        async with ws.share() as share:
            app_py = await (await share.get_file_client("inference/app.py").download_file()).readall()
        assert app_py == b"print('v1')\n"  # where /mount/inference/app.py reads it
        assert any("restarts it and the endpoint is down until it answers again" in m for m in reporter.messages())


async def test_a_rename_retried_after_the_service_did_it_is_done_not_a_missing_share(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:
    """The answer to a rename can be lost after the service did it (a dropped connection); the SDK's retry then
    finds no source. The file is in place: that is success, not "the share does not exist"."""
    from azure.core.exceptions import ResourceNotFoundError

    from aca_inference.sync.releases.share_io import rename_into_place

    async with workspace(tmp_path, storage, emulator) as ws, ws.share() as share:
        await share.get_file_client("object.partial-1").upload_file(b"content")
        await rename_into_place(share, "object.partial-1", "object")
        await rename_into_place(share, "object.partial-1", "object")  # the retry
        assert await (await share.get_file_client("object").download_file()).readall() == b"content"
        with pytest.raises(ResourceNotFoundError):
            await rename_into_place(share, "other.partial-2", "other")  # never written: still an error
