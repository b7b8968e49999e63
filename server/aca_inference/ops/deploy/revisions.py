"""The app's revisions as releases see them: which release each runs (its INFERENCE_RELEASE), which one serves
(the traffic), and the ARM calls a release rollout is made of - a new revision pinned at 0 %, the traffic moved
in one call, activation and deactivation."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ...azure.arm_resources import as_arm_json
from ...azure.session import AzureSession
from ...sync.releases import LAUNCHER_PATH, RELEASE_ENV
from ...workspace.bicep import reveal
from .app_state import AppRef, app_secrets


@dataclass(frozen=True)
class RevisionInfo:
    name: str
    active: bool
    traffic_weight: int
    release: str | None  # the release it runs, or None (not a release revision)
    created: str
    fqdn: str | None
    running_state: str
    health_state: str


def _containers(template: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [c for c in (template or {}).get("containers") or [] if isinstance(c, dict)]


def runs_launcher(template: dict[str, Any] | None) -> bool:
    """The app starts through the release launcher: a new revision can run any release."""
    return any(LAUNCHER_PATH in str(part) for c in _containers(template)
               for part in [*(c.get("command") or []), *(c.get("args") or [])])


def release_of(template: dict[str, Any] | None) -> str | None:
    for container in _containers(template):
        for variable in container.get("env") or []:
            if isinstance(variable, dict) and variable.get("name") == RELEASE_ENV and variable.get("value"):
                return str(variable["value"])
    return None


def with_release(template: dict[str, Any], release: str | None) -> dict[str, Any]:
    """The template with INFERENCE_RELEASE set (or removed, for None) on the containers that run the launcher."""
    result = copy.deepcopy(template)
    for container in _containers(result):
        if not runs_launcher({"containers": [container]}):
            continue
        env = [v for v in container.get("env") or [] if not (isinstance(v, dict) and v.get("name") == RELEASE_ENV)]
        if release:
            env.append({"name": RELEASE_ENV, "value": release})
        container["env"] = env
    return result


async def list_revisions(session: AzureSession, ref: AppRef) -> list[RevisionInfo]:
    client = session.container_apps(ref.subscription_id)
    found = []
    async for item in client.container_apps_revisions.list_revisions(ref.resource_group, ref.name):
        revision = as_arm_json(item)
        properties = revision.get("properties") or {}
        found.append(RevisionInfo(
            name=str(revision.get("name")), active=bool(properties.get("active")),
            traffic_weight=int(properties.get("trafficWeight") or 0), release=release_of(properties.get("template")),
            created=str(properties.get("createdTime") or ""), fqdn=properties.get("fqdn") or None,
            running_state=str(properties.get("runningState") or ""),
            health_state=str(properties.get("healthState") or "")))
    return sorted(found, key=lambda r: r.created)


def serving(revisions: list[RevisionInfo]) -> RevisionInfo | None:
    """The revision the endpoint sends (most of) its traffic to."""
    weighted = [r for r in revisions if r.active and r.traffic_weight > 0]
    return max(weighted, key=lambda r: (r.traffic_weight, r.created)) if weighted else None


async def _put_app(session: AzureSession, ref: AppRef, app: dict[str, Any], template: dict[str, Any],
                   traffic: list[dict[str, Any]] | None) -> dict[str, Any]:
    properties = app.get("properties") or {}
    configuration = copy.deepcopy(properties.get("configuration") or {})
    # ACA replaces the secret list on PUT: send the existing values back so the API key stays the same.
    configuration["secrets"] = [{"name": n, "value": v} for n, v in (await app_secrets(session, ref)).items()]
    for read_only in ("fqdn",):
        (configuration.get("ingress") or {}).pop(read_only, None)
    if traffic is not None and configuration.get("ingress") is not None:
        configuration["ingress"]["traffic"] = traffic
    body = {"location": app["location"], "properties": {
        "environmentId": properties.get("environmentId") or properties.get("managedEnvironmentId"),
        "workloadProfileName": properties.get("workloadProfileName"),
        "configuration": configuration, "template": template}}
    client = session.container_apps(ref.subscription_id)
    poller = await client.container_apps.begin_create_or_update(ref.resource_group, ref.name, reveal(body))
    return as_arm_json(await poller.result())


async def create_release_revision(session: AzureSession, ref: AppRef, app: dict[str, Any],
                                  template: dict[str, Any], release: str, suffix: str,
                                  pinned_to: str | None) -> str:
    """A new revision running `release`. With `pinned_to`, the traffic stays on that revision (the new one
    starts with 0 %); without, it follows the latest ready revision (ACA's default)."""
    wanted = with_release(template, release)
    wanted["revisionSuffix"] = suffix
    traffic = ([{"revisionName": pinned_to, "weight": 100}] if pinned_to
               else [{"latestRevision": True, "weight": 100}])
    await _put_app(session, ref, app, wanted, traffic)
    return f"{ref.name}--{suffix}"


async def switch_traffic(session: AzureSession, ref: AppRef, revision: str) -> None:
    """All traffic to `revision`, in one ARM call (PATCH of the ingress's traffic only)."""
    client = session.container_apps(ref.subscription_id)
    body = {"properties": {"configuration": {"ingress": {"traffic": [{"revisionName": revision, "weight": 100}]}}}}
    poller = await client.container_apps.begin_update(ref.resource_group, ref.name, body)
    await poller.result()


async def activate(session: AzureSession, ref: AppRef, revision: str) -> None:
    client = session.container_apps(ref.subscription_id)
    await client.container_apps_revisions.activate_revision(ref.resource_group, ref.name, revision)


async def deactivate(session: AzureSession, ref: AppRef, revision: str) -> None:
    client = session.container_apps(ref.subscription_id)
    await client.container_apps_revisions.deactivate_revision(ref.resource_group, ref.name, revision)


async def profile_capacity(session: AzureSession, app: dict[str, Any]) -> tuple[str, str, int] | None:
    """(profile name, type, maximumCount) of the dedicated workload profile the app runs on; None for
    Consumption (no node limit to share)."""
    properties = app.get("properties") or {}
    profile = str(properties.get("workloadProfileName") or "Consumption")
    environment_id = str(properties.get("environmentId") or properties.get("managedEnvironmentId") or "")
    if profile.lower() == "consumption" or not environment_id:
        return None
    parts = environment_id.split("/")
    client = session.container_apps(parts[2])
    environment = as_arm_json(await client.managed_environments.get(parts[4], parts[-1]))
    for entry in (environment.get("properties") or {}).get("workloadProfiles") or []:
        if str(entry.get("name", "")).lower() == profile.lower():
            kind = str(entry.get("workloadProfileType") or "")
            if kind.lower().startswith("consumption"):
                return None
            return profile, kind, int(entry.get("maximumCount") or 1)
    return None
