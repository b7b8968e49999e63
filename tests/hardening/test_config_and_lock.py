"""The user's config keeps its form; values that really change are announced; a missing share and bad names
are bad input reported once; one changing command at a time per workspace, with the other one named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import last_json
from tests.deploy.conftest import make_workspace
from tests.hardening.conftest import cli, flat, inject, no_traceback, provision
from tests.provision.arm import ArmProbe

CONFIG = Path("infra") / "inference.config.json"


@pytest.fixture(scope="module")
def provisioned(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = make_workspace(tmp_path_factory.mktemp("config-ws"))
    config = provision(emulator, root, f"rg-config-{root.name[-8:].lower()}")
    run = cli(emulator, "deploy", root)
    assert run.returncode == 0, run.stderr
    return root, {**config, "ACA_APP_ENDPOINT": last_json(run.stdout)["endpoint"]}


def _hand_written(config: dict[str, Any], endpoint: str) -> bytes:
    """A config the way a person might write it: BOM, 4-space indent, own key first, own order, CRLF."""
    ordered = {"NOTE": "filled in by hand", "ACA_APP_ENDPOINT": endpoint,
               **{k: config[k] for k in ("ACA_APP_NAME", "FILE_SHARE_NAME", "STORAGE_ACCOUNT_NAME",
                                         "RESOURCE_GROUP_NAME", "SUBSCRIPTION_ID")}}
    return b"\xef\xbb\xbf" + json.dumps(ordered, indent=4).replace("\n", "\r\n").encode() + b"\r\n"


@pytest.mark.parametrize("form", ["{host}", "{host}/", "HTTP://{host}/", "http://{host}"])
def test_an_endpoint_written_in_another_form_of_the_same_address_is_left_byte_identical(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]], form: str) -> None:
    root, config = provisioned
    host = config["ACA_APP_ENDPOINT"].split("://", 1)[1]
    original = _hand_written(config, form.format(host=host))
    (root / CONFIG).write_bytes(original)
    run = cli(emulator, "deploy", root)
    assert run.returncode == 0, run.stderr
    assert (root / CONFIG).read_bytes() == original
    assert "ACA_APP_ENDPOINT changed" not in flat(run.stderr)


def test_an_endpoint_that_really_changes_is_announced_and_the_files_form_is_kept(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]]) -> None:
    root, config = provisioned
    host = config["ACA_APP_ENDPOINT"].split("://", 1)[1]
    (root / CONFIG).write_bytes(_hand_written(config, f"https://{host}"))  # the app answers plain http
    run = cli(emulator, "deploy", root)
    assert run.returncode == 0, run.stderr
    written = (root / CONFIG).read_bytes()
    assert written.startswith(b"\xef\xbb\xbf{\r\n    \"NOTE\"") and written.endswith(b"}\r\n")
    data = json.loads(written.decode("utf-8-sig"))
    assert list(data)[:2] == ["NOTE", "ACA_APP_ENDPOINT"] and data["NOTE"] == "filled in by hand"
    assert data["ACA_APP_ENDPOINT"] == config["ACA_APP_ENDPOINT"]
    assert (f"infra/inference.config.json: ACA_APP_ENDPOINT changed from 'https://{host}' to "
            f"'{config['ACA_APP_ENDPOINT']}'") in flat(run.stderr)


@pytest.mark.parametrize("extra", [[], ["--demo-model"]])
def test_a_missing_share_is_bad_input_naming_the_config_key_and_changes_nothing(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]], extra: list[str]) -> None:
    root, config = provisioned
    data = {**config, "FILE_SHARE_NAME": "no-such-share"}
    (root / CONFIG).write_text(json.dumps(data, indent=2) + "\n")
    before = (root / CONFIG).read_bytes()
    run = cli(emulator, "deploy", root, *extra)
    output = flat(no_traceback(run))
    (root / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    assert run.returncode == 2, output
    assert "infra/inference.config.json: FILE_SHARE_NAME: the file share 'no-such-share' does not exist" in output
    assert "run provision" in output
    assert before == json.dumps(data, indent=2).encode() + b"\n"


def test_every_name_the_share_cannot_hold_is_reported_in_one_message(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]]) -> None:
    root, _ = provisioned
    bad = ["inference/what?.txt", "inference/trailing.", "inference/a:b/c.txt", "inference/Case.txt",
           "inference/case.txt"]
    for name in bad:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    mark = ArmProbe(emulator).mark()
    try:
        run = cli(emulator, "deploy", root)
    finally:
        for name in bad:
            (root / name).unlink()
        (root / "inference" / "a:b").rmdir()
    output = flat(no_traceback(run))
    assert run.returncode == 2, output
    assert "4 name(s)" in output
    for problem in ("'inference/what?.txt' has the character '?'", "'inference/trailing.' has a name ending in a dot",
                    "'inference/a:b/c.txt' has the character ':'", "'inference/Case.txt' and 'inference/case.txt' "
                    "differ only in letter case"):
        assert problem in output
    assert ArmProbe(emulator).writes_since(mark, port="files") == []


def _start_deploy(emulator: Any, root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "aca_inference.cli", "deploy", "--workspace", str(root),
                             "--emulator-data-dir", str(emulator.data_dir), "--timeout", "120", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def _wait_for_lock_holder(root: Path, pid: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            holder = json.loads((root / ".aca-inference" / "lock").read_text() or "{}")
        except (OSError, ValueError):
            holder = {}
        if holder.get("pid") == pid:
            return holder
        time.sleep(0.05)
    raise AssertionError("the first deploy never took the workspace lock")


def test_a_second_command_on_a_busy_workspace_is_refused_naming_the_first(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]]) -> None:
    root, _ = provisioned
    (root / "inference" / "message.txt").write_text("locked deploy\n")
    inject(emulator, path=r"/listKeys", method="POST", status=None, latency_ms=4000, count=1, port="management")
    first = _start_deploy(emulator, root)
    try:
        holder = _wait_for_lock_holder(root, first.pid)
        second = cli(emulator, "deploy", root)
        delete = cli(emulator, "delete", root, "--yes")
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
        ArmProbe(emulator).clear_faults()
    assert first.returncode == 0, err
    for refused in (second, delete):
        output = flat(no_traceback(refused))
        assert refused.returncode == 1, output
        assert f"`aca-inference deploy` (pid {first.pid}, running since {holder['since']})" in output
        assert "nothing was changed" in output
    assert (root / CONFIG).exists()  # the refused delete did not run
    assert cli(emulator, "deploy", root).returncode == 0  # released when the first one ended


def test_a_lock_left_by_a_killed_command_is_taken_over(emulator: Any,
                                                       provisioned: tuple[Path, dict[str, Any]]) -> None:
    root, _ = provisioned
    (root / "inference" / "message.txt").write_text("killed deploy\n")
    inject(emulator, path=r"/listKeys", method="POST", status=None, latency_ms=4000, count=1, port="management")
    first = _start_deploy(emulator, root)
    try:
        _wait_for_lock_holder(root, first.pid)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
    finally:
        ArmProbe(emulator).clear_faults()
    run = cli(emulator, "deploy", root)
    assert run.returncode == 0, run.stderr
    assert f"Took over a stale lock on {root}: `aca-inference deploy` (pid {first.pid}" in flat(run.stderr)


def test_two_workspaces_deploy_at_the_same_time_without_interfering(
        emulator: Any, provisioned: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, _ = provisioned
    other = make_workspace(tmp_path / "other")
    provision(emulator, other, "rg-config-other")
    (root / "inference" / "message.txt").write_text("workspace one\n")
    (other / "inference" / "message.txt").write_text("workspace two\n")
    one, two = _start_deploy(emulator, root), _start_deploy(emulator, other)
    results = [process.communicate(timeout=180) for process in (one, two)]
    assert one.returncode == 0 and two.returncode == 0, results
    import urllib.request

    for (out, _), expected in zip(results, (b"workspace one\n", b"workspace two\n"), strict=True):
        with urllib.request.urlopen(last_json(out)["endpoint"] + "/", timeout=10) as response:
            assert response.read() == expected
