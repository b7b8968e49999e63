"""Which model files the app picks from the share, and how it refuses to start when it cannot serve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import APP_DIR, free_port

sys.path.insert(0, str(APP_DIR))

from serving.model_files import ModelFilesError, locate_model_files  # noqa: E402
from serving.settings import Settings, SettingsError  # noqa: E402


def model_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


def adapter_folder(path: Path, base: str | None = None) -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base, "r": 8}))
    return path


def settings(root: Path, **env: str) -> Settings:
    return Settings.from_env({"MODEL_ROOT": str(root), **env})


def run_app(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "app.py"], cwd=APP_DIR, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HOST": "127.0.0.1", **env}, stdin=subprocess.DEVNULL)


def test_the_templates_adapter_folder_and_model_cache_are_found(tmp_path: Path) -> None:
    base = model_folder(tmp_path / "model-cache" / "microsoft" / "Phi-3-mini-4k-instruct")
    adapter = adapter_folder(tmp_path / "models" / "qlora" / "qlora" / "gpu_model" / "adapter",
                             "microsoft/Phi-3-mini-4k-instruct")
    adapter_folder(tmp_path / "models" / "checkpoints" / "checkpoint-1200")
    files = locate_model_files(settings(tmp_path))
    assert (files.base_model, files.adapter, files.model_id) == (base, adapter, "Phi-3-mini-4k-instruct")


def test_a_finished_adapter_is_preferred_to_newer_training_checkpoints(tmp_path: Path) -> None:
    model_folder(tmp_path / "model-cache" / "org" / "model")
    finished = adapter_folder(tmp_path / "models" / "run" / "adapter")
    time.sleep(0.01)
    adapter_folder(tmp_path / "models" / "checkpoints" / "checkpoint-50")
    assert locate_model_files(settings(tmp_path)).adapter == finished


def test_every_finished_adapter_is_served_under_an_id_from_its_folder(tmp_path: Path) -> None:
    model_folder(tmp_path / "model-cache" / "org" / "model")
    template = adapter_folder(tmp_path / "models" / "qlora" / "qlora" / "gpu_model" / "adapter")
    run = adapter_folder(tmp_path / "models" / "run-7" / "qlora" / "qlora" / "gpu_model" / "adapter")
    adapter_folder(tmp_path / "models" / "checkpoints" / "checkpoint-50")
    files = locate_model_files(settings(tmp_path))
    assert [(a.id, a.path) for a in files.adapters] == [("qlora", template), ("run-7/qlora", run)]
    assert (files.model_id, files.default_id, files.adapter) == ("model", "qlora", template)


def test_checkpoints_are_served_only_when_asked(tmp_path: Path) -> None:
    model_folder(tmp_path / "model-cache" / "org" / "model")
    adapter_folder(tmp_path / "models" / "run" / "adapter")
    adapter_folder(tmp_path / "models" / "run" / "checkpoints" / "checkpoint-50")
    assert [a.id for a in locate_model_files(settings(tmp_path)).adapters] == ["run"]
    included = locate_model_files(settings(tmp_path, INFERENCE_INCLUDE_CHECKPOINTS="true")).adapters
    assert [a.id for a in included] == ["run", "run/checkpoints/checkpoint-50"]


def test_ids_that_would_clash_with_each_other_or_the_base_model_are_kept_apart(tmp_path: Path) -> None:
    model_folder(tmp_path / "model-cache" / "org" / "run")
    adapter_folder(tmp_path / "models" / "run" / "adapter")
    adapter_folder(tmp_path / "models" / "run" / "output")
    assert sorted(a.id for a in locate_model_files(settings(tmp_path)).adapters) == ["run-2", "run-3"]


def test_the_adapter_picks_its_base_among_several_cached_models(tmp_path: Path) -> None:
    model_folder(tmp_path / "model-cache" / "meta-llama" / "Llama-3-8B")
    phi = model_folder(tmp_path / "model-cache" / "microsoft" / "Phi-3-mini-4k-instruct")
    adapter_folder(tmp_path / "models" / "qlora" / "adapter", "microsoft/Phi-3-mini-4k-instruct")
    assert locate_model_files(settings(tmp_path)).base_model == phi


def test_several_models_and_no_hint_ask_for_base_model_path(tmp_path: Path) -> None:
    model_folder(tmp_path / "model-cache" / "a" / "one")
    model_folder(tmp_path / "model-cache" / "b" / "two")
    with pytest.raises(ModelFilesError, match="set BASE_MODEL_PATH"):
        locate_model_files(settings(tmp_path))


def test_env_paths_override_discovery_and_base_only_drops_the_adapter(tmp_path: Path) -> None:
    base = model_folder(tmp_path / "elsewhere" / "base")
    adapter = adapter_folder(tmp_path / "elsewhere" / "lora")
    files = locate_model_files(settings(tmp_path, BASE_MODEL_PATH=str(base), ADAPTER_PATH=str(adapter),
                                        SERVED_MODEL_NAME="my-model"))
    assert (files.base_model, files.adapter, files.model_id) == (base, adapter, "my-model")
    assert locate_model_files(settings(tmp_path, BASE_MODEL_PATH=str(base), ADAPTER_PATH=str(adapter),
                                       INFERENCE_BASE_ONLY="true")).adapter is None


def test_an_adapter_path_without_an_adapter_is_reported(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    model_folder(tmp_path / "model-cache" / "org" / "model")
    with pytest.raises(ModelFilesError, match=r"ADAPTER_PATH=.*empty has no adapter_config.json"):
        locate_model_files(settings(tmp_path, ADAPTER_PATH=str(tmp_path / "empty")))


def test_a_bad_setting_names_its_variable_and_never_echoes_the_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="INFERENCE_CONCURRENCY"):
        settings(tmp_path, INFERENCE_CONCURRENCY="lots")
    assert settings(tmp_path, INFERENCE_API_KEY="s3cret").auth_enabled
    assert "s3cret" not in repr(settings(tmp_path, INFERENCE_API_KEY="s3cret"))


def test_the_app_without_a_model_refuses_to_start_and_says_where_it_looked(tmp_path: Path) -> None:
    run = run_app({"MODEL_ROOT": str(tmp_path), "PORT": "7"})
    assert run.returncode == 2
    assert f"refusing to start: no model found under {tmp_path / 'model-cache'}" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_app_rejects_a_port_that_is_not_a_number(tmp_path: Path) -> None:
    run = run_app({"MODEL_ROOT": str(tmp_path), "PORT": "http"})
    assert run.returncode == 2
    assert "refusing to start: PORT:" in run.stderr


def test_the_app_exits_when_the_model_cannot_load(tmp_path: Path) -> None:
    # config.json present but no weights or tokenizer: found, then the background load fails.
    model = tmp_path / "model-cache" / "org" / "broken"
    model.mkdir(parents=True)
    (model / "config.json").write_text(json.dumps({"model_type": "phi3"}))
    run = run_app({"MODEL_ROOT": str(tmp_path), "PORT": str(free_port())})
    assert run.returncode == 1
    assert "Loading the model failed" in run.stderr
