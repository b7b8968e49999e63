"""Moving an AI Toolkit project to our app: every file change previewed first, their files kept, their values
carried over, and the next provision + deploy give the endpoint a key, the OpenAI API and /health."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_run, last_json

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aitoolkit_project"
PARAMS = Path("infra/provision/inference.parameters.json")


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    params = json.loads((root / PARAMS).read_text())
    params["parameters"]["location"] = {"value": "westus3"}
    params["parameters"]["maximumInstanceCount"] = {"value": 2}
    params["parameters"]["acaAppName"] = {"value": "chat-phi3"}
    (root / PARAMS).write_text(json.dumps(params, indent=2))
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_preview_lists_every_change_and_changes_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _snapshot(root)
    run = cli_run("migrate", "--workspace", str(root), "--preview", "--json")
    assert run.returncode == 0, run.stderr
    changes = {c["path"]: c for c in last_json(run.stdout)["changes"]}
    assert set(changes) == {"infra/provision/inference.aitoolkit.bicep", "infra/provision/inference.aitoolkit."
                            "parameters.json", "infra/provision/inference.bicep",
                            "infra/provision/inference.parameters.json", "inference-aca/"}
    assert 'acaAppName="chat-phi3"' in changes["infra/provision/inference.parameters.json"]["detail"]
    assert _snapshot(root) == before


def test_migrate_keeps_their_files_and_carries_their_values(tmp_path: Path) -> None:
    root = _project(tmp_path)
    theirs = {p: (root / p).read_bytes() for p in ("infra/provision/inference.bicep", str(PARAMS),
                                                   "inference/gradio_chat.py")}
    refused = cli_run("migrate", "--workspace", str(root))  # no terminal, no --yes: asks for it
    assert refused.returncode == 2 and "--yes" in refused.stderr
    run = cli_run("migrate", "--workspace", str(root), "--yes", "--json")
    assert run.returncode == 0, run.stderr
    assert (root / "infra/provision/inference.aitoolkit.bicep").read_bytes() == theirs["infra/provision/inference.bicep"]
    assert (root / "infra/provision/inference.aitoolkit.parameters.json").read_bytes() == theirs[str(PARAMS)]
    assert (root / "inference/gradio_chat.py").read_bytes() == theirs["inference/gradio_chat.py"]
    assert (root / "inference-aca" / "app.py").is_file()
    ours = json.loads((root / PARAMS).read_text())["parameters"]
    assert ours["acaAppName"]["value"] == "chat-phi3" and ours["maximumInstanceCount"]["value"] == 2
    assert ours["location"]["value"] == "westus3"
    # Their app's GPU is kept: the dedicated A100 profile it runs on, not our template's default serverless T4.
    assert (ours["workloadProfileType"]["value"], ours["workloadProfileName"]["value"]) == ("NC24-A100", "GPU")
    assert ours["defaultCommands"]["value"][0] == "cd /mount/inference-aca"
    assert ours["appFolder"]["value"] == "inference-aca"
    assert "param endpointAuth" in (root / "infra/provision/inference.bicep").read_text()
    valid = cli_run("validate", "--workspace", str(root), "--json")
    assert valid.returncode == 0, valid.stderr
    again = cli_run("migrate", "--workspace", str(root), "--yes")
    assert again.returncode == 2 and "nothing to move" in again.stderr


@pytest.mark.runs_for(40)
@pytest.mark.slow
def test_after_migrate_provision_and_deploy_give_auth_openai_and_health(emulator: Any, tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                    "--resource-group", "rg-migrate", "--location", "westus3", "--yes", "--json")
    assert first.returncode == 0, first.stderr
    assert cli_run("migrate", "--workspace", str(root), "--yes").returncode == 0
    second = cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                     "--resource-group", "rg-migrate", "--yes", "--json")
    assert second.returncode == 0, second.stderr
    app = next(r for r in last_json(second.stdout)["plan"] if r["resource"] == "container app")
    assert app["action"] == "update"
    deploy = cli_run("deploy", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                     "--demo-model", "--timeout", "400", "--drain-seconds", "0.5", "--json", timeout=600)
    assert deploy.returncode == 0, deploy.stderr
    endpoint = last_json(deploy.stdout)["endpoint"]
    assert last_json(deploy.stdout)["public"] is False
    # Our template scales to zero: deploy says what that means for the first request.
    assert last_json(deploy.stdout)["scales_to_zero"] is True and "first request after that waits" in deploy.stderr
    with urllib.request.urlopen(f"{endpoint}/health", timeout=30) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"{endpoint}/v1/models", timeout=30)
    assert denied.value.code == 401
