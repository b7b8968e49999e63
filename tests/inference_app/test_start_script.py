"""start.py: pip runs only when requirements.txt changed or the environment does not satisfy it (a stamp on the
share says so), and the app's /health reports the dependency step with the rest of the start."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import APP_DIR, free_port


def start(app_dir: Path, stamps: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "start.py", *args], cwd=app_dir, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "INFERENCE_STAMP_DIR": str(stamps)})


def report(run: subprocess.CompletedProcess[str]) -> dict:
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])["dependencies"]


@pytest.fixture()
def app_copy(tmp_path: Path) -> Path:
    """start.py and a requirements.txt this environment satisfies (pip resolves it without any download)."""
    folder = tmp_path / "inference"
    folder.mkdir()
    shutil.copy(APP_DIR / "start.py", folder / "start.py")
    (folder / "requirements.txt").write_text("pip\n")
    return folder


def test_the_second_start_skips_pip_and_a_changed_requirements_file_runs_it_again(app_copy: Path,
                                                                                  tmp_path: Path) -> None:
    stamps = tmp_path / "share" / ".cache"
    first = report(start(app_copy, stamps, "--deps-only"))
    second = report(start(app_copy, stamps, "--deps-only"))
    assert (first["skipped"], second["skipped"]) == (False, True)
    assert second["stamp"] == first["stamp"] and Path(first["stamp"]).is_file()
    assert second["seconds"] < first["seconds"]
    (app_copy / "requirements.txt").write_text("pip  # changed\n")
    assert report(start(app_copy, stamps, "--deps-only"))["skipped"] is False
    assert report(start(app_copy, stamps, "--deps-only"))["skipped"] is True


def test_a_failing_install_stops_the_start_and_leaves_no_stamp(app_copy: Path, tmp_path: Path) -> None:
    (app_copy / "requirements.txt").write_text("./no-such-package-folder\n")
    run = start(app_copy, tmp_path / "stamps", "--deps-only")
    assert run.returncode != 0
    assert not list((tmp_path / "stamps").glob("pip-stamp-*"))


@pytest.mark.slow
def test_the_app_started_by_start_py_reports_the_dependency_step_in_health(demo_model_root: Path,
                                                                          tmp_path: Path) -> None:
    port = free_port()
    stamps = tmp_path / "stamps"
    report(start(APP_DIR, stamps, "--deps-only"))  # the stamp exists: this start skips pip
    log = (tmp_path / "app.log").open("wb")
    process = subprocess.Popen([sys.executable, "start.py", "--port", str(port)], cwd=APP_DIR, stdout=log,
                               stderr=subprocess.STDOUT, env={**os.environ, "INFERENCE_STAMP_DIR": str(stamps),
                                                              "MODEL_ROOT": str(demo_model_root), "HOST": "127.0.0.1"})
    try:
        health = _wait_ready(f"http://127.0.0.1:{port}/health", process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    startup = health["startup"]
    assert startup["details"]["dependencies"]["skipped"] is True
    assert startup["phases"]["dependencies"] < 1
    assert startup["total_seconds"] >= sum(startup["phases"].values()) - 0.01
    assert "start: dependencies already satisfied (stamp)" in (tmp_path / "app.log").read_text()


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> dict:
    import time

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, "the app exited"
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the app was not ready in time")
