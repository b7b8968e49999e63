"""Deploy's preflight in-process: which files the app's command runs, the placeholders in them (and what is not
one), the model files the app reads from the share, and the crash-loop message when a placeholder got past.
A refused deploy changes nothing: no ARM call, nothing on the share."""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from aca_inference.demo_model import make_demo_model
from aca_inference.ops.deploy.app_sources import app_sources, entry_scripts
from aca_inference.ops.deploy.crash_hint import placeholder_crash_hint
from aca_inference.ops.deploy.placeholders import find_placeholders
from aca_inference.ops.deploy.preflight import DeployRefused, deploy_preflight
from aca_inference.ops.deploy.run import deploy
from aca_inference.sync.releases import LAUNCHER_PATH
from tests.fakes.reporter import RecordingReporter

from .builders import launcher_template
from .test_deploy_and_rollback import storage, workspace  # noqa: F401 - the module's storage account fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]
GRADIO_COMMAND = ["/bin/bash", "-c", "cd /mount; pip install -r ./setup/requirements.txt; cd /mount/inference; "
                  "pip install -r ./requirements.txt; python3 ./gradio_chat.py"]


def _untouched(root: Path) -> Path:
    shutil.copytree(FIXTURES / "aitoolkit_project", root)
    shutil.copytree(FIXTURES / "aitoolkit_unfilled", root, dirs_exist_ok=True)
    return root


def _their_template() -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "pytorch", "command": GRADIO_COMMAND,
                            "volumeMounts": [{"volumeName": "share", "mountPath": "/mount"}]}]}


def _write(root: Path, relative: str, text: str) -> str:
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_text(text)
    return relative


# -- which files the command runs ------------------------------------------------------------------------------

def test_the_files_checked_are_the_entry_script_and_the_local_modules_it_imports(tmp_path: Path) -> None:
    root = _untouched(tmp_path / "project")
    [entry] = entry_scripts(root, _their_template())
    assert (entry.script, entry.cwd) == ("inference/gradio_chat.py", "/mount/inference")
    assert app_sources(root, entry) == ["inference/gradio_chat.py", "inference/chat_format.py"]


def test_our_template_command_runs_start_py_which_runs_app_py_and_its_serving_package(tmp_path: Path) -> None:
    template = {"containers": [{"command": ["python3", "/mount/.aca-inference/launch.py", "/mount/inference",
                                            "/bin/bash", "-c"], "args": ["cd /mount/inference && python3 start.py"]}]}
    [entry] = entry_scripts(REPO, template)
    files = app_sources(REPO, entry)
    assert files[:2] == ["inference/start.py", "inference/app.py"]
    assert "inference/serving/model_files.py" in files and "inference/serving/api.py" in files


def test_uvicorn_and_python_dash_m_start_a_module_of_the_app(tmp_path: Path) -> None:
    root = tmp_path
    _write(root, "inference/server.py", "app = None\n")
    _write(root, "inference/chat/__main__.py", "print('hi')\n")
    uvicorn = {"containers": [{"command": ["/bin/bash", "-c", "cd /mount/inference && uvicorn server:app --port 80"]}]}
    module = {"containers": [{"command": ["/bin/bash", "-c", "cd /mount/inference && python -u -m chat.__main__"]}]}
    assert [e.script for e in entry_scripts(root, uvicorn)] == ["inference/server.py"]
    assert [e.script for e in entry_scripts(root, module)] == ["inference/chat/__main__.py"]


# -- what is and is not a placeholder --------------------------------------------------------------------------

def test_the_templates_three_placeholders_are_found_with_their_lines(tmp_path: Path) -> None:
    root = _untouched(tmp_path / "project")
    found = [(p.line, p.column, p.written) for p in find_placeholders(root, "inference/gradio_chat.py")]
    assert found == [(28, 29, "'<quant_type>'"), (30, 32, "torch.<compute_dtype>"), (39, 19, '"<prompt_template>"')]


