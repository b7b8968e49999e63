"""Suite-wide isolation: every test gets its own ACA_INFERENCE_HOME, so nothing touches the real home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The files of tests marked `runs_for` go first, longest first, the rest keep their order. scripts/test.sh
    runs the files in parallel (pytest-xdist, `--dist loadfile --no-loadscope-reorder`), which hands them out in
    this order: a test of minutes handed out last would leave the other workers idle while it runs on alone."""
    seconds: dict[Path, float] = {}
    for item in items:
        marker = item.get_closest_marker("runs_for")
        if marker is not None:
            seconds[item.path] = seconds.get(item.path, 0.0) + float(marker.args[0])
    items.sort(key=lambda item: -seconds.get(item.path, 0.0))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("aca-home")
    monkeypatch.setenv("ACA_INFERENCE_HOME", str(home))
    yield home
    # A CLI run without --emulator-data-dir starts the local emulator in the background, in this home: it
    # ends with the test, or the suite would leave one emulator (and its apps) running per such test.
    if (home / "emulator").is_dir():
        from aca_emulator import control

        control.stop(home / "emulator")


def write_parameters(root: Path, parameters: dict[str, Any] | str) -> Path:
    """Write infra/provision/inference.parameters.json: a dict of name -> value, or raw text."""
    path = root / "infra" / "provision" / "inference.parameters.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(parameters, str):
        path.write_text(parameters)
    else:
        path.write_text(json.dumps({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {name: {"value": value} for name, value in parameters.items()},
        }, indent=2))
    return path


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    """One in-process local Azure for the session; tests isolate themselves by resource group."""
    from aca_emulator.testing import running_emulator

    with running_emulator(tmp_path_factory.mktemp("emulator"), time_scale=0.002) as info:
        yield info


NULL_TEMPLATE = {name: None for name in ("location", "storageAccountName", "fileShareName", "acaEnvironmentName",
                                         "acaEnvironmentStorageName", "acaAppName", "acaLogAnalyticsName")}


def cli_run(*args: str, timeout: float = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a separate process, no stdin, the result on the last stdout line."""
    return subprocess.run([sys.executable, "-m", "aca_inference.cli", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def last_json(stdout: str) -> dict[str, Any]:
    return json.loads(stdout.strip().splitlines()[-1])
