"""Move a project whose app is its own (an AI Toolkit project's gradio_chat.py: public, no /health, no OpenAI
list of models) to our inference app in one step, losing nothing.

Our app goes in its own folder beside theirs (`inference-aca/`); our bicep and parameters take the place of
theirs with their values carried over (resource names, location, their GPU profile and maximumInstanceCount); their original bicep
and parameters stay beside them (`*.aitoolkit.*`). Every file change is previewed first. Provision then
updates the app (image, command, probes, the API key) and deploy gives it auth, the OpenAI API and /health.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import Cancelled, InputError
from ..workspace.finetuning import FINETUNING_NAMES
from ..workspace.json_file import write_json_atomic
from ..workspace.paths import INFERENCE_BICEP, INFERENCE_PARAMETERS, template_source
from ..workspace.template import WorkspaceTemplate, load_template
from .context import OperationContext
from .results import MigrateResult

OUR_APP_FOLDER = "inference-aca"
KEPT_BICEP = "infra/provision/inference.aitoolkit.bicep"
KEPT_PARAMETERS = "infra/provision/inference.aitoolkit.parameters.json"
# What is carried from their parameters file into ours (the names, where, and how many GPU nodes).
CARRIED = ("location", "maximumInstanceCount", *(n.parameter for n in FINETUNING_NAMES.values()), "acaAppName")
_SKIP = {"__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class FileChange:
    path: str
    action: Literal["create", "replace"]
    detail: str = ""

    def describe(self) -> str:
        return f"{self.action:<7} {self.path}" + (f"  ({self.detail})" if self.detail else "")


def _is_ours(root: Path) -> bool:
    """Our template declares the endpoint's authentication; the AI Toolkit's has none."""
    bicep = root / INFERENCE_BICEP
    return not bicep.exists() or "param endpointAuth" in bicep.read_text(encoding="utf-8-sig")


def _carried_values(root: Path) -> dict[str, Any]:
    template = load_template(root)  # their files must be valid to carry anything from them
    values = {name: template.parameters[name] for name in CARRIED if name in template.parameters}
    if "resourceSuffix" in template.parameters:  # their names follow a suffix they chose: keep the names
        from ..workspace.bicep import Deployment, Evaluator

        evaluator = Evaluator(template.file, Deployment("0", "x", "westus3"), template.parameters)
        for name in CARRIED[2:]:
            if name in template.file.params and name not in values:
                value = evaluator.param(name, template.file.params[name].span)
                if isinstance(value, str):
                    values[name] = value
    values.update(_their_gpu_profile(template))
    return values


def _their_gpu_profile(template: WorkspaceTemplate) -> dict[str, str]:
    """The GPU profile their app runs on (its type and name), carried so the move keeps their GPU: our template's
    default kind (a serverless T4) would otherwise move a dedicated A100 app onto another GPU."""
    from ..workspace.bicep import Deployment
    from ..workspace.template import evaluate

    evaluated = evaluate(template, Deployment("0", "x", "westus3"))
    apps = evaluated.of_type("Microsoft.App/containerApps")
    name = (apps[0].body.get("properties") or {}).get("workloadProfileName") if apps else None
    for environment in evaluated.of_type("Microsoft.App/managedEnvironments"):
        for profile in (environment.body.get("properties") or {}).get("workloadProfiles") or []:
            kind = profile.get("workloadProfileType") if isinstance(profile, dict) else None
            if isinstance(name, str) and isinstance(kind, str) and str(profile.get("name")).lower() == name.lower() \
                    and kind.lower() != "consumption":
                return {"workloadProfileType": kind, "workloadProfileName": name}
    return {}


def _our_parameters(carried: dict[str, Any]) -> dict[str, Any]:
    ours: dict[str, Any] = json.loads((template_source() / INFERENCE_PARAMETERS).read_text(encoding="utf-8"))
    for name, value in carried.items():
        if name in ours["parameters"]:
            ours["parameters"][name] = {"value": value}
    ours["parameters"]["defaultCommands"] = {"value": [f"cd /mount/{OUR_APP_FOLDER}", "python3 start.py"]}
    ours["parameters"]["appFolder"] = {"value": OUR_APP_FOLDER}  # what the release launcher runs from
    return ours


def _app_files() -> list[Path]:
    source = template_source() / "inference"
    return [p for p in sorted(source.rglob("*")) if p.is_file() and not _SKIP.intersection(p.relative_to(source).parts)
            and p.suffix != ".pyc"]


def plan_migration(root: Path) -> tuple[list[FileChange], dict[str, Any]]:
    if not root.is_dir():
        raise InputError(f"Workspace '{root}' is not a folder: open the fine-tuning project's folder.")
    if _is_ours(root):
        raise InputError(f"{INFERENCE_BICEP} is already the ACA Inference template (or the workspace has none, and "
                         "ours is used): there is nothing to move. Deploy gives the app auth, the OpenAI API and "
                         "/health.")
    for kept in (KEPT_BICEP, KEPT_PARAMETERS, OUR_APP_FOLDER):
        if (root / kept).exists():
            raise InputError(f"{kept} already exists: the project was moved before, or the name is taken. Move or "
                             "remove it, then run the command again.")
    carried = _carried_values(root)
    shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in carried.items()) or "nothing set: the default names"
    changes = [FileChange(KEPT_BICEP, "create", f"your {INFERENCE_BICEP}, kept as it is")]
    if (root / INFERENCE_PARAMETERS).exists():
        changes.append(FileChange(KEPT_PARAMETERS, "create", f"your {INFERENCE_PARAMETERS}, kept as it is"))
    changes += [
        FileChange(INFERENCE_BICEP, "replace", "the ACA Inference template: API key, /health probes sized for a GPU "
                                               "cold start, scale to zero"),
        FileChange(INFERENCE_PARAMETERS, "replace" if (root / INFERENCE_PARAMETERS).exists() else "create",
                   f"carried over: {shown}; defaultCommands start {OUR_APP_FOLDER}/start.py"),
        FileChange(f"{OUR_APP_FOLDER}/", "create", f"the ACA Inference app, {len(_app_files())} files (your "
                                                   "inference/ stays as it is)"),
    ]
    return changes, carried


async def migrate(context: OperationContext, *, preview: bool) -> MigrateResult:
    root, reporter = context.root, context.reporter
    changes, carried = plan_migration(root)
    for change in changes:
        reporter.log(change.describe())
    rows = [{"path": c.path, "action": c.action, "detail": c.detail} for c in changes]
    if preview:
        summary = f"Preview: {len(changes)} file change(s). Nothing was changed."
        await reporter.notify(summary)
        return MigrateResult(summary=summary, changes=rows, carried=carried, preview=True)
    if not await reporter.confirm(f"Move this project to the ACA Inference app ({len(changes)} file changes, listed "
                                  "in the output; your files are kept beside ours)?", action="Move"):
        raise Cancelled("Nothing was changed.")
    # Keep theirs first: if anything fails after this, their originals are already safe.
    shutil.copy2(root / INFERENCE_BICEP, root / KEPT_BICEP)
    if (root / INFERENCE_PARAMETERS).exists():
        shutil.copy2(root / INFERENCE_PARAMETERS, root / KEPT_PARAMETERS)
    app_source = template_source() / "inference"
    staging = root / f".{OUR_APP_FOLDER}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    for path in _app_files():
        target = staging / path.relative_to(app_source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    staging.rename(root / OUR_APP_FOLDER)
    bicep_text = (template_source() / INFERENCE_BICEP).read_text(encoding="utf-8")
    temporary = root / f"{INFERENCE_BICEP}.partial"
    temporary.write_text(bicep_text, encoding="utf-8")
    temporary.replace(root / INFERENCE_BICEP)
    write_json_atomic(root / INFERENCE_PARAMETERS, _our_parameters(carried))
    summary = ("Moved to the ACA Inference app. Next: Provision (updates the app: image, command, probes, API key), "
               "then Deploy.")
    reporter.log(summary)
    await reporter.notify(summary)
    return MigrateResult(summary=summary, changes=rows, carried=carried)
