"""Deploy through the CLI on the emulator: releases (our template) and in-place restarts (an app without the
release launcher), readiness, and what must never be touched."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import cli_run, last_json
from tests.deploy.conftest import deploy, make_workspace, provision_workspace
from tests.deploy.in_place import make_in_place_workspace
from tests.provision.arm import ArmProbe


def get(url: str, key: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def api_key(emulator: Any, root: Path) -> str:
    run = cli_run("status", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir), "--show-api-key",
                  "--json")
    assert run.returncode == 0, run.stderr
    return last_json(run.stdout)["api_key"]


def test_first_deploy_serves_and_the_endpoint_needs_the_api_key(emulator: Any,
                                                                 deployed_workspace: tuple[Path, dict]) -> None:
    root, config = deployed_workspace
    run = deploy(emulator, root)
    assert run.returncode == 0, run.stderr
    result = last_json(run.stdout)
    assert result["endpoint"] == config["ACA_APP_ENDPOINT"]
    assert result["files_uploaded"] == 2
    assert f"Inference endpoint is ready: {result['endpoint']}" in run.stdout + run.stderr
    assert get(result["endpoint"] + "/")[1] == b"hello from version 1\n"
    key = api_key(emulator, root)
    assert key not in run.stdout + run.stderr
    assert get(result["endpoint"] + "/v1/models")[0] == 401
    assert get(result["endpoint"] + "/v1/models", key)[0] == 200
    written = json.loads((root / "infra" / "inference.config.json").read_text())
    assert written["ACA_APP_ENDPOINT"] == result["endpoint"]


def test_redeploy_without_changes_uploads_nothing_in_at_most_3_requests(
        emulator: Any, deployed_workspace: tuple[Path, dict]) -> None:
    root, _ = deployed_workspace
    assert deploy(emulator, root).returncode == 0
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = deploy(emulator, root)
    assert run.returncode == 0, run.stderr
    assert last_json(run.stdout)["files_uploaded"] == 0
    assert len(arm.files_requests_since(mark)) <= 3
    assert arm.writes_since(mark, port="files") == []


def test_one_changed_file_is_uploaded_alone_and_served_as_a_new_release(
        emulator: Any, deployed_workspace: tuple[Path, dict]) -> None:
    root, config = deployed_workspace
    first = deploy(emulator, root)
    assert first.returncode == 0, first.stderr
    (root / "inference" / "message.txt").write_text("hello from version 2\n")
    run = deploy(emulator, root)
    assert run.returncode == 0, run.stderr
    result = last_json(run.stdout)
    assert result["files_uploaded"] == 1 and result["action"] == "released" and result["zero_downtime"]
    assert result["previous_release"] == last_json(first.stdout)["release"] != result["release"]
    assert get(config["ACA_APP_ENDPOINT"] + "/")[1] == b"hello from version 2\n"
    # The release runs from its own copy: nothing was written where an in-place deploy would write.
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    assert not (share / "inference").exists()


def test_in_place_app_restarts_and_only_our_files_are_removed_job_outputs_never_touched(
        emulator: Any, tmp_path: Path) -> None:
    root = make_in_place_workspace(tmp_path)
    config = provision_workspace(emulator, root, "rg-in-place")
    first = deploy(emulator, root)
    assert first.returncode == 0, first.stderr
    assert last_json(first.stdout)["action"] in ("restarted", "updated")
    assert "runs its code in place on the share" in first.stderr
    arm = ArmProbe(emulator)
    share = arm.share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    (share / "models" / "checkpoint-1").mkdir(parents=True, exist_ok=True)
    (share / "models" / "checkpoint-1" / "adapter.safetensors").write_bytes(b"weights")
    (share / "inference" / "written-by-the-job.txt").write_text("not ours")
    (root / "inference" / "extra.txt").write_text("temporary")
    assert deploy(emulator, root).returncode == 0
    assert (share / "inference" / "extra.txt").read_text() == "temporary"
    (root / "inference" / "extra.txt").unlink()
    run = deploy(emulator, root)
    assert run.returncode == 0, run.stderr
    assert last_json(run.stdout)["files_deleted"] == 1
    assert not (share / "inference" / "extra.txt").exists()
    assert (share / "inference" / "written-by-the-job.txt").read_text() == "not ours"
    assert (share / "models" / "checkpoint-1" / "adapter.safetensors").read_bytes() == b"weights"
    (root / "inference" / "message.txt").write_text("hello from version 2\n")
    third = deploy(emulator, root)
    assert third.returncode == 0 and last_json(third.stdout)["action"] == "restarted"
    assert get(config["ACA_APP_ENDPOINT"] + "/")[1] == b"hello from version 2\n"


def test_changed_container_settings_roll_a_new_revision(emulator: Any, tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    provision_workspace(emulator, root, "rg-newrevision")
    first = deploy(emulator, root)
    assert first.returncode == 0, first.stderr
    params_path = root / "infra" / "provision" / "inference.parameters.json"
    params = json.loads(params_path.read_text())
    params["parameters"]["environmentVariables"] = {"value": [{"name": "GREETING", "value": "hi"}]}
    params_path.write_text(json.dumps(params))
    second = deploy(emulator, root)
    assert second.returncode == 0, second.stderr
    result = last_json(second.stdout)
    assert result["action"] == "released" and result["revision"] != last_json(first.stdout)["revision"]
    assert result["release"] != last_json(first.stdout)["release"] and result["files_uploaded"] == 0


def test_app_that_crashes_fails_with_its_log_lines(emulator: Any, tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    provision_workspace(emulator, root, "rg-crash")
    (root / "inference" / "crash.txt").write_text("no model found under /mount/model-cache")
    run = deploy(emulator, root, "--timeout", "60")
    assert run.returncode == 1
    assert "did not start" in run.stderr
    assert "refusing to start: no model found under /mount/model-cache" in run.stderr
    assert "Traceback" not in run.stderr


def test_hand_filled_config_deploys(emulator: Any, deployed_workspace: tuple[Path, dict], tmp_path: Path) -> None:
    _, config = deployed_workspace
    root = make_workspace(tmp_path)
    (root / "infra" / "provision" / "inference.parameters.json").unlink()
    by_hand = {"SUBSCRIPTION_ID": config["SUBSCRIPTION_ID"], "RESOURCE_GROUP_NAME": config["RESOURCE_GROUP_NAME"],
               "STORAGE_ACCOUNT_NAME": config["STORAGE_ACCOUNT_NAME"], "FILE_SHARE_NAME": config["FILE_SHARE_NAME"],
               "ACA_APP_NAME": config["ACA_APP_NAME"], "ACA_APP_ENDPOINT": None, "MY_NOTES": "kept"}
    (root / "infra" / "inference.config.json").write_text(json.dumps(by_hand, indent=2))
    run = deploy(emulator, root)
    assert run.returncode == 0, run.stderr
    written = json.loads((root / "infra" / "inference.config.json").read_text())
    assert written["MY_NOTES"] == "kept" and written["ACA_APP_ENDPOINT"] == config["ACA_APP_ENDPOINT"]


def test_missing_or_incomplete_config_names_the_missing_keys(emulator: Any, tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    missing = deploy(emulator, root)
    assert missing.returncode == 2 and "inference.config.json: file not found" in missing.stderr
    (root / "infra" / "inference.config.json").write_text(json.dumps({"SUBSCRIPTION_ID": None, "ACA_APP_NAME": "myapp"}))
    incomplete = deploy(emulator, root)
    assert incomplete.returncode == 2
    for key in ("SUBSCRIPTION_ID", "RESOURCE_GROUP_NAME", "STORAGE_ACCOUNT_NAME", "FILE_SHARE_NAME"):
        assert f"{key}: expected a value" in incomplete.stderr
    assert "ACA_APP_NAME: expected" not in incomplete.stderr


def test_deleted_app_in_config_is_reported(emulator: Any, tmp_path: Path, deployed_workspace: tuple[Path, dict]) -> None:
    _, config = deployed_workspace
    root = make_workspace(tmp_path)
    (root / "infra" / "inference.config.json").write_text(json.dumps({**config, "ACA_APP_NAME": "no-such-app"}))
    run = deploy(emulator, root)
    assert run.returncode == 2
    assert "container app 'no-such-app' was not found" in run.stderr


