"""Reading the container app's live state through ARM: active revision, replicas, logs, secrets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...azure.arm_resources import as_arm_json
from ...azure.errors import azure_error, is_not_found
from ...azure.session import AzureSession
from ...errors import InputError
from ...workspace.paths import INFERENCE_CONFIG


@dataclass(frozen=True)
class AppRef:
    subscription_id: str
    resource_group: str
    name: str


@dataclass(frozen=True)
class ReplicaState:
    name: str
    running_state: str
    created: datetime | None
    restart_count: int
    ready: bool


@dataclass(frozen=True)
class RevisionState:
    name: str
    running_state: str
    health_state: str
    replicas: list[ReplicaState]


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


async def get_app(session: AzureSession, ref: AppRef) -> dict[str, Any]:
    client = session.container_apps(ref.subscription_id)
    return as_arm_json(await client.container_apps.get(ref.resource_group, ref.name))


async def app_secrets(session: AzureSession, ref: AppRef) -> dict[str, str]:
    client = session.container_apps(ref.subscription_id)
    listed = as_arm_json(await client.container_apps.list_secrets(ref.resource_group, ref.name))
    return {s["name"]: s["value"] for s in listed.get("value", []) if "value" in s}


def latest_revision(app: dict[str, Any]) -> str | None:
    properties = app.get("properties") or {}
    return properties.get("latestReadyRevisionName") or properties.get("latestRevisionName")


async def revision_state(session: AzureSession, ref: AppRef, revision: str) -> RevisionState:
    client = session.container_apps(ref.subscription_id)
    data = as_arm_json(await client.container_apps_revisions.get_revision(ref.resource_group, ref.name, revision))
    properties = data.get("properties") or {}
    replicas_page = as_arm_json(await client.container_apps_revision_replicas.list_replicas(ref.resource_group, ref.name,
                                                                                     revision))
    replicas = []
    for replica in replicas_page.get("value", []):
        rp = replica.get("properties") or {}
        containers = rp.get("containers") or []
        replicas.append(ReplicaState(
            name=replica.get("name", ""), running_state=str(rp.get("runningState", "")),
            created=_parse_time(rp.get("createdTime")),
            restart_count=max((int(c.get("restartCount") or 0) for c in containers), default=0),
            ready=all(bool(c.get("ready")) for c in containers) if containers else False))
    return RevisionState(name=revision, running_state=str(properties.get("runningState", "")),
                         health_state=str(properties.get("healthState", "")), replicas=replicas)


async def account_key(session: AzureSession, subscription: str, group: str, account: str) -> str:
    try:
        keys = as_arm_json(await session.storage(subscription).storage_accounts.list_keys(group, account))
    except Exception as error:
        if is_not_found(error):
            raise InputError(f"{INFERENCE_CONFIG}: STORAGE_ACCOUNT_NAME: storage account '{account}' was not found in "
                             f"resource group '{group}'; run provision or correct the value.") from None
        raise azure_error(error, f"reading the keys of storage account {account}") from None
    return str(keys["keys"][0]["value"])
