"""Deploy after a fine-tuning run: code unchanged and a new adapter on the share -> the running app reloads its
adapters (seconds) instead of restarting; a changed base model -> a restart. Our real app, the demo model."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from aca_inference.demo_model import add_demo_adapter
from aca_inference.workspace.paths import template_source
from tests.conftest import cli_run, last_json, write_parameters
from tests.provision.arm import ArmProbe


def _deploy(emulator: Any, root: Path, *extra: str) -> dict[str, Any]:
    run = cli_run("deploy", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                  "--timeout", "400", "--drain-seconds", "0.5", "--json", *extra, timeout=600)
    assert run.returncode == 0, run.stderr
    return last_json(run.stdout) | {"stderr": run.stderr}


def _models(endpoint: str, key: str) -> list[str]:
    request = urllib.request.Request(f"{endpoint}/v1/models", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return [m["id"] for m in json.loads(response.read())["data"]]


@pytest.mark.runs_for(40)
@pytest.mark.slow
def test_a_new_adapter_is_reloaded_without_a_restart_and_a_new_base_restarts(emulator: Any, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(template_source() / "inference", root / "inference",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # One replica stays warm: a replica started from zero after the new adapter landed would already serve it,
    # and this test is about the running app taking it without a restart.
    write_parameters(root, {"location": None, "minReplicas": 1})
    provision = cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                        "--resource-group", "rg-reload", "--location", "westus3", "--yes", "--json")
    assert provision.returncode == 0, provision.stderr
    config = last_json(provision.stdout)["config"]
    first = _deploy(emulator, root, "--demo-model")
    assert first["action"] == "released"
    assert "Cold start: ready" in first["stderr"]
    key = cli_run("status", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir), "--show-api-key",
                  "--json")
    api_key = last_json(key.stdout)["api_key"]
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    add_demo_adapter(share, "run-2", seed=7)  # a second fine-tuning run finished
    started = time.monotonic()
    second = _deploy(emulator, root)
    assert second["action"] == "reloaded", second["stderr"]
    assert "reloaded the adapters" in second["stderr"] and "added: run-2" in second["stderr"]
    assert "run-2" in _models(second["endpoint"], api_key)
    reload_seconds = time.monotonic() - started
    base = next((share / "model-cache").rglob("config.json"))
    base.write_text(base.read_text())  # the base model's files changed on the share
    third = _deploy(emulator, root)
    assert third["action"] == "released" and third["files_uploaded"] == 0, third["stderr"]
    assert third["release"] == first["release"] and third["revision"] != first["revision"]
    assert "base model on the share changed" in third["stderr"]
    print(f"deploy with a new adapter: {reload_seconds:.1f}s (reload {second['ready_seconds']}s)")
