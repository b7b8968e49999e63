"""infra/inference.config.json keeps the user's form when we write it: BOM, indentation (spaces, tabs, one
line), CRLF line ends, the final newline, key order and the user's own keys; a write that changes no value
leaves the file byte-identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aca_inference.workspace.inference_config import record_endpoint, update_config

CONFIG = "infra/inference.config.json"
VALUES = {"MINE": 1, "SUBSCRIPTION_ID": None, "RESOURCE_GROUP_NAME": "rg", "STORAGE_ACCOUNT_NAME": None,
          "FILE_SHARE_NAME": None, "ACA_APP_NAME": "app", "ACA_APP_ENDPOINT": "app.example.io"}


def _styled(indent: str | None, *, bom: bool = False, crlf: bool = False, final_newline: bool = True) -> bytes:
    text = json.dumps(VALUES, indent=indent)
    if crlf:
        text = text.replace("\n", "\r\n")
    if final_newline:
        text += "\r\n" if crlf else "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


STYLES = {
    "two-spaces": _styled("  "),
    "four-spaces-bom": _styled("    ", bom=True),
    "tabs-crlf": _styled("\t", crlf=True),
    "one-line-no-newline": _styled(None, final_newline=False),
    "bom-crlf-no-final-newline": _styled("  ", bom=True, crlf=True, final_newline=False),
}


@pytest.mark.parametrize("style", list(STYLES))
def test_a_changed_value_is_written_in_the_files_own_form(tmp_path: Path, style: str) -> None:
    path = tmp_path / CONFIG
    path.parent.mkdir(parents=True)
    path.write_bytes(STYLES[style])
    update_config(tmp_path, CONFIG, {"ACA_APP_NAME": "other-app"})
    expected = STYLES[style].replace(b'"app"', b'"other-app"')
    assert path.read_bytes() == expected


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("endpoint", ["https://app.example.io", "https://APP.example.io/", "app.example.io/"])
def test_the_same_endpoint_in_another_form_leaves_the_file_untouched(tmp_path: Path, style: str,
                                                                     endpoint: str) -> None:
    path = tmp_path / CONFIG
    path.parent.mkdir(parents=True)
    path.write_bytes(STYLES[style])
    mtime = path.stat().st_mtime_ns
    assert record_endpoint(tmp_path, CONFIG, endpoint) is None
    assert path.read_bytes() == STYLES[style] and path.stat().st_mtime_ns == mtime


def test_a_really_different_endpoint_is_written_and_announced(tmp_path: Path) -> None:
    path = tmp_path / CONFIG
    path.parent.mkdir(parents=True)
    path.write_bytes(STYLES["tabs-crlf"])
    note = record_endpoint(tmp_path, CONFIG, "http://app.example.io")
    assert note is not None and "ACA_APP_ENDPOINT changed from 'app.example.io' to 'http://app.example.io'" in note
    assert path.read_bytes() == STYLES["tabs-crlf"].replace(b'"app.example.io"', b'"http://app.example.io"')


def test_a_missing_endpoint_is_filled_in_silently(tmp_path: Path) -> None:
    path = tmp_path / CONFIG
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**VALUES, "ACA_APP_ENDPOINT": None}, indent=2) + "\n")
    assert record_endpoint(tmp_path, CONFIG, "https://app.example.io") is None
    assert json.loads(path.read_text())["ACA_APP_ENDPOINT"] == "https://app.example.io"
