"""Deploy tests: a provisioned workspace on the session emulator whose inference/ is a tiny stdlib app,
so each deploy's readiness takes milliseconds, not a model load."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NULL_TEMPLATE, cli_run, last_json, write_parameters

TINY_APP = Path(__file__).parent / "tiny_app"


def make_workspace(root: Path) -> Path:
    shutil.copytree(TINY_APP, root / "inference", ignore=shutil.ignore_patterns("__pycache__"))
    write_parameters(root, {**NULL_TEMPLATE, "defaultCommands": ["cd /mount/inference", "python3 app.py"]})
    return root


def provision_workspace(emulator: Any, root: Path, group: str) -> dict[str, Any]:
    run = cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                  "--resource-group", group, "--location", "westus3", "--yes", "--json")
    assert run.returncode == 0, run.stderr
    return last_json(run.stdout)["config"]


def deploy(emulator: Any, root: Path, *extra: str) -> Any:
    return cli_run("deploy", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                   "--timeout", "120", "--drain-seconds", "0.5", "--json", *extra)


@pytest.fixture(scope="module")
def deployed_workspace(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = make_workspace(tmp_path_factory.mktemp("deploy-ws"))
    config = provision_workspace(emulator, root, f"rg-deploy-{root.name[-6:]}")
    return root, config