def test_markup_comparisons_annotations_comments_and_special_tokens_are_not_placeholders(tmp_path: Path) -> None:
    relative = _write(tmp_path, "app.py", '\n'.join([
        "from typing import Dict, List  # List<str> in a comment, <T> generics",
        "def f(a: List[int], b: Dict[str, int]) -> str:",
        "    if a < b > 0 or (a) <b> 1 or 2 <x> 3:",
        '        return "<br>" + "<div class=\\"x\\">" + "<p>" + "</p>"',
        '    tokens = ["<pad>", "<unk>", "<s>", "<start_of_turn>", "<|user|>", "<Metadata>"]',
        '    html = "<b>bold</b> <name> in a sentence"',
        '    return f"<{a}>" + "<T>"',
        '"""A docstring: replace <model_name> by hand."""',
    ]) + "\n")
    assert find_placeholders(tmp_path, relative) == []


def test_a_placeholder_after_an_operator_or_keyword_or_as_an_argument_is_found(tmp_path: Path) -> None:
    relative = _write(tmp_path, "app.py", "x = <max_tokens>\nf(<arg>, 1)\ndef g():\n    return <VALUE>\n"
                                          "y = '<YOUR_KEY>'\n")
    assert [(p.line, p.name) for p in find_placeholders(tmp_path, relative)] == [
        (1, "max_tokens"), (2, "arg"), (4, "VALUE"), (5, "YOUR_KEY")]


def test_our_own_inference_app_has_no_placeholder_in_any_file_its_command_runs() -> None:
    template = {"containers": [{"command": ["python3", LAUNCHER_PATH, "/mount/inference", "/bin/bash", "-c"],
                                "args": ["cd /mount/inference && python3 start.py"]}]}
    [entry] = entry_scripts(REPO, template)
    assert [p for f in app_sources(REPO, entry) for p in find_placeholders(REPO, f)] == []


# -- the crash loop's message ------------------------------------------------------------------------------------

def test_a_crash_at_a_placeholder_line_says_what_to_put_there_and_that_migrate_exists(tmp_path: Path) -> None:
    root = _untouched(tmp_path / "project")
    tail = ["2026-01-01T00:00:00Z Requirement already satisfied: torch",
            '2026-01-01T00:00:01Z   File "/tmp/aca-release-x/inference/./gradio_chat.py", line 30',
            "2026-01-01T00:00:01Z     bnb_4bit_compute_dtype=torch.<compute_dtype>,",
            "2026-01-01T00:00:01Z                                  ^",
            "2026-01-01T00:00:01Z SyntaxError: invalid syntax"]
    hint = placeholder_crash_hint(root, tail)
    assert hint is not None
    assert hint.startswith("The app stopped with a SyntaxError at inference/gradio_chat.py:30, a template "
                           "placeholder left unfilled: torch.<compute_dtype>: put the dtype the fine-tuning computed "
                           "in there, as finetuning/olive-config.json says: torch.bfloat16.")
    assert "`aca-inference migrate`" in hint


def test_another_crash_gets_no_placeholder_message(tmp_path: Path) -> None:
    root = _untouched(tmp_path / "project")
    tail = ['  File "/mount/inference/gradio_chat.py", line 12', "ModuleNotFoundError: No module named 'peft'",
            '  File "/mount/inference/gradio_chat.py", line 33', "NameError: name 'model' is not defined"]
    assert placeholder_crash_hint(root, tail) is None


# -- whole deploys: refused before any change, or passed -------------------------------------------------------

