"""Data loss: a deploy deletes a file on the share only when it has positively seen the local copy is gone.

Every read the scan cannot do (a folder or file the OS refuses, an unreadable ignore file) stops the deploy
before anything is deleted, uploaded or restarted. The reads fail for real: the CLI runs without the
capabilities that let root read through `chmod 000` (see conftest).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import last_json
from tests.deploy.conftest import make_workspace
from tests.hardening.conftest import cli, flat, local_tree, no_traceback, provision, restore_permissions, share_tree
from tests.provision.arm import ArmProbe


@pytest.fixture
def deployed(emulator: Any, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A workspace with inference/serving/ deployed once; returns (workspace, share folder)."""
    workspace = make_workspace(tmp_path / "ws")
    serving = workspace / "inference" / "serving"
    serving.mkdir()
    (serving / "handler.py").write_text("HANDLER = 1\n")
    (serving / "settings.json").write_text("{}\n")
    config = provision(emulator, workspace, f"rg-unreadable-{tmp_path.name[-12:].lower()}")
    run = cli(emulator, "deploy", workspace, obey_permissions=True)
    assert run.returncode == 0, run.stderr
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    assert share_tree(share) == local_tree(workspace)
    yield workspace, share
    restore_permissions(workspace)


def _assert_stopped_before_any_change(emulator: Any, mark: int, run: Any, share: Path,
                                      before: dict[str, bytes], named: str) -> str:
    output = flat(no_traceback(run))
    assert run.returncode == 2, output
    assert named in output
    assert "fix their permissions" in output and ".acainferenceignore" in output
    assert "Run deploy again to finish" not in output
    arm = ArmProbe(emulator)
    assert arm.writes_since(mark, port="files") == []  # nothing uploaded, nothing deleted
    assert [e for e in arm.requests_since(mark, "management") if e["method"] == "POST"
            and "restart" in e["path"].lower()] == []  # nothing restarted
    assert share_tree(share) == before
    return output


def test_an_unreadable_folder_stops_the_deploy_and_its_files_stay_on_the_share(
        emulator: Any, deployed: tuple[Path, Path]) -> None:
    root, share = deployed
    before = share_tree(share)
    os.chmod(root / "inference" / "serving", 0)
    mark = ArmProbe(emulator).mark()
    run = cli(emulator, "deploy", root, obey_permissions=True)
    _assert_stopped_before_any_change(emulator, mark, run, share, before, "inference/serving/: Permission denied")
    assert "inference/serving/handler.py" in before


def test_an_unreadable_file_stops_the_deploy_before_anything_is_written(
        emulator: Any, deployed: tuple[Path, Path]) -> None:
    root, share = deployed
    (root / "inference" / "message.txt").write_text("changed, so it would be uploaded\n")
    (root / "inference" / "serving" / "settings.json").unlink()  # a real delete that must not run either
    before = share_tree(share)
    os.chmod(root / "inference" / "message.txt", 0)
    mark = ArmProbe(emulator).mark()
    run = cli(emulator, "deploy", root, obey_permissions=True)
    _assert_stopped_before_any_change(emulator, mark, run, share, before,
                                      "inference/message.txt: Permission denied")


def test_an_unreadable_ignore_file_stops_the_deploy(emulator: Any, deployed: tuple[Path, Path]) -> None:
    root, share = deployed
    ignore = root / "inference" / ".acainferenceignore"
    ignore.write_text("secrets/\n")
    os.chmod(ignore, 0)
    before = share_tree(share)
    mark = ArmProbe(emulator).mark()
    run = cli(emulator, "deploy", root, obey_permissions=True)
    _assert_stopped_before_any_change(emulator, mark, run, share, before,
                                      "inference/.acainferenceignore: Permission denied")


def test_a_symlink_loop_is_skipped_with_a_warning_naming_it_and_its_share_copy_is_kept(
        emulator: Any, deployed: tuple[Path, Path]) -> None:
    root, share = deployed
    # inference/cache.bin was deployed as a file; now it is a link loop: not "gone", so the share keeps it.
    (root / "inference" / "cache.bin").write_bytes(b"cached")
    assert cli(emulator, "deploy", root).returncode == 0
    (root / "inference" / "cache.bin").unlink()
    os.symlink("cache.bin", root / "inference" / "cache.bin")
    os.symlink("loop-b", root / "inference" / "loop-a")
    os.symlink("loop-a", root / "inference" / "loop-b")
    (root / "inference" / "message.txt").write_text("after the loop\n")
    run = cli(emulator, "deploy", root)
    output = flat(no_traceback(run))
    assert run.returncode == 0, output
    for link in ("inference/cache.bin", "inference/loop-a", "inference/loop-b"):
        assert f"Skipped {link}: a symbolic link loop" in output
    assert last_json(run.stdout)["files_deleted"] == 0
    served = share_tree(share)
    assert served["inference/cache.bin"] == b"cached"
    assert served["inference/message.txt"] == b"after the loop\n"


def test_a_file_really_removed_is_still_removed_from_the_share(emulator: Any,
                                                                deployed: tuple[Path, Path]) -> None:
    root, share = deployed
    (root / "inference" / "serving" / "settings.json").unlink()
    run = cli(emulator, "deploy", root, obey_permissions=True)
    assert run.returncode == 0, run.stderr
    assert last_json(run.stdout)["files_deleted"] == 1
    assert share_tree(share) == local_tree(root)
