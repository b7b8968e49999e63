"""The bicep templates and the daemon's resource model must not drift apart.

A user who deploys infra/provision/inference.bicep by hand and one who runs `aca-inference provision` must get the
same resources, api versions and parameters. A small parser reads the bicep's `param` and `resource`
declarations; the checks compare them with workspace/resource_model.py, the parameters model
(workspace/parameters.py), the naming module's default names and the management SDKs' api versions. The
last tests feed the checker altered templates to prove it notices each kind of drift.
"""

from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aca_inference.workspace import resource_model
from aca_inference.workspace.naming import PREFIXES
from aca_inference.workspace.parameters import InferenceParameters, load_parameters
from aca_inference.workspace.resource_model import (
    API_VERSIONS,
    DEFAULT_NAME_PARAMETERS,
    FINETUNING_PARAMETER_NAMES,
    FINETUNING_RESOURCES,
    INFERENCE_RESOURCES,
    ResourceSpec,
)

ROOT = Path(__file__).resolve().parents[2]
INFERENCE_BICEP = ROOT / "infra" / "provision" / "inference.bicep"
FINETUNING_BICEP = ROOT / "infra" / "provision" / "finetuning.bicep"
INFERENCE_PARAMETERS = ROOT / "infra" / "provision" / "inference.parameters.json"
FINETUNING_PARAMETERS = ROOT / "infra" / "provision" / "finetuning.parameters.json"


# --- a small bicep reader: top-level param / resource declarations -------------------------------------------


@dataclass
class BicepParam:
    name: str
    type: str
    default: str | None
    decorators: list[str] = field(default_factory=list)


@dataclass
class BicepResource:
    symbol: str
    type: str
    api_version: str
    parent: str | None  # symbol of the `parent:` resource


@dataclass
class BicepFile:
    params: dict[str, BicepParam]
    resources: dict[str, BicepResource]


def _strip_comments(text: str) -> str:
    """Blank out // and /* */ comments, leaving strings (with \\' escapes and ''' blocks) untouched."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            end = n if end < 0 else end + 3
            out.append(text[i:end])
            i = end
        elif text[i] == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_KEYWORD = re.compile(r"^(param|var|resource|output|module|type|func|metadata|targetScope|import)\b")


def _declares(lines: list[str]) -> bool:
    """Whether these lines hold a declaration (not only decorators waiting for theirs)."""
    return any(_KEYWORD.match(line) for line in lines)


def _split_decorators(lines: list[str]) -> tuple[list[str], list[str]]:
    """Leading decorators (each possibly spanning lines) and the declaration after them."""
    decorators: list[str] = []
    depth = 0
    for index, line in enumerate(lines):
        if depth == 0 and not line.startswith("@"):
            return decorators, lines[index:]
        if depth == 0:
            decorators.append(line.strip())
        else:
            decorators[-1] += " " + line.strip()
        bare = _blank_strings(line)
        depth += bare.count("(") + bare.count("[") + bare.count("{")
        depth -= bare.count(")") + bare.count("]") + bare.count("}")
    return decorators, []


_STRING = re.compile(r"'''.*?'''|'(?:\\.|[^'\\\n])*'", re.S)


def _blank_strings(text: str) -> str:
    """The same text with string literals' contents blanked, so brackets inside strings are not counted."""
    return _STRING.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def _statements(text: str) -> list[str]:
    """Top-level statements: a new one starts on a line that begins at bracket depth 0."""
    statements: list[str] = []
    depth = 0
    current: list[str] = []
    for line, bare in zip(text.splitlines(), _blank_strings(text).splitlines(), strict=True):
        if depth == 0 and line.strip() and not line[0].isspace() and _declares(current):
            statements.append("\n".join(current))
            current = []
        current.append(line)
        depth += bare.count("{") + bare.count("[") + bare.count("(")
        depth -= bare.count("}") + bare.count("]") + bare.count(")")
        if depth < 0:
            raise ValueError(f"unbalanced brackets at: {line.strip()}")
    if depth != 0:
        raise ValueError("unbalanced brackets at the end of the file")
    if current:
        statements.append("\n".join(current))
    return [s for s in statements if s.strip()]


_PARAM = re.compile(r"^param\s+(?P<name>\w+)\s+(?P<type>\w+)(?:\s*=\s*(?P<default>.*))?$", re.S)
_RESOURCE = re.compile(r"^resource\s+(?P<symbol>\w+)\s+'(?P<type>[^'@]+)@(?P<version>[^']+)'\s+(?:existing\s*)?=\s*",
                       re.S)
