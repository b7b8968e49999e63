"""The workspace's inference template: its own `infra/provision/inference.bicep` with
`inference.parameters.json` (as AI Toolkit deploys them), or ours when the workspace has no bicep.

One source of truth: whatever the bicep declares is what provision creates and what deploy compares the
container app with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bicep import (
    BicepError,
    BicepFile,
    Deployment,
    EvaluatedResource,
    Evaluator,
    Runtime,
    deployment_order,
    parse_bicep,
)
from .bicep.parameters import MISSING_VALUE, bind_parameters, constraint_problem
from .body_rules import body_problems
from .json_file import read_json_object
from .naming import ResourceKind, check_name
from .paths import INFERENCE_BICEP, INFERENCE_PARAMETERS, template_source
from .problems import Problem, WorkspaceInvalid, describe

# The naming rules we know, by ARM resource type (lower case).
NAME_KINDS: dict[str, ResourceKind] = {
    "microsoft.storage/storageaccounts": ResourceKind.storage_account,
    "microsoft.storage/storageaccounts/fileservices/shares": ResourceKind.file_share,
    "microsoft.operationalinsights/workspaces": ResourceKind.log_analytics_workspace,
    "microsoft.app/managedenvironments": ResourceKind.managed_environment,
    "microsoft.app/managedenvironments/storages": ResourceKind.environment_storage,
    "microsoft.app/containerapps": ResourceKind.container_app,
}


def builtin_bicep() -> Path:
    return template_source() / INFERENCE_BICEP


@dataclass
class WorkspaceTemplate:
    file: BicepFile
    parameters: dict[str, Any]  # the values the parameters file gives (nulls left out)
    builtin: bool  # the workspace has no bicep: ours is used
    warnings: list[str] = field(default_factory=list)

    @property
    def display(self) -> str:
        return self.file.path


@dataclass
class EvaluatedTemplate:
    template: WorkspaceTemplate
    deployment: Deployment
    parameters: dict[str, Any]  # every parameter's value, defaults included
    resources: list[EvaluatedResource]
    evaluator: Evaluator

    def of_type(self, resource_type: str) -> list[EvaluatedResource]:
        return [r for r in self.resources if r.type.lower() == resource_type.lower() and r.deployed]


def load_template(root: Path) -> WorkspaceTemplate:
    """Parse the bicep and bind the parameters file; every problem is reported at once."""
    template, problems = read_template(root)
    if problems:
        raise WorkspaceInvalid([*problems, *_other_problems(template, problems)])
    return template


# Names are checked without a resource group: defaults (uniqueString of the group) are valid by construction,
# so only names the files state can be wrong, and those do not depend on it.
NAMES_ONLY = Deployment("00000000-0000-0000-0000-000000000000", "validate", "westus3")


def _other_problems(template: WorkspaceTemplate, problems: list[Problem]) -> list[Problem]:
    """With some parameters wrong, the rest can still be checked: one run reports every problem (not when one
    has no value at all: evaluating would stop at it)."""
    if any(p.code == MISSING_VALUE for p in problems):
        return []
    try:
        evaluate(template, NAMES_ONLY)
    except WorkspaceInvalid as exc:
        return exc.problems
    except BicepError:
        return []
    return []


def read_template(root: Path) -> tuple[WorkspaceTemplate, list[Problem]]:
    """The template with the parameter values that are valid, and the problems of the others."""
    path = root / INFERENCE_BICEP
    builtin = not path.exists()
    source_path = builtin_bicep() if builtin else path
    display = f"{INFERENCE_BICEP} (built in: the workspace has none)" if builtin else INFERENCE_BICEP
    try:
        source = source_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise WorkspaceInvalid([Problem(display, "", "expected a readable UTF-8 bicep file", str(error))]) from None
    file = parse_bicep(source, display)
    raw: dict[str, Any] = {}
    if (root / INFERENCE_PARAMETERS).exists():
        raw = read_json_object(root / INFERENCE_PARAMETERS, INFERENCE_PARAMETERS)
    values, problems, warnings = bind_parameters(file, raw, INFERENCE_PARAMETERS)
    return WorkspaceTemplate(file, values, builtin, warnings), problems


def evaluate(template: WorkspaceTemplate, deployment: Deployment, *, defaults: dict[str, Any] | None = None,
             runtime: Runtime | None = None) -> EvaluatedTemplate:
    """Evaluate parameters and resources. `defaults` fill declared parameters the file leaves to the bicep's
    default (the fine-tuning project's names); names and constraints are checked, all problems at once."""
    given = dict(template.parameters)
    for name, value in (defaults or {}).items():
        if name in template.file.params and name not in given:
            given[name] = value
    evaluator = Evaluator(template.file, deployment, given, runtime)
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name, decl in template.file.params.items():
        value = evaluator.param(name, decl.span)
        values[name] = value
        if name not in template.parameters and (problem := constraint_problem(decl, value)) is not None:
            origin = "the fine-tuning project's value" if name in (defaults or {}) else "its default"
            problems.append(Problem(template.display, f"param {name}", f"{problem}, with {origin}",
                                    describe(value), line=decl.span.line, column=decl.span.column))
    for name, variable in template.file.variables.items():
        evaluator.variable(name, variable.span)  # ARM evaluates every variable: an unused one can still be wrong
    resources = evaluator.resources()
    deployment_order(resources)  # refuses dependency cycles
    if runtime is None:
        evaluator.outputs()  # what can be computed before deployment fails now, not after every PUT
    for resource in resources:
        kind = NAME_KINDS.get(resource.type.lower())
        if kind is None or not resource.deployed or resource.existing:
            continue
        if (rule := check_name(kind, resource.short_name)) is not None:
            problems.append(_name_problem(template, resource, rule, values))
    problems += body_problems(template, resources, values)
    if problems:
        raise WorkspaceInvalid(problems)
    return EvaluatedTemplate(template, deployment, values, resources, evaluator)


def _name_problem(template: WorkspaceTemplate, resource: EvaluatedResource, rule: str,
                  values: dict[str, Any]) -> Problem:
    """Point at the parameters file when the name came from it, else at the resource in the bicep."""
    for name, value in template.parameters.items():
        if value == resource.short_name:
            return Problem(INFERENCE_PARAMETERS, f"parameters.{name}.value", rule, describe(value))
    span = resource.span
    where = f"resource '{resource.symbol}' name"
    param = next((n for n, v in values.items() if v == resource.short_name), None)
    if param is not None:
        where += f" (parameter {param})"
    return Problem(template.display, where, rule, describe(resource.short_name),
                   line=span.line if span else None, column=span.column if span else None)


__all__ = ["NAME_KINDS", "BicepError", "EvaluatedTemplate", "WorkspaceTemplate", "evaluate", "load_template"]
