"""Provision as a whole operation, in-process: the VS Code flow (pickers, plan, confirmation, progress per
resource, the config written) against the local Azure's ARM in this process, with container apps recorded but
no process started. The end-to-end tests (tests/provision/) run the same through the CLI and the daemon."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aca_inference.errors import Cancelled
from aca_inference.ops.context import OperationContext, TargetSettings
from aca_inference.ops.provision.run import ProvisionRequest, provision
from aca_inference.ops.provision.scope import NEW_GROUP
from tests.fakes.reporter import RecordingReporter

CONFIG = Path("infra") / "inference.config.json"


@pytest.fixture(scope="module")
def arm_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local Azure whose container apps start no process (provision waits for ARM, not for the app)."""
    from aca_emulator.testing import running_emulator

    with running_emulator(tmp_path_factory.mktemp("emulator"), time_scale=0.002, run_apps=False) as info:
        yield info


def _context(root: Path, emulator: Any, reporter: RecordingReporter) -> OperationContext:
    """The local target as the front ends open it: the product finds the local Azure running in this process."""
    return OperationContext(root=root, reporter=reporter,
                            target=TargetSettings(kind="local", emulator_data_dir=Path(emulator.data_dir)))


def _vscode_reporter(subscription: str, *, group: str, confirm: bool) -> RecordingReporter:
    """The palette command: the subscription picker, "Create new resource group…", its name and location, then
    the plan's confirmation."""
    return RecordingReporter(interactive=True, pick_answers=[subscription, NEW_GROUP], ask_answers=[group, "westus3"],
                             confirm_answers=[confirm])


async def test_the_palette_flow_creates_every_resource_and_writes_the_config_keeping_the_users_keys(
        tmp_path: Path, arm_only: Any) -> None:
    root = tmp_path / "project"
    (root / "infra").mkdir(parents=True)
    (root / CONFIG).write_text(json.dumps({"MY_NOTE": "keep me", "ACA_APP_NAME": None}, indent=2) + "\n")
    group = f"rg-{uuid.uuid4().hex[:8]}"
    reporter = _vscode_reporter(arm_only.subscription_id, group=group, confirm=True)
    result = await provision(_context(root, arm_only, reporter), ProvisionRequest(always_pick=True))

    created = [row["name"] for row in result.plan if row["action"] == "create"]
    assert len(created) == len(result.plan) >= 6  # an empty group: everything is new
    assert [(c["profile"], c["scales_to_zero"]) for c in result.cost] == [("gpu-t4", True)]  # the template scales to 0
    config = json.loads((root / CONFIG).read_text())
    assert list(config)[:2] == ["MY_NOTE", "ACA_APP_NAME"] and config["MY_NOTE"] == "keep me"
    assert config["RESOURCE_GROUP_NAME"] == group and config["SUBSCRIPTION_ID"] == arm_only.subscription_id
    assert config["ACA_APP_ENDPOINT"] and config["ACA_APP_ENDPOINT"].startswith("http")
    progress = reporter.progresses[-1]
    assert progress.title == "Provisioning Azure Container Apps for inference"
    assert {name for name in created if any(name in message for message, _ in progress.reports)} == set(created)

    # Again, in the same group: all of it reused, no question asked, the config unchanged.
    before = (root / CONFIG).read_bytes()
    again = await provision(_context(root, arm_only, RecordingReporter()),
                            ProvisionRequest(subscription=arm_only.subscription_id, resource_group=group))
    assert {row["action"] for row in again.plan} == {"reuse"}
    assert (root / CONFIG).read_bytes() == before


async def test_declining_the_plan_changes_nothing_but_the_group_the_user_asked_for(
        tmp_path: Path, arm_only: Any) -> None:
    root = tmp_path / "project"
    root.mkdir()
    group = f"rg-{uuid.uuid4().hex[:8]}"
    reporter = _vscode_reporter(arm_only.subscription_id, group=group, confirm=False)
    with pytest.raises(Cancelled, match="Provision cancelled; nothing was changed."):
        await provision(_context(root, arm_only, reporter), ProvisionRequest(always_pick=True))
    assert not (root / CONFIG).exists()
    preview = await provision(_context(root, arm_only, RecordingReporter()),
                              ProvisionRequest(subscription=arm_only.subscription_id, resource_group=group,
                                               preview=True))
    assert preview.preview and {row["action"] for row in preview.plan} == {"create"}  # nothing was made