_PARENT = re.compile(r"^\s{2}parent:\s*(\w+)\s*$", re.M)


def parse_bicep(text: str) -> BicepFile:
    params: dict[str, BicepParam] = {}
    resources: dict[str, BicepResource] = {}
    for statement in _statements(_strip_comments(text)):
        decorators, declaration = _split_decorators(statement.strip().splitlines())
        body = "\n".join(declaration).strip()
        if body.startswith("param "):
            match = _PARAM.match(body)
            if match is None:
                raise ValueError(f"cannot read the param declaration: {body.splitlines()[0]}")
            if match["name"] in params:
                raise ValueError(f"param {match['name']} is declared twice")
            default = match["default"].strip() if match["default"] is not None else None
            params[match["name"]] = BicepParam(match["name"], match["type"], default, decorators)
        elif body.startswith("resource "):
            match = _RESOURCE.match(body)
            if match is None:
                raise ValueError(f"cannot read the resource declaration: {body.splitlines()[0]}")
            parent = _PARENT.search(body)
            resources[match["symbol"]] = BicepResource(match["symbol"], match["type"], match["version"],
                                                       parent.group(1) if parent else None)
    return BicepFile(params, resources)


# --- the checks ------------------------------------------------------------------------------------------------

DEFAULT_NAME_EXPRESSION = "'{prefix}${{substring(uniqueString(resourceGroup().id), 0, 5)}}'"


def check_resources(bicep: BicepFile, model: tuple[ResourceSpec, ...]) -> list[str]:
    """Every model resource declared once with its api version and parent; nothing else declared."""
    problems: list[str] = []
    declared: dict[str, list[BicepResource]] = {}
    for resource in bicep.resources.values():
        declared.setdefault(resource.type, []).append(resource)
    by_key = {spec.key: spec for spec in model}
    for spec in model:
        found = declared.get(spec.type, [])
        if not found:
            problems.append(f"resource type {spec.type} is in the model but not in the bicep")
            continue
        if len(found) > 1:
            problems.append(f"resource type {spec.type} is declared {len(found)} times in the bicep")
        resource = found[0]
        if resource.api_version != spec.api_version:
            problems.append(f"{spec.type}: the bicep uses api version {resource.api_version}, "
                            f"the model {spec.api_version}")
        parent_type = bicep.resources[resource.parent].type if resource.parent in bicep.resources else resource.parent
        wanted_parent = by_key[spec.parent].type if spec.parent else None
        if parent_type != wanted_parent:
            problems.append(f"{spec.type}: parent is {parent_type} in the bicep, {wanted_parent} in the model")
    modelled = {spec.type for spec in model}
    for resource_type in sorted(set(declared) - modelled):
        problems.append(f"resource type {resource_type} is in the bicep but not in the model")
    return problems


def _model_types(annotation: Any) -> set[str]:
    """The bicep types that can carry a value of this model field (None aside: null means the default)."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_model_types(a) for a in args if a is not type(None)))
    if origin is typing.Annotated:
        return _model_types(args[0])
    if origin is typing.Literal:
        return {"string"} if all(isinstance(a, str) for a in args) else {"?"}
    if origin is list or annotation is list:
        return {"array"}
    # ARM parameters have no fractional number type: a float field cannot be passed by a hand deployment.
    known = {str: {"string"}, int: {"int"}, bool: {"bool"}, dict: {"object"}, float: {"number"}}
    return known.get(annotation, {f"unknown ({annotation})"})


def check_parameters(bicep: BicepFile, model_fields: dict[str, Any]) -> list[str]:
    """Same parameter names as the daemon's parameters model, with types ARM can pass to it."""
    problems: list[str] = []
    names = {(info.alias or name): info for name, info in model_fields.items()}
    for name in sorted(set(names) - set(bicep.params)):
        problems.append(f"parameter {name} is read by the daemon but not declared in the bicep")
    for name in sorted(set(bicep.params) - set(names)):
        problems.append(f"parameter {name} is declared in the bicep but the daemon does not read it")
    for name in sorted(set(names) & set(bicep.params)):
        accepted = _model_types(names[name].annotation)
        if bicep.params[name].type not in accepted:
            problems.append(f"parameter {name} is {bicep.params[name].type} in the bicep but "
                            f"{' or '.join(sorted(accepted))} in the daemon's model")
    return problems


