"""An untouched AI Toolkit fine-tuning project: provision creates exactly what its own bicep describes, an edit
of that bicep shows in the preview as the property change and is applied, and deploy of its own app (Gradio
at `/`, no /health, no key, a hard-coded port) reaches ready."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from aca_inference.demo_model import make_demo_model
from aca_inference.workspace.naming import default_names
from tests.conftest import cli_run, last_json
from tests.provision.arm import ArmProbe

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aitoolkit_project"
BICEP = Path("infra/provision/inference.bicep")


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    return root


def _provision(emulator: Any, root: Path, group: str, *extra: str) -> Any:
    return cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                   "--resource-group", group, "--location", "westus3", "--yes", "--json", *extra)


def test_provision_creates_exactly_what_their_bicep_describes(emulator: Any, tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = _provision(emulator, root, "rg-ait-exact")
    assert run.returncode == 0, run.stderr
    assert "Planning infra/provision/inference.bicep" in run.stderr
    assert "Always on: minReplicas 1 keeps 1 GPU node(s) running all month" in run.stderr
    names = default_names(f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-ait-exact")
    arm = ArmProbe(emulator)
    group = f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-ait-exact/providers"
    app = arm.get(f"{group}/Microsoft.App/containerApps/{names.container_app}", "2023-11-02-preview")
    container = app["properties"]["template"]["containers"][0]
    assert container["image"] == "docker.io/pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime"
    assert container["command"][2].startswith("cd /mount; pip install -r ./setup/requirements.txt; ")
    probes = {p["type"]: p for p in container["probes"]}
    assert probes["Startup"]["httpGet"]["path"] == "/" and probes["Startup"]["periodSeconds"] == 120
    assert probes["Startup"]["failureThreshold"] == 10 and probes["Readiness"]["initialDelaySeconds"] == 60
    assert app["properties"]["template"]["scale"]["minReplicas"] == 1
    assert app["properties"]["template"]["scale"]["maxReplicas"] == 1
    assert app["properties"]["configuration"]["ingress"]["targetPort"] == 7860
    assert container["volumeMounts"][0]["mountPath"] == "/mount"
    environment = arm.get(f"{group}/Microsoft.App/managedEnvironments/{names.managed_environment}", "2023-11-02-preview")
    gpu = next(p for p in environment["properties"]["workloadProfiles"] if p["name"] == "GPU")
    assert (gpu["workloadProfileType"], gpu["maximumCount"]) == ("NC24-A100", 1)
    share = arm.get(f"{group}/Microsoft.Storage/storageAccounts/{names.storage_account}/fileServices/default/shares/"
                    f"{names.file_share}", "2023-01-01")
    assert share["properties"]["shareQuota"] == 1024
    config = json.loads((root / "infra" / "inference.config.json").read_text())
    assert config["ACA_APP_NAME"] == names.container_app and config["FILE_SHARE_NAME"] == names.file_share
    assert config["ACA_APP_ENDPOINT"].startswith("http")
    # Nothing to do the second time.
    again = _provision(emulator, root, "rg-ait-exact")
    assert again.returncode == 0, again.stderr
    # Unchanged; the fine-tuning project's resources (its config names none yet: the defaults) are "shared".
    assert {row["action"] for row in last_json(again.stdout)["plan"]} <= {"reuse", "shared"}


def test_an_edit_of_their_bicep_is_previewed_as_that_change_then_applied(emulator: Any, tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert _provision(emulator, root, "rg-ait-edit").returncode == 0
    bicep = root / BICEP
    bicep.write_text(bicep.read_text().replace("pytorch:2.4.0-cuda12.4-cudnn9-runtime", "pytorch:2.5.1-cuda12.4-"
                                               "cudnn9-runtime").replace("periodSeconds: 120", "periodSeconds: 90"))
    arm = ArmProbe(emulator)
    mark = arm.mark()
    preview = _provision(emulator, root, "rg-ait-edit", "--preview")
    assert preview.returncode == 0, preview.stderr
    assert arm.writes_since(mark) == []
    rows = {row["resource"]: row for row in last_json(preview.stdout)["plan"]}
    app = rows["container app"]
    assert app["action"] == "update"
    assert ('properties.template.containers[0].image: "docker.io/pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime" -> '
            '"docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"') in app["changes"]
    assert "properties.template.containers[0].probes[2].periodSeconds: 120 -> 90" in app["changes"]
    assert {r["action"] for name, r in rows.items() if name != "container app"} <= {"reuse", "shared"}
    applied = _provision(emulator, root, "rg-ait-edit")
    assert applied.returncode == 0, applied.stderr
    names = default_names(f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-ait-edit")
    state = arm.get(f"/subscriptions/{emulator.subscription_id}/resourceGroups/rg-ait-edit/providers/Microsoft.App/"
                    f"containerApps/{names.container_app}", "2023-11-02-preview")
    assert state["properties"]["template"]["containers"][0]["image"].endswith("pytorch:2.5.1-cuda12.4-cudnn9-runtime")


@pytest.mark.slow
def test_deploy_of_their_gradio_app_reaches_ready_and_says_it_is_public(emulator: Any, tmp_path: Path) -> None:
    root = _project(tmp_path)
    provisioned = _provision(emulator, root, "rg-ait-deploy")
    assert provisioned.returncode == 0
    config = last_json(provisioned.stdout)["config"]
    # What their fine-tuning run leaves on the share: the base model their app reads (deploy checks it is there).
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    make_demo_model(share, org="microsoft", model="Phi-3-mini-4k-instruct")
    run = cli_run("deploy", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                  "--timeout", "300", "--json", timeout=400)
    assert run.returncode == 0, run.stderr
    result = last_json(run.stdout)
    assert result["public"] is True
    assert result["scales_to_zero"] is False and "scales to zero" not in run.stderr  # minReplicas 1 there
    assert run.stderr.count("The endpoint is public") == 1
    import urllib.request

    with urllib.request.urlopen(result["endpoint"] + "/", timeout=30) as response:
        assert response.status == 200 and b"gradio" in response.read().lower()
