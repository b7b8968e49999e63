"""After a deploy: the log stream, the status view and deleting the app (only the app)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import cli_run, last_json
from tests.deploy.conftest import deploy
from tests.provision.arm import ArmProbe


def cli(emulator: Any, root: Path, *args: str) -> Any:
    return cli_run(*args, "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir))


def test_logs_show_the_apps_console_output(emulator: Any, deployed_workspace: tuple[Path, dict]) -> None:
    root, _ = deployed_workspace
    assert deploy(emulator, root).returncode == 0
    run = cli(emulator, root, "logs", "--tail", "300", "--json")
    assert run.returncode == 0, run.stderr
    assert "tiny app: listening on" in run.stderr
    assert last_json(run.stdout)["lines"] >= 1


def test_status_shows_revisions_replicas_and_health(emulator: Any, deployed_workspace: tuple[Path, dict]) -> None:
    root, config = deployed_workspace
    assert deploy(emulator, root).returncode == 0
    run = cli(emulator, root, "status", "--json")
    assert run.returncode == 0, run.stderr
    status = last_json(run.stdout)
    assert status["endpoint"] == config["ACA_APP_ENDPOINT"] and status["healthy"] is True
    active = [r for r in status["revisions"] if r["active"]]
    assert len(active) == 1 and active[0]["replicas"] and active[0]["replicas"][0]["ready"] is True
    assert "api_key" not in status


def test_delete_removes_only_the_app_after_confirmation(emulator: Any, deployed_workspace: tuple[Path, dict]) -> None:
    root, config = deployed_workspace
    refused = cli(emulator, root, "delete")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    run = cli(emulator, root, "delete", "--yes", "--json")
    assert run.returncode == 0, run.stderr
    assert last_json(run.stdout)["deleted"] is True
    arm = ArmProbe(emulator)
    group = config["RESOURCE_GROUP_NAME"]
    assert [a.name for a in arm.apps().container_apps.list_by_resource_group(group)] == []
    assert arm.storage().storage_accounts.get_properties(group, config["STORAGE_ACCOUNT_NAME"]).name
    assert json.loads((root / "infra" / "inference.config.json").read_text())["ACA_APP_ENDPOINT"] is None
    again = cli(emulator, root, "status")
    assert again.returncode == 2 and "was not found" in again.stderr
