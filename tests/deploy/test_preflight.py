"""Deploy's preflight through the CLI on the emulator: an untouched AI Toolkit project (its gradio_chat.py with the
template's placeholders unfilled, no fine-tuning output on the share yet) is refused before anything is uploaded,
with each line and what to put there, and every problem at once."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from aca_inference.demo_model import make_demo_model
from tests.conftest import cli_run, last_json
from tests.deploy.conftest import make_workspace, provision_workspace
from tests.deploy.in_place import make_in_place_workspace
from tests.provision.arm import ArmProbe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def untouched_aitoolkit_project(root: Path) -> Path:
    """The AI Toolkit-shaped project with the template's placeholders left as the template ships them."""
    shutil.copytree(FIXTURES / "aitoolkit_project", root)
    shutil.copytree(FIXTURES / "aitoolkit_unfilled", root, dirs_exist_ok=True)
    return root


@pytest.fixture(scope="module")
def provisioned(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = untouched_aitoolkit_project(tmp_path_factory.mktemp("preflight") / "project")
    run = cli_run("provision", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                  "--resource-group", "rg-preflight", "--location", "westus3", "--yes", "--json")
    assert run.returncode == 0, run.stderr
    return root, last_json(run.stdout)["config"]


def _deploy(emulator: Any, root: Path, *extra: str) -> Any:
    return cli_run("deploy", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                   "--timeout", "60", "--json", *extra)


def test_untouched_aitoolkit_project_is_refused_before_upload_with_each_placeholder_and_what_to_put(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]]) -> None:
    root, config = provisioned
    arm = ArmProbe(emulator)
    mark = arm.mark()
    run = _deploy(emulator, root)
    assert run.returncode == 2, run.stderr
    said = run.stderr
    assert "Deploy refused before uploading anything: the app has 5 problems:" in said
    assert ("inference/gradio_chat.py:30:32: unfilled template placeholder torch.<compute_dtype>: put the dtype the "
            "fine-tuning computed in there, as finetuning/olive-config.json says: torch.bfloat16") in said
    assert "inference/gradio_chat.py:28:29: unfilled template placeholder '<quant_type>'" in said and "'nf4'" in said
    assert "inference/gradio_chat.py:39:19: unfilled template placeholder \"<prompt_template>\"" in said
    assert '"### Text: {}\\n### The tone is:\\n"' in said  # the template the fine-tuning trained with
    # Fine-tuning has not run: neither the base model nor the adapter the app reads is on the share.
    assert (f"inference/gradio_chat.py:17:17: reads ../models/qlora/qlora/gpu_model/adapter from the share; the "
            f"fine-tuning run has not written its adapter to models/qlora/qlora/gpu_model/adapter on share "
            f"{config['FILE_SHARE_NAME']} yet: run fine-tuning first") in said
    assert "inference/gradio_chat.py:16:14: reads ../model-cache/microsoft/Phi-3-mini-4k-instruct" in said
    assert "aca-inference migrate" in said
    # Only what the command runs counts: HTML in the imported helper, a file nothing imports, comparisons.
    assert "chat_format.py" not in said and "notes_helper.py" not in said and "<br>" not in said
    assert "Traceback" not in said
    assert arm.writes_since(mark, port="files") == [] and arm.writes_since(mark) == []


def test_fine_tuning_outputs_on_the_share_leave_only_the_placeholders(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    _, config = provisioned
    root = untouched_aitoolkit_project(tmp_path / "project")
    shutil.copyfile(provisioned[0] / "infra" / "inference.config.json", root / "infra" / "inference.config.json")
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    make_demo_model(share, org="microsoft", model="Phi-3-mini-4k-instruct")  # what a fine-tuning run leaves
    try:
        (root / "finetuning" / "olive-config.json").unlink()  # nothing says what the fine-tuning used
        run = _deploy(emulator, root)
        assert run.returncode == 2
        assert "the app has 3 problems" in run.stderr and "reads ../models" not in run.stderr
        assert "put the 4-bit quantization type of the fine-tuning there: nf4" in run.stderr
        assert "put the dtype the fine-tuning computed in there: bfloat16" in run.stderr
    finally:
        shutil.rmtree(share / "model-cache")
        shutil.rmtree(share / "models")


@pytest.mark.parametrize("make", [make_workspace, make_in_place_workspace], ids=["release", "in-place"])
def test_a_placeholder_loaded_at_run_time_crash_loops_and_the_failure_says_once_what_to_fill_in(
        emulator: Any, tmp_path: Path, make: Any) -> None:
    root = make(tmp_path)
    provision_workspace(emulator, root, f"rg-crash-hint-{make.__name__[5:9]}")
    # importlib is not followed by the preflight: what it loads is known only when it runs.
    (root / "inference" / "app.py").write_text("import importlib\n\nimportlib.import_module('model_loader')\n")
    (root / "inference" / "model_loader.py").write_text("import torch\n\ndtype = torch.<compute_dtype>\n")
    run = cli_run("deploy", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                  "--timeout", "60", "--drain-seconds", "0.5")
    assert run.returncode == 1, run.stderr
    said = run.stdout + run.stderr
    assert ("The app stopped with a SyntaxError at inference/model_loader.py:3, a template placeholder left "
            "unfilled: torch.<compute_dtype>: put the dtype the fine-tuning computed in there: bfloat16") in said
    assert "`aca-inference migrate`" in said
    assert said.count("The inference app did not start") == 1 and said.count("The app stopped with") == 1
    assert "Unexpected error" not in said
