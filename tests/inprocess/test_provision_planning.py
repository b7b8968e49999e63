"""Provision planning in-process: the built-in bicep evaluated for a resource group, each resource read from a
fake of the one ARM door (`azure/arm_resources.ArmResources`: get by id), and the action chosen for it - create,
reuse, update with the property changes, the fine-tuning project's left alone, a GPU profile added - with the
GPU cost the plan shows. No emulator, no subprocess: these run in milliseconds; the end-to-end provision tests
(tests/provision/) run the same code against the local Azure."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from aca_inference.errors import InputError, OperationFailed
from aca_inference.ops.provision.plan import PlannedResource
from aca_inference.ops.provision.run import gpu_costs, plan_resources
from aca_inference.ops.provision.shared import SharedResources, parameter_defaults, shared_resources
from aca_inference.workspace.bicep import Deployment
from aca_inference.workspace.finetuning import FinetuningDefaults
from aca_inference.workspace.template import EvaluatedTemplate, evaluate, load_template

SUBSCRIPTION = "00000000-0000-0000-0000-00000000abcd"
GROUP = "rg-plan"
APP = "microsoft.app/containerapps"
ENVIRONMENT = "microsoft.app/managedenvironments"


class FakeArm:
    """What ARM holds, by resource id; `get` answers as ArmResources.get does (None when absent). A resource
    may answer a few reads as still being provisioned, then as done."""

    def __init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = {}
        self.settling: dict[str, int] = {}
        self.refuse: dict[str, Exception] = {}
        self.reads: list[str] = []

    async def get(self, resource_id: str, api_version: str) -> dict[str, Any] | None:
        key = resource_id.lower()
        self.reads.append(key)
        if key in self.refuse:
            raise self.refuse[key]
        found = self.resources.get(key)
        if found is None:
            return None
        found = copy.deepcopy(found)
        if self.settling.get(key):
            self.settling[key] -= 1
            found.setdefault("properties", {})["provisioningState"] = "Updating"
        return found


class FakeSession:
    def __init__(self, arm: FakeArm) -> None:
        self._arm = arm

    def arm(self, subscription_id: str) -> FakeArm:
        assert subscription_id == SUBSCRIPTION
        return self._arm


def _evaluated(tmp_path: Path, finetuning: FinetuningDefaults | None = None) -> EvaluatedTemplate:
    template = load_template(tmp_path)  # no infra/ in the folder: the built-in template
    return evaluate(template, Deployment(SUBSCRIPTION, GROUP, "westus3"),
                    defaults=parameter_defaults(finetuning or FinetuningDefaults(), same_place=True))


def _as_deployed(evaluated: EvaluatedTemplate, arm: FakeArm) -> None:
    """Every resource exists exactly as the bicep describes it (what a finished provision leaves)."""
    for resource in evaluated.resources:
        if resource.deployed:
            body = copy.deepcopy(resource.body)
            body.setdefault("properties", {})["provisioningState"] = "Succeeded"
            arm.resources[resource.handle.id.lower()] = body


def _of(planned: list[PlannedResource], resource_type: str) -> PlannedResource:
    return next(p for p in planned if p.resource.type.lower() == resource_type)


async def _plan(evaluated: EvaluatedTemplate, arm: FakeArm,
                shared: SharedResources | None = None) -> list[PlannedResource]:
    return await plan_resources(evaluated, FakeSession(arm), shared or SharedResources())


async def test_an_empty_resource_group_plans_every_resource_as_created_with_the_gpu_cost(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    planned = await _plan(evaluated, FakeArm())
    assert {p.action for p in planned if p.resource.deployed} == {"create"}
    app = _of(planned, APP)
    assert app.describe()[0].startswith(f"create  container app {app.name}")
    [cost] = gpu_costs(evaluated, planned)
    # our template: minReplicas 0 on a priced serverless GPU profile, billed per second of use
    assert cost.scales_to_zero and cost.serverless and cost.per_second
    assert any("Scales to zero: no GPU is billed while the app is idle" in line for line in cost.lines())


async def test_what_exists_as_described_is_reused_and_nothing_changes(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    planned = await _plan(evaluated, arm)
    assert {p.action for p in planned if p.resource.deployed} == {"reuse"}
    assert not [p for p in planned if p.changing]


async def test_a_property_that_differs_is_planned_as_an_update_naming_the_change(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    app = next(r for r in evaluated.resources if r.type.lower() == APP)
    arm.resources[app.handle.id.lower()]["properties"]["template"]["scale"]["maxReplicas"] = 4
    planned = _of(await _plan(evaluated, arm), APP)
    assert planned.action == "update"
    assert [c.describe() for c in planned.changes] == [
        f"properties.template.scale.maxReplicas: 4 -> {app.body['properties']['template']['scale']['maxReplicas']}"]


async def test_what_azure_normalised_from_an_unchanged_bicep_is_reused_not_updated(tmp_path: Path) -> None:
    """Azure answers with what it made of the body (recorded in ../shared/azure-recordings): quantities rewritten,
    numbers sent as text read as numbers, the ephemeral storage it assigns, enum casing, the defaults it fills."""
    evaluated = _evaluated(tmp_path)
    app = next(r for r in evaluated.resources if r.type.lower() == APP)
    properties = app.body["properties"]
    container = properties["template"]["containers"][0]
    container["resources"] = {"cpu": "0.5", "memory": "1.0Gi", "ephemeralStorage": "1Gi"}
    properties["configuration"]["activeRevisionsMode"] = "single"
    properties["template"]["scale"]["maxReplicas"] = "3"
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    held = arm.resources[app.handle.id.lower()]["properties"]
    held["template"]["containers"][0].update(resources={"cpu": 0.5, "memory": "1Gi", "ephemeralStorage": "2Gi"},
                                             imageType="ContainerImage", probes=held["template"]["containers"][0].get(
                                                 "probes") or [])
    held["configuration"].update(activeRevisionsMode="Single", dapr=None, registries=None, service=None)
    held["template"]["scale"].update(maxReplicas=3, rules=None)
    held["patchingMode"] = "Automatic"
    planned = _of(await _plan(evaluated, arm), APP)
    assert planned.action == "reuse" and planned.changes == []
    # What Azure did not assign still counts: a memory that is really different is an update.
    held["template"]["containers"][0]["resources"]["memory"] = "2Gi"
    planned = _of(await _plan(evaluated, arm), APP)
    assert [c.describe() for c in planned.changes] == [
        'properties.template.containers[0].resources.memory: "2Gi" -> "1.0Gi"']


async def test_a_resource_still_being_provisioned_is_waited_for_then_planned(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    app = next(r for r in evaluated.resources if r.type.lower() == APP)
    arm.settling[app.handle.id.lower()] = 1  # an interrupted provision left it Updating
    planned = _of(await _plan(evaluated, arm), APP)
    assert planned.action == "reuse"
    assert arm.reads.count(app.handle.id.lower()) == 2


def _finetuning_place(evaluated: EvaluatedTemplate) -> tuple[FinetuningDefaults, SharedResources]:
    environment = next(r for r in evaluated.resources if r.type.lower() == ENVIRONMENT)
    storage = next(r for r in evaluated.resources if r.type.lower() == "microsoft.storage/storageaccounts")
    finetuning = FinetuningDefaults(subscription_id=SUBSCRIPTION, resource_group=GROUP,
                                    storage_account=storage.short_name, managed_environment=environment.short_name)
    return finetuning, shared_resources(finetuning, True, evaluated.deployment.resource_group_id, True)


async def test_the_fine_tuning_projects_resources_are_left_unchanged_even_where_the_bicep_differs(
        tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    finetuning, shared = _finetuning_place(evaluated)
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    storage = next(r for r in evaluated.resources if r.type.lower() == "microsoft.storage/storageaccounts")
    arm.resources[storage.handle.id.lower()]["sku"] = {"name": "Standard_GRS"}
    planned = await _plan(evaluated, arm, shared)
    account = _of(planned, "microsoft.storage/storageaccounts")
    assert account.action == "shared" and not account.changing
    assert account.note == "the fine-tuning project's: left unchanged; the bicep differs in 1 property"
    assert account.describe()[0].startswith(f"reuse   storage account {storage.short_name} (the fine-tuning")


async def test_a_shared_environment_without_the_gpu_profile_only_gets_the_profile_added(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    _, shared = _finetuning_place(evaluated)
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    environment = next(r for r in evaluated.resources if r.type.lower() == ENVIRONMENT)
    held = arm.resources[environment.handle.id.lower()]["properties"]
    held["workloadProfiles"] = [p for p in held["workloadProfiles"] if p["workloadProfileType"] == "Consumption"]
    planned = _of(await _plan(evaluated, arm, shared), ENVIRONMENT)
    gpu = next(p for p in environment.body["properties"]["workloadProfiles"] if p["workloadProfileType"] != "Consumption")
    assert planned.action == "add-profile" and planned.changing and planned.changes == []
    assert planned.note == (f"the fine-tuning project's: only adds workload profile {gpu['name']} "
                            f"({gpu['workloadProfileType']})")


async def test_a_consumption_only_environment_is_refused_before_any_change_with_the_fix(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    environment = next(r for r in evaluated.resources if r.type.lower() == ENVIRONMENT)
    del arm.resources[environment.handle.id.lower()]["properties"]["workloadProfiles"]
    with pytest.raises(InputError) as refused:
        await _plan(evaluated, arm)
    assert f"'{environment.short_name}' is a Consumption-only environment" in str(refused.value)
    assert "Set `acaEnvironmentName` in infra/provision/inference.parameters.json to a new name" in str(refused.value)


async def test_a_fine_tuning_mount_of_another_share_is_refused_naming_the_file_to_correct(tmp_path: Path) -> None:
    evaluated = _evaluated(tmp_path)
    _, shared = _finetuning_place(evaluated)
    arm = FakeArm()
    _as_deployed(evaluated, arm)
    mount = next(r for r in evaluated.resources if r.type.lower() == "microsoft.app/managedenvironments/storages")
    shared.names[(mount.type.lower(), mount.short_name.lower())] = "environment_storage"
    arm.resources[mount.handle.id.lower()]["properties"]["azureFile"]["shareName"] = "finetuning-share"
    with pytest.raises(InputError) as refused:
        await _plan(evaluated, arm, shared)
    message = str(refused.value)
    assert "infra/finetuning.config.json: FILE_SHARE_NAME names" in message
    assert "mounts shareName 'finetuning-share'" in message and "Nothing was changed." in message


async def test_azures_refusal_to_read_becomes_one_message_with_the_fix(tmp_path: Path) -> None:
    from azure.core.exceptions import HttpResponseError

    evaluated = _evaluated(tmp_path)
    arm = FakeArm()
    storage = next(r for r in evaluated.resources if r.type.lower() == "microsoft.storage/storageaccounts")
    refusal = HttpResponseError(message="The client does not have authorization to perform action")
    refusal.error_code = "AuthorizationFailed"  # type: ignore[attr-defined]
    arm.refuse[storage.handle.id.lower()] = refusal
    with pytest.raises(OperationFailed) as failed:
        await _plan(evaluated, arm)
    message = str(failed.value)
    assert f"reading storage account {storage.short_name}" in message
    assert "ask for the Contributor role on the resource group" in message
