"""The rules Azure applies to the resource bodies the bicep evaluates to (`azure_name_rules.container_app_rules`),
reported as workspace problems against what the user edits: the parameters file's value when one gave it, else
the bicep's parameter or resource. Run by `evaluate`, so validate, preview, provision and deploy all refuse a
body Azure would refuse - before any call to Azure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from azure_name_rules.container_app_rules import Violation, container_app_violations

from .bicep import EvaluatedResource, masked
from .paths import INFERENCE_PARAMETERS
from .problems import Problem, describe

if TYPE_CHECKING:
    from .template import WorkspaceTemplate

CONTAINER_APP = "microsoft.app/containerapps"
ENVIRONMENT = "microsoft.app/managedenvironments"
# A body key -> words of the parameter names that usually feed it (AI Toolkit's and our template's).
_AFFINITY: dict[str, tuple[str, ...]] = {"env": ("environmentvariables", "env"), "args": ("command",),
                                         "command": ("command",), "resources": ("cpu", "memory")}
# Words of body paths too common to say which parameter fed them ("name" ends every *Name parameter).
_GENERIC = {"name", "value", "type", "properties", "template", "containers", "configuration", "scale", "probes",
            "volumes", "volumemounts", "httpget", "tcpsocket"}


def app_profile_type(app: EvaluatedResource, resources: list[EvaluatedResource]) -> str | None:
    """The workload profile type a container app runs on, from its environment in the same template (None when
    the environment is not described there)."""
    properties = app.body.get("properties") or {}
    environment_id = properties.get("environmentId")
    environment = next((r for r in resources if r.type.lower() == ENVIRONMENT and isinstance(environment_id, str)
                        and r.handle.id.lower() == environment_id.lower()), None)
    if environment is None:
        return None
    profiles = (environment.body.get("properties") or {}).get("workloadProfiles")
    wanted = properties.get("workloadProfileName")
    if not isinstance(profiles, list) or not profiles or wanted is None:
        return "Consumption"  # a Consumption-only environment, or no profile named: the Consumption profile
    match = next((p for p in profiles if isinstance(p, dict) and isinstance(wanted, str)
                  and str(p.get("name", "")).lower() == wanted.lower()), None)
    kind = match.get("workloadProfileType") if match else None
    return kind if isinstance(kind, str) else None


def _secret_names(properties: dict[str, Any]) -> set[str] | None:
    secrets = (properties.get("configuration") or {}).get("secrets") if isinstance(
        properties.get("configuration"), dict) else None
    if secrets is None:
        return set()
    if not isinstance(secrets, list) or not all(isinstance(s, dict) and isinstance(s.get("name"), str)
                                                for s in secrets):
        return None
    return {s["name"].lower() for s in secrets}


def _contains(container: Any, wanted: Any) -> int | None:
    if isinstance(container, list):
        for index, element in enumerate(container):
            if element == wanted and type(element) is type(wanted):
                return index
    return None


def _source(violation: Violation, values: dict[str, Any], given: dict[str, Any]) -> tuple[str, str] | None:
    """(parameter, JSON path under its value) that most likely gave the offending value."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", violation.path)][::-1]
    best: tuple[int, str, str] | None = None
    for name, value in values.items():
        lowered = name.lower()
        affinity = 0
        for rank, word in enumerate(words[:4]):
            if word in _GENERIC:
                continue
            keys = _AFFINITY.get(word, (word,))
            if any(k in lowered for k in keys) or (len(word) > 3 and lowered.endswith(word)):
                affinity = 8 - rank
                break
        suffix = ""
        matched = value == violation.value and type(value) is type(violation.value) and not isinstance(value, bool)
        index = _contains(value, violation.item) if violation.item is not None else None
        if index is not None:
            tail = re.search(r"\](\.[A-Za-z]+)$", violation.path)
            suffix, matched = f"[{index}]{tail.group(1) if tail else ''}", True
        score = affinity + (4 if matched else 0) + (1 if name in given else 0)
        if (affinity or matched) and (best is None or score > best[0]):
            best = (score, name, suffix)
    return (best[1], best[2]) if best else None


def _problem(violation: Violation, resource: EvaluatedResource, template: WorkspaceTemplate,
             values: dict[str, Any]) -> Problem:
    found = None if "found " in violation.rule else describe(masked(violation.value))
    source = _source(violation, values, template.parameters)
    if source is not None:
        name, suffix = source
        if name in template.parameters:
            return Problem(INFERENCE_PARAMETERS, f"parameters.{name}.value{suffix}",
                           f"{violation.rule} (resource '{resource.symbol}' {violation.path})", found)
        decl = template.file.params.get(name)
        return Problem(template.display, f"param {name}",
                       f"{violation.rule} (resource '{resource.symbol}' {violation.path}); set "
                       f"`{name}` in {INFERENCE_PARAMETERS}", found,
                       line=decl.span.line if decl else None, column=decl.span.column if decl else None)
    span = resource.span
    return Problem(template.display, f"resource '{resource.symbol}' {violation.path}", violation.rule, found,
                   line=span.line if span else None, column=span.column if span else None)


def body_problems(template: WorkspaceTemplate, resources: list[EvaluatedResource],
                  values: dict[str, Any]) -> list[Problem]:
    """Every rule the evaluated container apps break, each against the file and field to change."""
    problems: list[Problem] = []
    for resource in resources:
        if resource.type.lower() != CONTAINER_APP or not resource.deployed or resource.existing:
            continue
        properties = resource.body.get("properties")
        if not isinstance(properties, dict):
            continue
        profile = app_profile_type(resource, resources)
        for violation in container_app_violations(properties, profile, _secret_names(properties)):
            problems.append(_problem(violation, resource, template, values))
    return problems
