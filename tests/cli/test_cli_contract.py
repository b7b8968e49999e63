"""The CLI contract: exit codes 0/1/2, --json's last stdout line, messages instead of tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_parameters


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aca_inference.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_validate_good_workspace_exits_0(tmp_path: Path) -> None:
    write_parameters(tmp_path, {"acaAppName": None})
    run = cli("validate", "--workspace", str(tmp_path), "--json")
    assert run.returncode == 0, run.stderr
    assert last_json(run.stdout)["valid"] is True


def test_validate_bad_workspace_exits_2_and_lists_problems(tmp_path: Path) -> None:
    write_parameters(tmp_path, '{"parameters": {"acaAppName": {"value": "Bad App"}, }')
    run = cli("validate", "--workspace", str(tmp_path), "--json")
    assert run.returncode == 2
    assert "inference.parameters.json:1:" in run.stderr
    assert "Traceback" not in run.stderr
    assert last_json(run.stdout)["valid"] is False


def test_usage_error_exits_2(tmp_path: Path) -> None:
    run = cli("provision", "--target", "moon")
    assert run.returncode == 2
    assert "invalid choice" in run.stderr


def test_init_writes_templates_and_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "ws"
    first = cli("init", str(target), "--json")
    assert first.returncode == 0, first.stderr
    params = target / "infra" / "provision" / "inference.parameters.json"
    assert params.exists() and (target / "inference" / "app.py").exists()
    params.write_text(params.read_text().replace('"contentVersion"', '"contentVersion" ', 1))
    edited = params.read_text()
    second = cli("init", str(target), "--json")
    assert second.returncode == 0
    assert "infra/provision/inference.parameters.json" in last_json(second.stdout)["kept"]
    assert params.read_text() == edited
    third = cli("init", str(target), "--force", "--json")
    assert "infra/provision/inference.parameters.json" in last_json(third.stdout)["written"]
    assert params.read_text() != edited
    valid = cli("validate", "--workspace", str(target))
    assert valid.returncode == 0, valid.stderr


def test_emulator_status_and_stop_where_none_runs_say_so_with_their_keys(tmp_path: Path) -> None:
    status = cli("emulator", "status", "--data-dir", str(tmp_path), "--json")
    assert status.returncode == 0, status.stderr
    assert last_json(status.stdout) == {
        "summary": "Emulator not running.", "running": False, "data_dir": str(tmp_path.resolve()), "pid": None,
        "management_endpoint": None, "files_endpoint": None, "ca_path": None, "subscription_id": None, "ok": True}
    stop = cli("emulator", "stop", "--data-dir", str(tmp_path), "--json")
    assert stop.returncode == 0, stop.stderr
    assert last_json(stop.stdout) == {"summary": "not running", "running": False, "stopped": False,
                                      "data_dir": str(tmp_path.resolve()), "ok": True}
    assert "The emulator was not running." in stop.stderr
