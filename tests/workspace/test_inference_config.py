"""infra/inference.config.json: nulls allowed, user keys and order kept, atomic writes, endpoint forms."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aca_inference.workspace.inference_config import load_config, normalize_endpoint, update_config
from aca_inference.workspace.paths import INFERENCE_CONFIG
from aca_inference.workspace.problems import WorkspaceInvalid

SUB = "5f6c8d2a-0000-4000-8000-00000000aca0"


def _write(root: Path, data: dict | str) -> Path:
    path = root / INFERENCE_CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def test_update_keeps_user_keys_and_their_order(tmp_path: Path) -> None:
    _write(tmp_path, {"MY_NOTE": "keep me", "ACA_APP_NAME": "old", "SUBSCRIPTION_ID": None, "ZZZ": [1, 2]})
    update_config(tmp_path, INFERENCE_CONFIG, {"ACA_APP_NAME": "newapp", "SUBSCRIPTION_ID": SUB})
    data = json.loads((tmp_path / INFERENCE_CONFIG).read_text())
    assert list(data)[:4] == ["MY_NOTE", "ACA_APP_NAME", "SUBSCRIPTION_ID", "ZZZ"]
    assert data["MY_NOTE"] == "keep me" and data["ZZZ"] == [1, 2]
    assert data["ACA_APP_NAME"] == "newapp"
    assert set(data) >= {"RESOURCE_GROUP_NAME", "ACA_APP_ENDPOINT"}


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, {"ACA_APP_NAME": "before"})
    original = path.read_text()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        update_config(tmp_path, INFERENCE_CONFIG, {"ACA_APP_NAME": "after"})
    assert path.read_text() == original
    assert [p.name for p in path.parent.iterdir()] == ["inference.config.json"]


def test_hand_filled_config_with_nulls_loads(tmp_path: Path) -> None:
    _write(tmp_path, {"SUBSCRIPTION_ID": SUB, "RESOURCE_GROUP_NAME": "rg-ft", "STORAGE_ACCOUNT_NAME": "store1",
                      "FILE_SHARE_NAME": "share1", "ACA_APP_NAME": "app1", "ACA_APP_ENDPOINT": None})
    config = load_config(tmp_path, INFERENCE_CONFIG, required_keys=("SUBSCRIPTION_ID", "ACA_APP_NAME"))
    assert config.ACA_APP_ENDPOINT is None and config.endpoint_url is None


def test_missing_keys_are_named(tmp_path: Path) -> None:
    _write(tmp_path, {"SUBSCRIPTION_ID": SUB, "ACA_APP_NAME": None})
    with pytest.raises(WorkspaceInvalid) as raised:
        load_config(tmp_path, INFERENCE_CONFIG, required_keys=("SUBSCRIPTION_ID", "RESOURCE_GROUP_NAME", "ACA_APP_NAME"))
    message = str(raised.value)
    assert "RESOURCE_GROUP_NAME: expected a value" in message and "ACA_APP_NAME: expected a value" in message
    assert "SUBSCRIPTION_ID:" not in message


def test_missing_file_says_run_provision(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceInvalid, match="run provision first"):
        load_config(tmp_path, INFERENCE_CONFIG)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("SUBSCRIPTION_ID", "not-a-guid", "expected a subscription id"),
    ("STORAGE_ACCOUNT_NAME", "Upper", "lower-case"),
    ("ACA_APP_NAME", 42, "expected a string or null"),
    ("ACA_APP_ENDPOINT", "has space.example", "expected a host name or URL"),
])
def test_bad_config_values(tmp_path: Path, key: str, value: object, expected: str) -> None:
    _write(tmp_path, {key: value})
    with pytest.raises(WorkspaceInvalid) as raised:
        load_config(tmp_path, INFERENCE_CONFIG)
    assert f"{INFERENCE_CONFIG}: {key}: " in str(raised.value) and expected in str(raised.value)


@pytest.mark.parametrize(("raw", "url"), [
    ("myapp.westus3.azurecontainerapps.io", "https://myapp.westus3.azurecontainerapps.io"),
    ("https://myapp.westus3.azurecontainerapps.io/", "https://myapp.westus3.azurecontainerapps.io"),
    ("127.0.0.1:43121", "http://127.0.0.1:43121"),
    ("http://127.0.0.1:43121", "http://127.0.0.1:43121"),
    ("[::1]:8080", "http://[::1]:8080"),
    ("localhost:8080/", "http://localhost:8080"),
    ("[2001:db8::1]:443", "https://[2001:db8::1]:443"),
])
def test_endpoint_accepted_with_or_without_scheme(raw: str, url: str) -> None:
    assert normalize_endpoint(raw) == url