def check_default_names(bicep: BicepFile) -> list[str]:
    """Null names default to the prefixes + uniqueString suffix the daemon computes (workspace/naming.py)."""
    problems: list[str] = []
    for name, field_name in DEFAULT_NAME_PARAMETERS.items():
        param = bicep.params.get(name)
        if param is None:
            continue  # check_parameters / the fine-tuning check report a missing one
        wanted = DEFAULT_NAME_EXPRESSION.format(prefix=PREFIXES[field_name])
        if param.default != wanted:
            problems.append(f"parameter {name} defaults to {param.default} in the bicep; the daemon computes {wanted}")
    return problems


def check_inference_template(text: str) -> list[str]:
    bicep = parse_bicep(text)
    return (check_resources(bicep, INFERENCE_RESOURCES)
            + check_parameters(bicep, InferenceParameters.model_fields)
            + check_default_names(bicep))


# --- the shipped templates agree with the model -----------------------------------------------------------------


def test_inference_bicep_matches_the_daemons_resource_model() -> None:
    assert check_inference_template(INFERENCE_BICEP.read_text(encoding="utf-8")) == []


def test_inference_bicep_declares_what_the_daemon_provisions() -> None:
    bicep = parse_bicep(INFERENCE_BICEP.read_text(encoding="utf-8"))
    declared = {(r.type, r.api_version) for r in bicep.resources.values()}
    assert declared == {
        ("Microsoft.Storage/storageAccounts", "2026-09-01"),
        ("Microsoft.Storage/storageAccounts/fileServices", "2026-09-01"),
        ("Microsoft.Storage/storageAccounts/fileServices/shares", "2026-09-01"),
        ("Microsoft.OperationalInsights/workspaces", "2025-07-01"),
        ("Microsoft.App/managedEnvironments", "2026-07-01"),
        ("Microsoft.App/managedEnvironments/storages", "2026-07-01"),
        ("Microsoft.App/containerApps", "2026-07-01"),
    }
    assert bicep.params["apiKey"].decorators == ["@description('API key for endpointAuth apiKey. Default: a new random "
                                                 "key on every deployment, so pass the existing key when you redeploy "
                                                 "by hand.')", "@secure()"]
    assert bicep.params["maxReplicas"].default == "maximumInstanceCount"
    assert all(any(d.startswith("@description(") for d in p.decorators) for p in bicep.params.values())


def test_inference_bicep_wires_the_contract_names() -> None:
    """Secret, env var, volume, mount and probes as CONTRACTS.md fixes them (also what the daemon sends)."""
    text = INFERENCE_BICEP.read_text(encoding="utf-8")
    for fragment in ("var apiKeySecretName = 'inference-api-key'", "var apiKeyEnvName = 'INFERENCE_API_KEY'",
                     "var containerName = 'inference'", "var volumeName = 'azurefile'", "var mountPath = '/mount'",
                     "storageType: 'AzureFile'", "path: '/health'", "port: targetPort", "external: true",
                     "targetPort: targetPort", "minimumCount: 0", "maximumCount: maximumInstanceCount",
                     "workloadProfileType: 'Consumption'", "join(defaultCommands, ' && ')"):
        assert fragment in text, fragment
    for probe in ("Startup", "Readiness", "Liveness"):
        assert f"type: '{probe}'" in text


def test_fine_tuning_bicep_shares_resources_and_default_names_with_inference() -> None:
    bicep = parse_bicep(FINETUNING_BICEP.read_text(encoding="utf-8"))
    assert check_resources(bicep, FINETUNING_RESOURCES) == []
    missing = [name for name in FINETUNING_PARAMETER_NAMES if name not in bicep.params]
    assert missing == []
    assert check_default_names(bicep) == []
    assert bicep.params["acaJobName"].default == DEFAULT_NAME_EXPRESSION.format(prefix="aiacajob")


@pytest.mark.parametrize(("bicep_path", "parameters_path"), [(INFERENCE_BICEP, INFERENCE_PARAMETERS),
                                                             (FINETUNING_BICEP, FINETUNING_PARAMETERS)],
                         ids=["inference", "finetuning"])
def test_parameters_file_only_names_parameters_its_bicep_declares(bicep_path: Path, parameters_path: Path) -> None:
    # ARM refuses a deployment whose parameters file names a parameter the template lacks.
    raw = json.loads(parameters_path.read_text(encoding="utf-8"))
    assert raw["$schema"].endswith("deploymentParameters.json#") and raw["contentVersion"] == "1.0.0.0"
    assert set(raw["parameters"]) <= set(parse_bicep(bicep_path.read_text(encoding="utf-8")).params)
    assert all(set(entry) == {"value"} for entry in raw["parameters"].values())


