"""Releases and the traffic switch, end to end on the emulator: a client calling the endpoint every 50 ms through
back-to-back deploys and a crashing release sees no failed request; rollback; status; pruning; the restart
fallback when two revisions cannot run at once."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NULL_TEMPLATE, cli_run, last_json, write_parameters
from tests.deploy.conftest import deploy, make_workspace, provision_workspace
from tests.provision.arm import ArmProbe

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Poller:
    """Calls the endpoint every 50 ms (a new connection each time, as a browser tab or curl would)."""
    url: str
    answers: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    self.answers.append(response.read())
            except (urllib.error.URLError, OSError) as error:
                self.errors.append(f"{time.strftime('%X')} {error}")
            self.stop.wait(0.05)


@contextmanager
def polling(url: str) -> Iterator[Poller]:
    poller = Poller(url)
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    try:
        yield poller
    finally:
        poller.stop.set()
        thread.join(10)


def served(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def status(emulator: Any, root: Path) -> dict[str, Any]:
    run = cli_run("status", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir), "--json")
    assert run.returncode == 0, run.stderr
    return last_json(run.stdout)


def rollback(emulator: Any, root: Path, *extra: str) -> Any:
    return cli_run("rollback", "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir),
                   "--timeout", "120", "--drain-seconds", "0.5", "--json", *extra)


def release_with(root: Path, emulator: Any, message: str, *extra: str) -> dict[str, Any]:
    (root / "inference" / "message.txt").write_text(message)
    run = deploy(emulator, root, *extra)
    assert run.returncode == 0, run.stderr
    return last_json(run.stdout)


@pytest.fixture(scope="module")
def releasing_workspace(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = make_workspace(tmp_path_factory.mktemp("release-ws"))
    config = provision_workspace(emulator, root, f"rg-release-{root.name[-6:]}")
    return root, config


def test_back_to_back_deploys_and_a_crashing_release_never_fail_a_request(
        emulator: Any, releasing_workspace: tuple[Path, dict[str, Any]]) -> None:
    root, config = releasing_workspace
    endpoint = config["ACA_APP_ENDPOINT"]
    first = release_with(root, emulator, "version 0\n")
    releases = [first["release"]]
    with polling(endpoint + "/") as poller:
        for version in range(1, 6):
            result = release_with(root, emulator, f"version {version}\n")
            assert result["zero_downtime"] and result["previous_release"] == releases[-1]
            releases.append(result["release"])
            assert served(endpoint + "/") == f"version {version}\n".encode()
        (root / "inference" / "crash.txt").write_text("the new release is broken")
        broken = deploy(emulator, root, "--timeout", "60")
        (root / "inference" / "crash.txt").unlink()
        time.sleep(0.5)
    assert broken.returncode == 1
    assert f"still serves release {releases[-1]}" in broken.stderr and "the traffic never moved" in broken.stderr
    assert "refusing to start: the new release is broken" in broken.stderr  # its last log lines
    assert "Traceback" not in broken.stderr
    assert poller.errors == [], f"{len(poller.errors)} failed requests of {len(poller.answers) + len(poller.errors)}"
    assert len(poller.answers) > 50
    # Each answer is one of the versions, and the endpoint never went back to an older one.
    seen = [int(a.decode().split()[1]) for a in poller.answers]
    assert seen == sorted(seen) and seen[-1] == 5
    assert served(endpoint + "/") == b"version 5\n"
    active = [r for r in status(emulator, root)["revisions"] if r["active"]]
    assert len(active) == 1 and active[0]["traffic_weight"] == 100  # the failed revision was deactivated


def test_rollback_brings_the_previous_release_back_and_status_lists_the_releases(
        emulator: Any, releasing_workspace: tuple[Path, dict[str, Any]]) -> None:
    root, config = releasing_workspace
    endpoint = config["ACA_APP_ENDPOINT"]
    older = release_with(root, emulator, "before rollback\n")
    newer = release_with(root, emulator, "after rollback\n")
    shown = status(emulator, root)
    assert shown["serving_release"] == newer["release"]
    kept = [r["id"] for r in shown["releases"]]
    assert kept[-2:] == [older["release"], newer["release"]] and len(kept) == 3  # the default keeps 3
    with polling(endpoint + "/") as poller:
        back = rollback(emulator, root)
    assert back.returncode == 0, back.stderr
    result = last_json(back.stdout)
    assert result["release"] == older["release"] and result["previous_release"] == newer["release"]
    assert served(endpoint + "/") == b"before rollback\n"
    assert poller.errors == []
    assert status(emulator, root)["serving_release"] == older["release"]
    forward = rollback(emulator, root, "--to", newer["release"])
    assert forward.returncode == 0, forward.stderr
    assert served(endpoint + "/") == b"after rollback\n"
    unknown = rollback(emulator, root, "--to", "20200101-000000-abcdef0")
    assert unknown.returncode == 2
    assert "Release '20200101-000000-abcdef0' is not on share" in unknown.stderr and newer["release"] in unknown.stderr


def test_old_releases_are_pruned_but_never_one_a_revision_runs_and_job_outputs_stay(
        emulator: Any, releasing_workspace: tuple[Path, dict[str, Any]]) -> None:
    root, config = releasing_workspace
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    (share / "models").mkdir(exist_ok=True)
    (share / "models" / "adapter.safetensors").write_bytes(b"weights")
    for version in range(3):
        last = release_with(root, emulator, f"pruned {version}\n", "--keep-releases", "2")
    manifests = sorted(p.stem for p in (share / ".aca-inference" / "releases").glob("*.json"))
    assert len(manifests) == 2 and manifests[-1] == last["release"]
    assert (share / "models" / "adapter.safetensors").read_bytes() == b"weights"
    # Every kept release still has all its contents (objects are removed only when nothing kept names them).
    for name in manifests:
        manifest = json.loads((share / ".aca-inference" / "releases" / f"{name}.json").read_text())
        for entry in manifest["files"].values():
            assert (share / ".aca-inference" / "objects" / entry["sha256"]).is_file()


def test_one_gpu_node_falls_back_to_a_restart_and_says_how_to_allow_the_switch(emulator: Any, tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    write_parameters(root, {**NULL_TEMPLATE, "defaultCommands": ["cd /mount/inference", "python3 app.py"],
                            "workloadProfileType": "NC24-A100", "maximumInstanceCount": 1})  # one dedicated node
    config = provision_workspace(emulator, root, "rg-one-node")
    release_with(root, emulator, "first\n")
    (root / "inference" / "message.txt").write_text("second\n")
    run = deploy(emulator, root)
    assert run.returncode == 0, run.stderr
    result = last_json(run.stdout)
    assert result["action"] == "released" and not result["zero_downtime"]
    assert "This deploy restarts the app" in run.stderr and "Set maximumInstanceCount to 2" in run.stderr
    assert served(config["ACA_APP_ENDPOINT"] + "/") == b"second\n"


def test_single_revision_mode_falls_back_to_a_restart_and_names_the_setting(emulator: Any, tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    bicep = root / "infra" / "provision" / "inference.bicep"
    bicep.write_text((REPO / "infra" / "provision" / "inference.bicep").read_text()
                     .replace("activeRevisionsMode: 'Multiple'", "activeRevisionsMode: 'Single'"))
    config = provision_workspace(emulator, root, "rg-single-mode")
    release_with(root, emulator, "first\n")
    same = deploy(emulator, root)
    assert same.returncode == 0, same.stderr
    assert last_json(same.stdout)["files_uploaded"] == 0  # same code: the same release starts again
    (root / "inference" / "message.txt").write_text("second\n")
    run = deploy(emulator, root)
    assert run.returncode == 0, run.stderr
    assert not last_json(run.stdout)["zero_downtime"]
    assert "activeRevisionsMode 'Single'" in run.stderr and "inference.bicep" in run.stderr
    assert served(config["ACA_APP_ENDPOINT"] + "/") == b"second\n"
