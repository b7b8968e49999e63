"""`infra/provision/inference.parameters.json`: the ARM deployment-parameters file the user edits.

ARM format: {"$schema", "contentVersion", "parameters": {"<name>": {"value": ...}}}; a `null` value (or a
missing parameter) means "the template's default". The names are the bicep's `param` names; the bicep
drift test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .json_file import read_json_object
from .naming import ResourceKind, check_name
from .problems import Problem, WorkspaceInvalid, describe

DEFAULT_COMMANDS = ["cd /mount/inference", "pip install -r requirements.txt", "python3 app.py"]
DEFAULT_IMAGE = "mcr.microsoft.com/azureml/curated/acft-hf-nlp-gpu:latest"

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class EnvironmentVariable(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: EnvName
    value: str


class InferenceParameters(BaseModel):
    """Parameter values after applying defaults that need no Azure knowledge. Names are resolved later
    (they depend on the resource group and the fine-tuning files)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    defaultCommands: list[str] = Field(default_factory=lambda: list(DEFAULT_COMMANDS), min_length=1)
    maximumInstanceCount: int = Field(default=1, ge=1, le=1000)
    location: str | None = None
    storageAccountName: str | None = None
    fileShareName: str | None = None
    acaEnvironmentName: str | None = None
    acaEnvironmentStorageName: str | None = None
    acaAppName: str | None = None
    acaLogAnalyticsName: str | None = None
    workloadProfileName: str = Field(default="GPU", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,14}$")
    workloadProfileType: str = "NC24-A100"
    containerImage: str = DEFAULT_IMAGE
    containerCpu: int = Field(default=24, ge=1, le=96)  # ARM int: the bicep has no fractional type
    containerMemory: str = Field(default="220Gi", pattern=r"^\d+(\.\d+)?Gi$")
    targetPort: int = Field(default=7860, ge=1, le=65535)
    minReplicas: int = Field(default=0, ge=0, le=1000)
    maxReplicas: int | None = Field(default=None, ge=1, le=1000)
    environmentVariables: list[EnvironmentVariable] = Field(default_factory=list)
    endpointAuth: Literal["apiKey", "none"] = "apiKey"
    apiKey: str | None = None

    @property
    def effective_max_replicas(self) -> int:
        return self.maxReplicas if self.maxReplicas is not None else self.maximumInstanceCount


PARAMETER_NAMES: tuple[str, ...] = tuple(InferenceParameters.model_fields)

# Which parameter names which Azure resource, for the naming rules.
NAME_PARAMETERS: dict[str, ResourceKind] = {
    "storageAccountName": ResourceKind.storage_account,
    "fileShareName": ResourceKind.file_share,
    "acaEnvironmentName": ResourceKind.managed_environment,
    "acaEnvironmentStorageName": ResourceKind.environment_storage,
    "acaAppName": ResourceKind.container_app,
    "acaLogAnalyticsName": ResourceKind.log_analytics_workspace,
}


def _json_path(loc: tuple[Any, ...]) -> str:
    name, *rest = loc
    path = f"parameters.{name}.value"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _expected(error: Any) -> str:
    msg = str(error["msg"])
    return "expected " + msg[0].lower() + msg[1:] if msg.startswith("Input should") else msg


def parse_parameters(raw: dict[str, Any], display: str) -> tuple[InferenceParameters | None, list[Problem]]:
    """Check the ARM envelope, every value's type and every name; collect all problems at once."""
    problems: list[Problem] = []
    params = raw.get("parameters")
    if params is None:
        return None, [Problem(display, "parameters", 'expected an object {"<name>": {"value": ...}}', "nothing")]
    if not isinstance(params, dict):
        return None, [Problem(display, "parameters", "expected an object", describe(params))]
    content_version = raw.get("contentVersion")
    if content_version is not None and not isinstance(content_version, str):
        problems.append(Problem(display, "contentVersion", 'expected a string such as "1.0.0.0"', describe(content_version)))

    values: dict[str, Any] = {}
    for name, entry in params.items():
        if name not in InferenceParameters.model_fields:
            known = ", ".join(PARAMETER_NAMES)
            problems.append(Problem(display, f"parameters.{name}", f"unknown parameter (known: {known})", None))
            continue
        if not isinstance(entry, dict) or ("value" not in entry and "reference" not in entry):
            problems.append(Problem(display, f"parameters.{name}", 'expected {"value": ...}', describe(entry)))
            continue
        if "reference" in entry:
            problems.append(Problem(display, f"parameters.{name}.reference",
                                    "Key Vault references are not supported here; put the value in \"value\"", None))
            continue
        if entry["value"] is not None:
            values[name] = entry["value"]

    # Names are checked on the raw values, so one run reports type errors and name errors together.
    for name, kind in NAME_PARAMETERS.items():
        value = values.get(name)
        if isinstance(value, str) and (rule := check_name(kind, value)) is not None:
            problems.append(Problem(display, f"parameters.{name}.value", rule, describe(value)))
    try:
        model = InferenceParameters.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            found = describe(error["input"]) if error["type"] != "missing" else None
            problems.append(Problem(display, _json_path(error["loc"]), _expected(error), found))
        return None, problems

    if model.maxReplicas is not None and model.minReplicas > model.maxReplicas:
        problems.append(Problem(display, "parameters.minReplicas.value",
                                f"expected at most maxReplicas ({model.maxReplicas})", describe(model.minReplicas)))
    return (model if not problems else None), problems


def load_parameters(root: Path, display: str) -> InferenceParameters:
    model, problems = parse_parameters(read_json_object(root / display, display), display)
    if problems or model is None:
        raise WorkspaceInvalid(problems)
    return model
