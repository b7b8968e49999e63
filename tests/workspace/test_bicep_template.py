"""The workspace's bicep evaluated as ARM would: the AI Toolkit-shaped fixture gives exactly the resources it
describes, with its names, dependencies and runtime values known only after deployment."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from aca_inference.workspace.bicep import (
    UNKNOWN,
    Deployment,
    Evaluator,
    ResourceHandle,
    Secret,
    deployment_order,
    masked,
    parse_bicep,
)
from aca_inference.workspace.naming import default_names
from aca_inference.workspace.problems import WorkspaceInvalid
from aca_inference.workspace.template import evaluate, load_template

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aitoolkit_project"
DEPLOYMENT = Deployment("11111111-2222-3333-4444-555555555555", "rg-finetune", "westus3")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "project")
    return tmp_path / "project"


def test_the_ai_toolkit_template_gives_exactly_its_resources(project: Path) -> None:
    evaluated = evaluate(load_template(project), DEPLOYMENT)
    names = default_names(DEPLOYMENT.resource_group_id)
    assert [(r.type, r.api_version, r.name) for r in evaluated.resources] == [
        ("Microsoft.Storage/storageAccounts", "2023-01-01", names.storage_account),
        ("Microsoft.Storage/storageAccounts/fileServices", "2023-01-01", f"{names.storage_account}/default"),
        ("Microsoft.Storage/storageAccounts/fileServices/shares", "2023-01-01",
         f"{names.storage_account}/default/{names.file_share}"),
        ("Microsoft.OperationalInsights/workspaces", "2022-10-01", names.log_analytics_workspace),
        ("Microsoft.App/managedEnvironments", "2023-11-02-preview", names.managed_environment),
        ("Microsoft.App/managedEnvironments/storages", "2023-11-02-preview",
         f"{names.managed_environment}/{names.environment_storage}"),
        ("Microsoft.App/containerApps", "2023-11-02-preview", names.container_app),
    ]
    app = evaluated.resources[-1]
    container = app.body["properties"]["template"]["containers"][0]
    assert container["image"] == "docker.io/pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime"
    assert container["command"] == ["/bin/bash", "-c", "cd /mount; pip install -r ./setup/requirements.txt; "
                                    "cd /mount/inference; pip install -r ./requirements.txt; python3 ./gradio_chat.py"]
    startup = next(p for p in container["probes"] if p["type"] == "Startup")
    assert (startup["httpGet"]["path"], startup["initialDelaySeconds"], startup["periodSeconds"],
            startup["failureThreshold"]) == ("/", 60, 120, 10)
    assert app.body["properties"]["template"]["scale"] == {"minReplicas": 1, "maxReplicas": 1, "rules": None}
    assert app.body["properties"]["environmentId"] == evaluated.resources[4].handle.id
    assert container["volumeMounts"] == [{"volumeName": f"{names.file_share}volume", "mountPath": "/mount"}]
    assert app.depends_on == {"managedEnv", "managedEnvStorage"}
    assert evaluated.resources[5].depends_on == {"managedEnv", "storageAccount", "share"}


def test_runtime_values_are_unknown_before_deployment_and_secret_after(project: Path) -> None:
    evaluated = evaluate(load_template(project), DEPLOYMENT)
    env_storage = evaluated.resources[5].body["properties"]["azureFile"]
    assert env_storage["accountKey"] is UNKNOWN
    assert env_storage["shareName"] == default_names(DEPLOYMENT.resource_group_id).file_share

    class Deployed:
        def reference(self, resource: ResourceHandle) -> Any:
            return {"properties": {"customerId": "cid", "configuration": {"ingress": {"fqdn": "app.example.io"}}}}

        def invoke(self, resource: ResourceHandle, function: str) -> Any:
            return {"keys": [{"value": "account-key-1"}], "primarySharedKey": "log-key"}

    after = Evaluator(evaluated.template.file, DEPLOYMENT, evaluated.parameters, Deployed())
    resources = after.resources()
    key = resources[5].body["properties"]["azureFile"]["accountKey"]
    assert isinstance(key, Secret) and key.value == "account-key-1"
    assert "account-key-1" not in repr(masked(resources[5].body)) and "log-key" not in str(masked(resources[4].body))
    assert after.outputs()["ACA_APP_ENDPOINT"] == "app.example.io"
    assert after.outputs()["FILE_SHARE_NAME"] == default_names(DEPLOYMENT.resource_group_id).file_share


def test_dependencies_come_first() -> None:
    file = parse_bicep("resource b 'A.B/c@2024-01-01' = {\n  name: a.name\n}\nresource a 'A.B/c@2024-01-01' = {\n"
                       "  name: 'x'\n}\n", "t.bicep")
    evaluator = Evaluator(file, DEPLOYMENT, {})
    order = [r.symbol for r in deployment_order(evaluator.resources())]
    assert order == ["a", "b"]


@pytest.mark.parametrize(("expression", "expected"), [
    ("p == 'apiKey' ? 'yes' : 'no'", "yes"),
    ("!false && true || false", True),
    ("1 + 2 * 3 - 8 / 3 % 2", 7),
    ("'a${p}b${substring(uniqueString('x'), 0, 0)}c'", "aapiKeybc"),
    ("join(['a', 'b'], '; ')", "a; b"),
    ("concat(['a'], ['b'])", ["a", "b"]),
    ("toLower('ABC') =~ 'abc'", True),
    ("o.inner.?missing ?? 'fallback'", "fallback"),
    ("o['inner'].list[1]", 2),
    ("length(o.inner.list) > 1", True),
    ("resourceGroup().name", "rg-finetune"),
    ("subscription().subscriptionId", "11111111-2222-3333-4444-555555555555"),
    ("string(3)", "3"),
    ("contains(o, 'INNER')", True),
])
def test_expressions_follow_arm(expression: str, expected: Any) -> None:
    source = (f"param p string = 'apiKey'\nparam o object = {{\n  inner: {{\n    list: [\n      1\n      2\n    ]\n  }}\n}}\n"
              f"output x {type_of(expected)} = {expression}\n")
    evaluator = Evaluator(parse_bicep(source, "t.bicep"), DEPLOYMENT, {})
    assert evaluator.outputs()["x"] == expected


def type_of(value: Any) -> str:
    return {bool: "bool", int: "int", str: "string", list: "array"}[type(value)]


def test_unique_string_matches_arm_for_the_default_names() -> None:
    evaluator = Evaluator(parse_bicep("output s string = substring(uniqueString(resourceGroup().id), 0, 5)\n",
                                      "t.bicep"), DEPLOYMENT, {})
    assert "aistorage" + evaluator.outputs()["s"] == default_names(DEPLOYMENT.resource_group_id).storage_account


def test_our_own_template_evaluates_with_an_empty_workspace(tmp_path: Path) -> None:
    evaluated = evaluate(load_template(tmp_path), DEPLOYMENT)
    assert evaluated.template.builtin
    app = evaluated.of_type("Microsoft.App/containerApps")[0]
    secrets = app.body["properties"]["configuration"]["secrets"]
    assert secrets[0]["name"] == "inference-api-key" and isinstance(secrets[0]["value"], Secret)
    assert secrets[0]["value"].generated  # newGuid(): an existing key is kept instead
    startup = next(p for p in app.body["properties"]["template"]["containers"][0]["probes"] if p["type"] == "Startup")
    # Within ACA's limits, and long enough for a GPU cold start (stated in the bicep).
    assert startup["initialDelaySeconds"] <= 60 and startup["periodSeconds"] <= 240 and startup["failureThreshold"] <= 10
    assert startup["initialDelaySeconds"] + startup["periodSeconds"] * startup["failureThreshold"] >= 600


def test_parameters_follow_arm_rules(project: Path) -> None:
    params = project / "infra" / "provision" / "inference.parameters.json"
    text = params.read_text()
    params.write_text(text.replace('"maximumInstanceCount": {\n      "value": 1\n    }',
                                   '"maximumInstanceCount": {\n      "value": "one"\n    },\n'
                                   '    "notInTheBicep": {\n      "value": 1\n    }'))
    with pytest.raises(WorkspaceInvalid) as failure:
        load_template(project)
    message = str(failure.value)
    assert "parameters.maximumInstanceCount.value: expected an int" in message
    assert "declares no parameter 'notInTheBicep'" in message
    params.write_text(text.replace('"defaultCommands": {', '"defaultCommandsX": {'))
    with pytest.raises(WorkspaceInvalid) as failure:
        load_template(project)
    assert "parameters.defaultCommands.value: a value (array)" in str(failure.value)
    assert "without a default" in str(failure.value)


def test_an_invalid_name_points_at_the_parameter(project: Path) -> None:
    params = project / "infra" / "provision" / "inference.parameters.json"
    params.write_text(params.read_text().replace('"storageAccountName": {\n      "value": null',
                                                 '"storageAccountName": {\n      "value": "Bad_Name"'))
    with pytest.raises(WorkspaceInvalid) as failure:
        evaluate(load_template(project), DEPLOYMENT)
    assert "infra/provision/inference.parameters.json: parameters.storageAccountName.value" in str(failure.value)


def test_parse_and_evaluate_the_template_well_within_100_ms(project: Path) -> None:
    load_template(project)  # warm: the grammar is loaded once per process
    started = time.perf_counter()
    for _ in range(10):
        evaluate(load_template(project), DEPLOYMENT)
    assert (time.perf_counter() - started) / 10 < 0.1