async def test_an_untouched_aitoolkit_project_is_refused_with_nothing_changed_or_uploaded(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:  # noqa: F811
    async with workspace(tmp_path, storage, emulator) as ws:
        shutil.rmtree(ws.root / "inference")
        shutil.copytree(FIXTURES / "aitoolkit_project" / "inference", ws.root / "inference")
        shutil.copytree(FIXTURES / "aitoolkit_unfilled", ws.root, dirs_exist_ok=True)
        ws.gateway.app = dataclasses.replace(ws.gateway.app, template=_their_template())
        with pytest.raises(DeployRefused) as refused:
            await deploy(ws.context(RecordingReporter()))
        problems = [str(p) for p in refused.value.problems]
        assert [p.split(": ")[0] for p in problems] == [
            "inference/gradio_chat.py:28:29", "inference/gradio_chat.py:30:32", "inference/gradio_chat.py:39:19",
            "inference/gradio_chat.py:16:14", "inference/gradio_chat.py:17:17"]
        assert refused.value.exit_code == 2 and "aca-inference migrate" in str(refused.value)
        assert ws.gateway.calls == []
        async with ws.share() as share:
            assert [item async for item in share.list_directories_and_files()] == []


async def test_our_app_needs_a_base_model_on_the_share_and_the_demo_model_seeding_counts_as_one(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:  # noqa: F811
    async with workspace(tmp_path, storage, emulator) as ws:
        shutil.rmtree(ws.root / "inference")
        shutil.copytree(REPO / "inference", ws.root / "inference", ignore=shutil.ignore_patterns("__pycache__"))
        template = launcher_template()
        template["containers"][0]["command"] = ["python3", LAUNCHER_PATH, "/mount/inference", "/bin/bash", "-c"]
        template["containers"][0]["args"] = ["cd /mount/inference && python3 start.py"]
        async with ws.share() as share:
            with pytest.raises(DeployRefused) as refused:
                await deploy_preflight(ws.context(RecordingReporter()), template, share, ws.share_name)
            assert [str(p) for p in refused.value.problems] == [
                f"share {ws.share_name}: model-cache: no base model under model-cache/<org>/<model>/ (config.json), "
                "which the app loads at start: the fine-tuning job caches it there when it runs; run fine-tuning "
                "first, set BASE_MODEL_PATH or deploy with --demo-model (the offline demo model, local target)"]
            assert "migrate" not in str(refused.value)  # already our app
            seeding = dataclasses.replace(ws.context(RecordingReporter()), seed_demo_model_if_missing=True)
            await deploy_preflight(seeding, template, share, ws.share_name)  # the demo model will be there
            template["containers"][0]["env"] = [{"name": "ADAPTER_PATH", "value": "/mount/models/run-9"}]
            with pytest.raises(DeployRefused) as adapter:
                await deploy_preflight(seeding, template, share, ws.share_name)
            assert "ADAPTER_PATH: the share" in str(adapter.value) and "models/run-9/adapter_config.json" in str(
                adapter.value)


async def test_filled_placeholders_and_fine_tuning_outputs_on_the_share_pass(
        tmp_path: Path, storage: dict[str, str], emulator: Any) -> None:  # noqa: F811
    root = _untouched(tmp_path / f"project-{uuid.uuid4().hex[:6]}")
    script = root / "inference" / "gradio_chat.py"
    script.write_text(script.read_text().replace("<quant_type>", "nf4").replace("<compute_dtype>", "bfloat16")
                      .replace("<prompt_template>", "### Text: {}\\n### The tone is:\\n"))
    async with workspace(tmp_path, storage, emulator) as ws:
        outputs = tmp_path / "outputs"
        make_demo_model(outputs, org="microsoft", model="Phi-3-mini-4k-instruct")
        async with ws.share() as share:
            for path in sorted(p for p in outputs.rglob("*")):
                relative = path.relative_to(outputs).as_posix()
                if path.is_dir():
                    await share.create_directory(relative)
                else:
                    await share.get_file_client(relative).upload_file(path.read_bytes())
            context = dataclasses.replace(ws.context(RecordingReporter()), root=root)
            await deploy_preflight(context, _their_template(), share, ws.share_name)
