"""The provision plan: for every resource the bicep describes, what exists and what would change.

Actions: `create` (absent), `update` (differs from the bicep: the property changes are listed), `reuse`
(already as described), `shared` (the fine-tuning project's: read, never changed - except adding the GPU
workload profile to its environment, said in the plan as `add-profile`), `read` (`existing` in the bicep),
`skip` (its `if` condition is false).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import anyio

from ...azure.arm_resources import TERMINAL_STATES, ArmResources, property_at, provisioning_state
from ...errors import InputError
from ...workspace.bicep import EvaluatedResource
from ..reporter import Progress
from .compare import PropertyChange, differences
from .shared import SharedResources

Action = Literal["create", "update", "reuse", "shared", "add-profile", "read", "skip"]
CHANGING: tuple[Action, ...] = ("create", "update", "add-profile")
WAIT_POLL_SECONDS = 5.0

LABELS: dict[str, str] = {
    "microsoft.storage/storageaccounts": "storage account",
    "microsoft.storage/storageaccounts/fileservices": "file service",
    "microsoft.storage/storageaccounts/fileservices/shares": "file share",
    "microsoft.operationalinsights/workspaces": "Log Analytics workspace",
    "microsoft.app/managedenvironments": "Container Apps environment",
    "microsoft.app/managedenvironments/storages": "environment storage",
    "microsoft.app/containerapps": "container app",
}


def label_of(resource_type: str) -> str:
    return LABELS.get(resource_type.lower(), resource_type.rsplit("/", 1)[-1])


@dataclass
class PlannedResource:
    resource: EvaluatedResource
    action: Action = "create"
    changes: list[PropertyChange] = field(default_factory=list)
    current: dict[str, Any] | None = None
    note: str = ""
    status: str = "pending"  # pending | done | failed | skipped

    @property
    def label(self) -> str:
        return label_of(self.resource.type)

    @property
    def name(self) -> str:
        return self.resource.short_name

    @property
    def changing(self) -> bool:
        return self.action in CHANGING

    def describe(self) -> list[str]:
        verb = {"add-profile": "update", "shared": "reuse"}.get(self.action, self.action)
        head = f"{verb:<7} {self.label} {self.name}"
        if self.note:
            head += f" ({self.note})"
        return [head, *(f"          {change.describe()}" for change in self.changes)]

    def row(self) -> dict[str, Any]:
        return {"resource": self.label, "name": self.name, "type": self.resource.type, "action": self.action,
                "changes": [c.describe() for c in self.changes], "note": self.note, "id": self.resource.handle.id,
                "status": self.status}


def _gpu_profile_change(planned: PlannedResource) -> list[dict[str, Any]] | None:
    """For a shared environment: the profile list with the bicep's missing dedicated profiles added, or None."""
    wanted = property_at(planned.resource.body, "workloadProfiles") or []
    have = property_at(planned.current, "workloadProfiles") or []
    names = {str(p.get("name", "")).lower() for p in have}
    missing = [p for p in wanted if isinstance(p, dict) and str(p.get("name", "")).lower() not in names
               and str(p.get("workloadProfileType", "")).lower() != "consumption"]
    return [*have, *missing] if missing else None


def _refuse_consumption_only(planned: PlannedResource) -> None:
    """Azure cannot turn a Consumption-only environment into a workload-profiles one: say so before any change."""
    resource = planned.resource
    if resource.type.lower() != "microsoft.app/managedenvironments":
        return
    wanted = property_at(resource.body, "workloadProfiles")
    have = property_at(planned.current, "workloadProfiles")
    if wanted and not have:
        raise InputError(
            f"The Container Apps environment '{resource.short_name}' is a Consumption-only environment: Azure cannot "
            "add a dedicated GPU workload profile to it after creation. Set `acaEnvironmentName` in "
            "infra/provision/inference.parameters.json to a new name so provision creates a workload-profiles "
            "environment, or use an environment that has workload profiles.")


def choose_action(planned: PlannedResource, shared: SharedResources) -> None:
    """What provision does with this resource (create, update, reuse, read, skip, shared, add-profile), and why."""
    resource, current = planned.resource, planned.current
    if not resource.deployed:
        planned.action = "skip"
        planned.note = "its `if` condition is false"
        return
    if resource.existing:
        if current is None:
            raise InputError(f"{resource.span}: `existing` resource '{resource.symbol}' ({resource.type} "
                             f"{resource.name}) was not found: create it first or correct its name.")
        planned.action = "read"
        return
    if current is None:
        planned.action = "create"
        return
    _refuse_consumption_only(planned)
    changes = differences(resource.body, current)
    if shared.owns(resource):
        planned.action = "shared"
        planned.note = "the fine-tuning project's: left unchanged"
        if resource.type.lower() == "microsoft.app/managedenvironments" and _gpu_profile_change(planned):
            planned.action = "add-profile"
            added = [p for p in _gpu_profile_change(planned) or [] if p not in
                     (property_at(current, "workloadProfiles") or [])]
            planned.note = ("the fine-tuning project's: only adds workload profile " +
                            ", ".join(f"{p.get('name')} ({p.get('workloadProfileType')})" for p in added))
            planned.changes = []
        elif changes:
            planned.note += f"; the bicep differs in {len(changes)} propert{'y' if len(changes) == 1 else 'ies'}"
            planned.changes = changes
        return
    planned.changes = changes
    planned.action = "update" if changes else "reuse"


async def wait_until_settled(arm: ArmResources, planned: PlannedResource, progress: Progress | None,
                             timeout: float = 1800.0) -> None:
    """A resource still being created or updated (e.g. by a provision that was interrupted) is waited for,
    then used: reading it as it is would plan against a half-made resource."""
    deadline = anyio.current_time() + timeout
    resource = planned.resource
    interval = 0.25
    while planned.current is not None and provisioning_state(planned.current).lower() not in TERMINAL_STATES:
        state = provisioning_state(planned.current)
        if progress is not None:
            progress.report(f"Waiting for {planned.label} {planned.name} ({state})")
        if anyio.current_time() >= deadline:
            raise InputError(f"{planned.label} {planned.name} is still {state} after {timeout:.0f}s; wait for it "
                             "in the Azure portal, then run provision again.")
        await anyio.sleep(interval)
        interval = min(interval * 2, WAIT_POLL_SECONDS)
        planned.current = await arm.get(resource.handle.id, resource.api_version)
