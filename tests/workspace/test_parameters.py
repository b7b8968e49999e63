"""The parameters file, bound to our bicep's declarations by ARM's rules: good files evaluate with the
template's defaults; every bad input gets one message naming the file, the JSON path, what was expected and
what was found. (What only Azure checks - e.g. a memory size ACA does not offer - Azure refuses at provision.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aca_inference.workspace.paths import INFERENCE_PARAMETERS
from aca_inference.workspace.problems import WorkspaceInvalid
from aca_inference.workspace.template import NAMES_ONLY, evaluate, load_template
from aca_inference.workspace.validate import validate_workspace
from tests.conftest import write_parameters

DEFAULT_COMMANDS = ["cd /mount/inference", "python3 start.py"]


def load_parameters(root: Path, display: str) -> dict[str, Any]:
    assert display == INFERENCE_PARAMETERS
    return evaluate(load_template(root), NAMES_ONLY).parameters

NULL_NAMES = {name: None for name in ("location", "storageAccountName", "fileShareName", "acaEnvironmentName",
                                      "acaEnvironmentStorageName", "acaAppName", "acaLogAnalyticsName")}


def test_nulls_mean_the_template_defaults(tmp_path: Path) -> None:
    write_parameters(tmp_path, {**NULL_NAMES, "defaultCommands": None, "maximumInstanceCount": None})
    params = load_parameters(tmp_path, INFERENCE_PARAMETERS)
    assert params["defaultCommands"] == DEFAULT_COMMANDS
    assert params["maximumInstanceCount"] == 2 and params["maxReplicas"] == 1  # room for a second release
    assert params["workloadProfileType"] == "Consumption-GPU-NC8as-T4"  # serverless T4 (infra/README.md says why)
    assert (params["workloadProfileName"], params["containerCpu"], params["containerMemory"]) == ("gpu-t4", 8, "56Gi")
    assert params["targetPort"] == 7860
    assert params["endpointAuth"] == "apiKey"
    assert params["minReplicas"] == 0 and params["maxReplicas"] == 1
    assert params["acaAppName"].startswith("aiacaapp")


def test_named_values_are_kept(tmp_path: Path) -> None:
    write_parameters(tmp_path, {"acaAppName": "my-inference", "storageAccountName": "mystore01",
                                "maximumInstanceCount": 3, "endpointAuth": "none",
                                "environmentVariables": [{"name": "HF_HOME", "value": "/mount/hf"}]})
    params = load_parameters(tmp_path, INFERENCE_PARAMETERS)
    assert params["acaAppName"] == "my-inference"
    assert params["maxReplicas"] == 1  # one revision's replicas; the other node is for the next release
    assert params["environmentVariables"][0]["name"] == "HF_HOME"


BAD_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("count as string", {"maximumInstanceCount": "2"}, "parameters.maximumInstanceCount.value", "expected an int"),
    ("count zero", {"maximumInstanceCount": 0}, "parameters.maximumInstanceCount.value", "at least 1 (@minValue)"),
    ("count float", {"maximumInstanceCount": 1.5}, "parameters.maximumInstanceCount.value", "expected an int"),
    ("count bool", {"maximumInstanceCount": True}, "parameters.maximumInstanceCount.value", "expected an int"),
    ("commands not a list", {"defaultCommands": "python app.py"}, "parameters.defaultCommands.value",
     "expected an array"),
    ("storage upper case", {"storageAccountName": "MyStorage"}, "parameters.storageAccountName.value", "lower-case"),
    ("storage too short", {"storageAccountName": "ab"}, "parameters.storageAccountName.value", "3"),
    ("storage too long", {"storageAccountName": "a" * 25}, "parameters.storageAccountName.value", "24"),
    ("storage hyphen", {"storageAccountName": "my-store"}, "parameters.storageAccountName.value", "letters"),
    ("share double hyphen", {"fileShareName": "my--share"}, "parameters.fileShareName.value", "hyphen"),
    ("share ends with hyphen", {"fileShareName": "share-"}, "parameters.fileShareName.value", "hyphen"),
    ("app upper case", {"acaAppName": "MyApp"}, "parameters.acaAppName.value", "lower"),
    ("app too long", {"acaAppName": "a" * 33}, "parameters.acaAppName.value", "32"),
    ("app starts with digit", {"acaAppName": "1app"}, "parameters.acaAppName.value", "letter"),
    ("log analytics too short", {"acaLogAnalyticsName": "ab"}, "parameters.acaLogAnalyticsName.value", "4"),
    ("port out of range", {"targetPort": 70000}, "parameters.targetPort.value", "at most 65535 (@maxValue)"),
    ("auth unknown", {"endpointAuth": "oauth"}, "parameters.endpointAuth.value", 'one of "apiKey", "none"'),
    ("image not a string", {"containerImage": ["x"]}, "parameters.containerImage.value", "expected a string"),
    ("variables not a list", {"environmentVariables": {"X": "1"}}, "parameters.environmentVariables.value",
     "expected an array"),
    ("unknown parameter", {"acaAppNmae": "x"}, "parameters.acaAppNmae", "declares no parameter 'acaAppNmae'"),
]


@pytest.mark.parametrize(("case", "values", "json_path", "expected"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_parameter_values_are_reported_with_file_path_and_found_value(
        tmp_path: Path, case: str, values: dict[str, Any], json_path: str, expected: str) -> None:
    write_parameters(tmp_path, values)
    with pytest.raises(WorkspaceInvalid) as raised:
        load_parameters(tmp_path, INFERENCE_PARAMETERS)
    message = str(raised.value)
    assert INFERENCE_PARAMETERS in message
    assert f"{json_path}:" in message
    assert expected in message
    assert "Traceback" not in message


def test_malformed_json_reports_line_and_column(tmp_path: Path) -> None:
    write_parameters(tmp_path, '{\n  "parameters": {\n    "acaAppName": {"value": "x",}\n  }\n}\n')
    with pytest.raises(WorkspaceInvalid) as raised:
        load_parameters(tmp_path, INFERENCE_PARAMETERS)
    assert f"{INFERENCE_PARAMETERS}:3:" in str(raised.value)
    assert "valid JSON" in str(raised.value)


def test_top_level_not_an_object(tmp_path: Path) -> None:
    write_parameters(tmp_path, "[1, 2]")
    with pytest.raises(WorkspaceInvalid, match=r"expected a JSON object; found list"):
        load_parameters(tmp_path, INFERENCE_PARAMETERS)


def test_parameter_without_value_wrapper(tmp_path: Path) -> None:
    write_parameters(tmp_path, '{"parameters": {"acaAppName": "myapp"}}')
    with pytest.raises(WorkspaceInvalid, match=r'parameters.acaAppName: expected \{"value": \.\.\.\}; found "myapp"'):
        load_parameters(tmp_path, INFERENCE_PARAMETERS)


def test_key_vault_reference_is_explained(tmp_path: Path) -> None:
    write_parameters(tmp_path, '{"parameters": {"apiKey": {"reference": {"keyVault": {"id": "x"}, "secretName": "k"}}}}')
    with pytest.raises(WorkspaceInvalid, match="Key Vault references are not supported"):
        load_parameters(tmp_path, INFERENCE_PARAMETERS)


def test_validation_collects_every_problem_at_once(tmp_path: Path) -> None:
    write_parameters(tmp_path, {"storageAccountName": "Bad_Name", "targetPort": "80", "acaAppName": "-x"})
    problems = validate_workspace(tmp_path)
    assert {p.json_path for p in problems} == {"parameters.storageAccountName.value", "parameters.targetPort.value",
                                               "parameters.acaAppName.value"}


def test_a_wrong_schema_is_a_warning_not_an_error(tmp_path: Path) -> None:
    write_parameters(tmp_path, '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
                               'deploymentTemplate.json#", "parameters": {}}')
    template = load_template(tmp_path)
    assert any("not a deployment parameters schema" in w for w in template.warnings)


def test_missing_parameters_file_says_how_to_create_it(tmp_path: Path) -> None:
    problems = validate_workspace(tmp_path)
    assert len(problems) == 1
    assert "aca-inference init" in str(problems[0])
