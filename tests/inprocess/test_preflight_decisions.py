"""Provision's preflight decisions in milliseconds: which providers a plan needs, which profiles it adds, how
many GPUs of which quota (dedicated nodes; serverless replicas plus the release overlap), whether the caller's
permissions allow its writes, and the container app rules Azure applies to what the bicep evaluates to. One
whole operation runs against the local Azure in this process: declining to register changes nothing."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aca_inference.azure.subscription_checks import Usage
from aca_inference.errors import Cancelled
from aca_inference.ops.provision.plan import PlannedResource
from aca_inference.ops.provision.preflight_decisions import (
    Findings,
    added_profiles,
    denied_actions,
    gpu_needs,
    namespaces_written,
    quota_findings,
)
from aca_inference.workspace.bicep import Deployment
from aca_inference.workspace.template import EvaluatedTemplate, evaluate, load_template
from azure_name_rules.container_app_rules import container_app_violations
from azure_name_rules.permissions import permits
from tests.conftest import write_parameters

SUBSCRIPTION = "00000000-0000-0000-0000-00000000abcd"
ENVIRONMENT = "microsoft.app/managedenvironments"
APP = "microsoft.app/containerapps"
READER = [{"actions": ["*/read"], "notActions": []}]


def _evaluated(root: Path, **parameters: Any) -> EvaluatedTemplate:
    if parameters:
        write_parameters(root, parameters)
    return evaluate(load_template(root), Deployment(SUBSCRIPTION, "rg-preflight", "westus3"))


def _created(evaluated: EvaluatedTemplate) -> list[PlannedResource]:
    return [PlannedResource(r) for r in evaluated.resources if r.deployed]


def _existing(planned: list[PlannedResource]) -> None:
    for item in planned:
        item.current = copy.deepcopy(item.resource.body)
        item.action = "reuse"


def test_a_new_group_needs_all_three_providers_and_a_reused_one_none(tmp_path: Path) -> None:
    planned = _created(_evaluated(tmp_path))
    assert namespaces_written(planned) == ["Microsoft.App", "Microsoft.OperationalInsights", "Microsoft.Storage"]
    _existing(planned)
    assert namespaces_written(planned) == []


def test_only_profiles_the_environment_lacks_are_checked(tmp_path: Path) -> None:
    planned = _created(_evaluated(tmp_path))
    environment = next(p for p in planned if p.resource.type.lower() == ENVIRONMENT)
    assert [p["name"] for p in added_profiles(environment)] == ["Consumption", "gpu-t4"]  # the default: serverless T4
    environment.current = {"properties": {"workloadProfiles": [{"name": "Consumption",
                                                                "workloadProfileType": "Consumption"}]}}
    environment.action = "add-profile"
    assert [p["name"] for p in added_profiles(environment)] == ["gpu-t4"]


def test_a_dedicated_profile_needs_its_maximum_nodes_of_gpus(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path, workloadProfileType="NC48-A100", maximumInstanceCount=3)
    [need] = gpu_needs(_created(evaluated), evaluated, "westus3")
    assert (need.quota, need.gpus, need.overlap) == ("SubscriptionNCA100Gpus", 6.0, 0.0)  # 2 GPUs x 3 nodes
    findings = Findings()
    quota_findings([need], {"westus3": [Usage("SubscriptionNCA100Gpus", current=2, limit=6)]}, findings)
    assert findings.problems and "needs 6 GPU(s)" in findings.problems[0] and "4 free (limit 6, used 2)" in \
        findings.problems[0]
    assert "`maximumInstanceCount` in infra/provision/inference.parameters.json" in findings.problems[0]


def test_serverless_gpus_count_replicas_and_the_overlap_only_warns(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path, workloadProfileType="Consumption-GPU-NC24-A100", maxReplicas=2,
                           containerCpu=24, containerMemory="220Gi")
    [need] = gpu_needs(_created(evaluated), evaluated, "westus3")
    assert (need.quota, need.gpus, need.overlap) == ("SubscriptionConsumptionNCA100Gpus", 2.0, 1.0)
    cases = {3.0: ([], []), 2.0: ([], ["deploys will fall back to a restart"]), 1.0: (["needs 2 GPU(s)"], [])}
    for limit, (problems, warnings) in cases.items():
        findings = Findings()
        quota_findings([need], {"westus3": [Usage("SubscriptionConsumptionNCA100Gpus", 0, limit)]}, findings)
        assert [any(w in p for p in findings.problems) for w in problems] == [True] * len(problems)
        assert [any(w in p for p in findings.warnings) for w in warnings] == [True] * len(warnings)
        assert len(findings.problems) == len(problems) and len(findings.warnings) == len(warnings)


def test_an_existing_app_on_a_serverless_profile_counts_only_its_extra_replicas(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path, workloadProfileType="Consumption-GPU-NC8as-T4", maxReplicas=3,
                           containerCpu=8, containerMemory="56Gi")
    planned = _created(evaluated)
    _existing(planned)
    app = next(p for p in planned if p.resource.type.lower() == APP)
    app.action = "update"
    assert app.current is not None
    app.current["properties"]["template"]["scale"]["maxReplicas"] = 1
    [need] = gpu_needs(planned, evaluated, "westus3")
    assert need.gpus == 2.0  # 3 replicas, 1 already counted in the location's usage


def test_permissions_grant_by_wildcard_minus_not_actions(tmp_path: Path) -> None:
    planned = _created(_evaluated(tmp_path))
    assert denied_actions(planned, [{"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Write"]}]) == []
    assert "Microsoft.App/containerApps/write" in denied_actions(planned, READER)
    only_storage = [{"actions": ["Microsoft.Storage/*"], "notActions": []}]
    assert denied_actions(planned, only_storage + [{"actions": ["microsoft.app/*/write"]}]) == [
        "Microsoft.OperationalInsights/workspaces/write"]
    assert not permits([{"actions": ["*"], "notActions": ["Microsoft.App/*"]}], "Microsoft.App/containerApps/write")


def _app(**template: Any) -> dict[str, Any]:
    container = {"name": "c", "image": "img", "resources": {"cpu": 0.5, "memory": "1Gi"}}
    container.update(template.pop("container", {}))
    return {"template": {"containers": [container], **template}}


@pytest.mark.parametrize(("properties", "profile", "said"), [
    (_app(container={"resources": {"cpu": 0.5, "memory": "2Gi"}}), "Consumption", "memory = 2 x cpu"),
    (_app(container={"resources": {"cpu": 5, "memory": "10Gi"}}), "Consumption", "4 / 8Gi"),
    (_app(container={"resources": {"cpu": 32, "memory": "220Gi"}}), "NC24-A100", "offers 24 cores and 220Gi"),
    (_app(container={"probes": [{"type": "Liveness", "httpGet": {"port": 80}, "periodSeconds": 300}]}), None,
     "periodSeconds must be a whole number from 1 to 240"),
    (_app(container={"probes": [{"type": "Startup", "tcpSocket": {"port": 80}, "successThreshold": 2}]}), None,
     "successThreshold must be 1"),
    (_app(container={"probes": [{"type": "Readiness"}]}), None, "exactly one of httpGet or tcpSocket"),
    (_app(container={"env": [{"name": "A", "secretRef": "missing"}]}), None, "names no secret"),
    (_app(container={"volumeMounts": [{"volumeName": "v", "mountPath": "/m"}]}), None, "names no volume"),
    (_app(volumes=[{"name": "v", "storageType": "AzureFile"}]), None, "needs storageName"),
    (_app(scale={"minReplicas": 0, "maxReplicas": 1001}), None, "from 1 to 1000"),
    (_app(scale={"minReplicas": 11}), None, "Azure's default 10"),
    (_app(container={"command": ["/bin/sh", "-c"], "args": ["  "]}), None, "script is empty"),
])
def test_container_app_rules_refuse_what_azure_refuses(properties: dict[str, Any], profile: str | None,
                                                       said: str) -> None:
    rules = [v.rule for v in container_app_violations(properties, profile, set())]
    assert any(said in rule for rule in rules), rules


def test_the_builtin_template_and_a_consumption_pair_pass_the_rules(tmp_path: Path) -> None:
    _evaluated(tmp_path)  # evaluate() raises on any broken rule
    assert container_app_violations(_app(container={"resources": {"cpu": 1.25, "memory": "2.5Gi"}}),
                                    "Consumption", set()) == []


@pytest.fixture(scope="module")
def arm_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from aca_emulator.testing import running_emulator

    with running_emulator(tmp_path_factory.mktemp("emulator"), time_scale=0.002, run_apps=False) as info:
        yield info


async def test_declining_to_register_cancels_with_nothing_written(tmp_path: Path, arm_only: Any) -> None:
    from aca_inference.ops.context import OperationContext, TargetSettings
    from aca_inference.ops.provision.run import ProvisionRequest, provision
    from tests.fakes.reporter import RecordingReporter
    from tests.provision.arm import ArmProbe

    arm = ArmProbe(arm_only)
    group = f"rg-{uuid.uuid4().hex[:8]}"
    arm.ensure_group(group)
    arm.set_subscription_state(unregistered_providers=["Microsoft.App"])
    reporter = RecordingReporter(interactive=True, confirm_answers=[False])
    context = OperationContext(root=tmp_path, reporter=reporter,
                               target=TargetSettings(kind="local", emulator_data_dir=Path(arm_only.data_dir)))
    mark = arm.mark()
    with pytest.raises(Cancelled, match="Microsoft.App not registered; nothing was changed"):
        await provision(context, ProvisionRequest(subscription=arm_only.subscription_id, resource_group=group))
    assert arm.writes_since(mark) == []
    assert not [r for r in arm.requests_since(mark) if r["path"].endswith("/register")]