def test_shipped_inference_parameters_are_the_contract_defaults() -> None:
    raw = json.loads(INFERENCE_PARAMETERS.read_text(encoding="utf-8"))["parameters"]
    assert raw["defaultCommands"]["value"] == ["cd /mount/inference", "pip install -r requirements.txt",
                                               "python3 app.py"]
    assert all(raw[name]["value"] is None for name in [*DEFAULT_NAME_PARAMETERS, "location"])
    assert "apiKey" not in raw  # a secret never sits in the workspace
    params = load_parameters(ROOT, "infra/provision/inference.parameters.json")
    assert params.endpointAuth == "apiKey" and params.targetPort == 7860 and params.workloadProfileType == "NC24-A100"


def test_management_sdks_send_the_models_api_versions() -> None:
    """The daemon's clients use their SDK's default api version: an SDK upgrade must not move it silently."""
    from azure.mgmt.appcontainers import ContainerAppsAPIClient
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient
    from azure.mgmt.storage import StorageManagementClient

    from aca_inference.azure.credentials import EmulatorCredential

    credential = EmulatorCredential()
    sent = {
        "Microsoft.App": ContainerAppsAPIClient(credential, "sub")._config.api_version,
        "Microsoft.Storage": StorageManagementClient(credential, "sub")._config.api_version,
        "Microsoft.OperationalInsights": LogAnalyticsManagementClient(credential, "sub")._config.api_version,
    }
    assert sent == API_VERSIONS
    assert {spec.provider for spec in INFERENCE_RESOURCES} == set(API_VERSIONS)
    assert all(spec.api_version == API_VERSIONS[spec.provider] for spec in resource_model.FINETUNING_RESOURCES)


# --- the checker notices drift ----------------------------------------------------------------------------------


def _altered(old: str, new: str) -> str:
    text = INFERENCE_BICEP.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


DRIFTS = [
    ("api version", "'Microsoft.App/containerApps@2026-07-01'", "'Microsoft.App/containerApps@2025-01-01'",
     "Microsoft.App/containerApps: the bicep uses api version 2025-01-01, the model 2026-07-01"),
    ("resource type", "'Microsoft.App/containerApps@2026-07-01'", "'Microsoft.App/jobs@2026-07-01'",
     "resource type Microsoft.App/jobs is in the bicep but not in the model"),
    ("missing resource", "'Microsoft.OperationalInsights/workspaces@2025-07-01'",
     "'Microsoft.Insights/components@2020-02-02'",
     "resource type Microsoft.OperationalInsights/workspaces is in the model but not in the bicep"),
    ("parent", "  parent: fileService\n  name: fileShareName", "  parent: storageAccount\n  name: fileShareName",
     "Microsoft.Storage/storageAccounts/fileServices/shares: parent is Microsoft.Storage/storageAccounts in the "
     "bicep, Microsoft.Storage/storageAccounts/fileServices in the model"),
    ("renamed parameter", "param targetPort int = 7860", "param port int = 7860",
     "parameter targetPort is read by the daemon but not declared in the bicep"),
    ("extra parameter", "param targetPort int = 7860", "param targetPort int = 7860\nparam revisionSuffix string = ''",
     "parameter revisionSuffix is declared in the bicep but the daemon does not read it"),
    ("parameter type", "param targetPort int = 7860", "param targetPort string = '7860'",
     "parameter targetPort is string in the bicep but int in the daemon's model"),
    ("default name", "param acaAppName string = 'aiacaapp${", "param acaAppName string = 'aiapp${",
     "parameter acaAppName defaults to 'aiapp${substring(uniqueString(resourceGroup().id), 0, 5)}' in the bicep; "
     "the daemon computes 'aiacaapp${substring(uniqueString(resourceGroup().id), 0, 5)}'"),
]


@pytest.mark.parametrize(("case", "old", "new", "expected"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_checker_reports_a_drifted_template(case: str, old: str, new: str, expected: str) -> None:
    assert expected in check_inference_template(_altered(old, new))


def test_reader_ignores_declarations_inside_comments_and_strings() -> None:
    text = _altered("param targetPort int = 7860",
                    "// param ghost string\n/* resource ghost 'Microsoft.Web/sites@2020-01-01' = {} */\n"
                    "param targetPort int = 7860")
    assert check_inference_template(text) == []


def test_reader_ignores_brackets_inside_strings() -> None:
    text = _altered("@description('Port the app listens on", "@description('Port (( [{ the app listens on")
    assert parse_bicep(text).params["targetPort"].default == "7860"
    assert check_inference_template(text) == []


def test_reader_refuses_unbalanced_brackets() -> None:
    with pytest.raises(ValueError, match="unbalanced"):
        parse_bicep(_altered("    retentionInDays: 30\n  }", "    retentionInDays: 30\n"))
