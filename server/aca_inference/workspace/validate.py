"""Every problem in a workspace's infra/ files, collected in one pass (validation never stops at the first)."""

from __future__ import annotations

from pathlib import Path

from .finetuning import read_finetuning
from .inference_config import check_config
from .json_file import read_json_object
from .parameters import parse_parameters
from .paths import INFERENCE_CONFIG, INFERENCE_PARAMETERS
from .problems import Problem, WorkspaceInvalid


def validate_workspace(root: Path) -> list[Problem]:
    problems: list[Problem] = []
    if not root.is_dir():
        return [Problem(str(root), "", "expected a workspace folder", "no such folder")]
    params_path = root / INFERENCE_PARAMETERS
    if not params_path.exists():
        problems.append(Problem(INFERENCE_PARAMETERS, "", "file not found; create the templates with `aca-inference init .`"))
    else:
        try:
            problems += parse_parameters(read_json_object(params_path, INFERENCE_PARAMETERS), INFERENCE_PARAMETERS)[1]
        except WorkspaceInvalid as exc:
            problems += exc.problems
    if (root / INFERENCE_CONFIG).exists():
        try:
            problems += check_config(read_json_object(root / INFERENCE_CONFIG, INFERENCE_CONFIG), INFERENCE_CONFIG)[1]
        except WorkspaceInvalid as exc:
            problems += exc.problems
    try:
        problems += read_finetuning(root)[1]
    except WorkspaceInvalid as exc:
        problems += exc.problems
    return problems
