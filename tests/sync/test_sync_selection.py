"""What a deploy uploads: the include folders, .gitignore at every level, our ignore file, built-in excludes."""

from __future__ import annotations

from pathlib import Path

import pytest

from aca_inference.errors import InputError
from aca_inference.sync import select_files
from tests.sync.conftest import write_tree


def selected(root: Path, include: list[str] | None = None) -> list[str]:
    return [file.path for file in select_files(root, include)]


def test_default_selection_is_the_inference_folder_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {"inference/app.py": "x", "inference/lib/util.py": "y", "infra/main.bicep": "z",
                          "notes.md": "n"})
    assert selected(tmp_path) == ["inference/app.py", "inference/lib/util.py"]


def test_include_list_is_configurable_and_accepts_single_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"inference/app.py": "x", "scripts/run.sh": "y", "config.yaml": "c", "other/skip.txt": "s"})
    assert selected(tmp_path, ["inference", "scripts", "config.yaml"]) == [
        "config.yaml", "inference/app.py", "scripts/run.sh"]


def test_root_gitignore_applies_inside_the_included_folder(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": "*.log\nsecrets/\n", "inference/app.py": "x", "inference/run.log": "l",
                          "inference/secrets/key.txt": "k"})
    assert selected(tmp_path) == ["inference/app.py"]


def test_nested_gitignore_overrides_its_parents_like_git(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".gitignore": "*.bin\n",
        "inference/.gitignore": "!weights.bin\n/local-only.txt\n",
        "inference/weights.bin": b"w", "inference/other.bin": b"o", "inference/local-only.txt": "l",
        "inference/sub/local-only.txt": "kept: the pattern is anchored to inference/",
    })
    assert selected(tmp_path) == ["inference/sub/local-only.txt", "inference/weights.bin"]


def test_builtin_excludes_leave_out_vcs_environments_and_caches(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "inference/app.py": "x",
        "inference/.git/config": "g",
        "inference/node_modules/pkg/index.js": "n",
        "inference/__pycache__/app.cpython-311.pyc": b"c",
        "inference/.venv/bin/python": "v",
        "inference/myenv/pyvenv.cfg": "home = /usr", "inference/myenv/lib/site.py": "s",
        "inference/.pytest_cache/v": "p",
    })
    assert selected(tmp_path) == ["inference/app.py"]


def test_our_ignore_file_excludes_and_can_bring_back_a_git_ignored_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        ".gitignore": "*.safetensors\n",
        ".acainferenceignore": "tests/\n!inference/tokenizer.safetensors\n",
        "inference/app.py": "x", "inference/tests/test_app.py": "t",
        "inference/tokenizer.safetensors": b"t", "inference/big.safetensors": b"b",
    })
    assert selected(tmp_path) == ["inference/app.py", "inference/tokenizer.safetensors"]


def test_ignored_directory_is_not_descended(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": "data/\n", "inference/data/.gitignore": "!*\n", "inference/data/x.csv": "1",
                          "inference/app.py": "x"})
    assert selected(tmp_path) == ["inference/app.py"]


@pytest.mark.parametrize("include", ["models", "model-cache/org/model", "models/adapter"])
def test_fine_tuning_outputs_can_never_be_included(tmp_path: Path, include: str) -> None:
    write_tree(tmp_path, {f"{include}/file": "x", "inference/app.py": "x"})
    with pytest.raises(InputError, match="fine-tuning job's outputs"):
        select_files(tmp_path, [include])


def test_missing_include_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'inference' does not exist"):
        select_files(tmp_path, None)


@pytest.mark.parametrize("include", ["../elsewhere", "/etc", "."])
def test_include_outside_the_workspace_is_refused(tmp_path: Path, include: str) -> None:
    with pytest.raises(InputError, match="inside the workspace"):
        select_files(tmp_path, [include])


def test_names_azure_files_refuses_are_reported_with_the_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"inference/bad:name.txt": "x"})
    with pytest.raises(InputError, match=r"'inference/bad:name.txt' has the character ':'"):
        select_files(tmp_path)


def test_names_differing_only_in_case_are_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"inference/App.py": "x", "inference/app.py": "y"})
    with pytest.raises(InputError, match="differ only in letter case"):
        select_files(tmp_path)


def test_symlinked_file_uploads_its_target_and_symlinked_folder_is_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"inference/app.py": "x", "shared/util.py": "u", "shared/sub/a.py": "a"})
    (tmp_path / "inference" / "util.py").symlink_to(tmp_path / "shared" / "util.py")
    (tmp_path / "inference" / "linked").symlink_to(tmp_path / "shared" / "sub")
    assert selected(tmp_path) == ["inference/app.py", "inference/util.py"]


def test_an_empty_selection_is_refused_rather_than_emptying_the_share(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": "*\n", "inference/app.py": "x"})
    with pytest.raises(InputError, match="Nothing to deploy: inference/"):
        select_files(tmp_path)
