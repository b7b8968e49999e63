"""Every problem in a workspace's infra/ files, collected in one pass (validation never stops at the first)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .bicep import BicepError
from .finetuning import finetuning_problems
from .inference_config import check_config
from .json_file import read_json_object
from .paths import INFERENCE_BICEP, INFERENCE_CONFIG, INFERENCE_PARAMETERS
from .problems import Problem, WorkspaceInvalid
from .template import NAMES_ONLY, evaluate, load_template


def _template_problems(root: Path) -> list[Problem]:
    try:
        evaluate(load_template(root), NAMES_ONLY)
    except WorkspaceInvalid as exc:
        return exc.problems
    except BicepError as exc:
        return [Problem(exc.span.file, exc.construct, exc.fix, line=exc.span.line, column=exc.span.column)]
    except InputError as exc:
        return [Problem("infra/provision", "", str(exc))]
    return []


def _finetuning_problems(root: Path) -> list[Problem]:
    return finetuning_problems(root)[1]


def validate_workspace(root: Path) -> list[Problem]:
    if not root.is_dir():
        return [Problem(str(root), "", "expected a workspace folder", "no such folder" if not root.exists()
                        else "a file")]
    problems = _template_problems(root)
    if not any((root / p).exists() for p in (INFERENCE_BICEP, INFERENCE_PARAMETERS, "inference")):
        problems.append(Problem(INFERENCE_PARAMETERS, "", "file not found, and no inference/ app either: create the "
                                                          "templates and the app with `aca-inference init .`"))
    if (root / INFERENCE_CONFIG).exists():
        try:
            problems += check_config(read_json_object(root / INFERENCE_CONFIG, INFERENCE_CONFIG), INFERENCE_CONFIG)[1]
        except WorkspaceInvalid as exc:
            problems += exc.problems
    problems += _finetuning_problems(root)
    return problems
