"""The app's revisions as releases see them: which release each runs (its INFERENCE_RELEASE), which one serves
(the traffic), and a release revision made beside the serving one. The ARM calls themselves are
azure/container_apps.py's."""

from __future__ import annotations

import copy
from typing import Any

from ...azure.container_apps import ContainerApp, ContainerAppGateway, Revision, TrafficWeight
from ...sync.releases import LAUNCHER_PATH, RELEASE_ENV


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


def release_run_by(revision: Revision) -> str | None:
    """The release a revision runs, or None (not a release revision)."""
    return release_of(revision.template)


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


def serving(revisions: list[Revision]) -> Revision | None:
    """The revision the endpoint sends (most of) its traffic to."""
    weighted = [r for r in revisions if r.active and r.traffic_weight > 0]
    return max(weighted, key=lambda r: (r.traffic_weight, r.created)) if weighted else None


async def create_release_revision(apps: ContainerAppGateway, app: ContainerApp, template: dict[str, Any],
                                  release: str, suffix: str, pinned_to: str | None) -> str:
    """A new revision running `release`. With `pinned_to`, the traffic stays on that revision (the new one
    starts with 0 %); without, it follows the latest ready revision (ACA's default)."""
    wanted = with_release(template, release)
    wanted["revisionSuffix"] = suffix
    await apps.update(app, wanted, traffic=[TrafficWeight(pinned_to)])
    return f"{apps.ref.name}--{suffix}"
