"""An in-memory container app behind the `ContainerAppGateway` protocol: an app, its revisions (active, traffic,
running state) and their replicas, changed the way ACA changes them, with every changing call recorded.

Revisions the fake creates (a PUT with a new template) start in `new_revision_state`; their URL is
`new_revision_fqdn` - a loopback server in tests that need an answer, else a host nothing listens on.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from aca_inference.azure.container_apps import (
    AppRef,
    ContainerApp,
    Replica,
    Revision,
    TrafficWeight,
    WorkloadProfile,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


class FakeContainerAppGateway:
    def __init__(self, app: ContainerApp, revisions: list[Revision] | None = None, *,
                 secrets: dict[str, str] | None = None, profile: WorkloadProfile | None = None,
                 new_revision_state: str = "Running", new_revision_fqdn: str | None = None,
                 gpu_quota_free: int | None = None) -> None:
        self.ref = AppRef("00000000-0000-0000-0000-000000000000", "rg-fake", app.name)
        self.connection_verify: str | bool = True
        self.app = app
        self.revisions: dict[str, Revision] = {r.name: r for r in revisions or []}
        self.replicas: dict[str, list[Replica]] = {r.name: [Replica(f"{r.name}-0", "Running", START, 0, True)]
                                                   for r in revisions or [] if r.active}
        self.secret_values = dict(secrets or {})
        self.profile = profile
        self.quota_free = gpu_quota_free
        self.new_revision_state = new_revision_state
        self.new_revision_fqdn = new_revision_fqdn
        self.calls: list[tuple[str, str]] = []  # the changing ARM calls, in order: ("deactivate", revision)...
        self.deleted = False
        self._clock = START + timedelta(minutes=len(self.revisions))

    # -- reads -------------------------------------------------------------------------------------------------

    async def get_app(self) -> ContainerApp:
        if self.deleted:
            from azure.core.exceptions import ResourceNotFoundError

            raise ResourceNotFoundError(f"The Resource 'Microsoft.App/containerApps/{self.app.name}' was not found.")
        return self.app

    async def secrets(self) -> dict[str, str]:
        return dict(self.secret_values)

    async def list_revisions(self) -> list[Revision]:
        return sorted(self.revisions.values(), key=lambda r: r.created)

    async def get_revision(self, revision: str) -> Revision:
        if revision not in self.revisions:
            raise LookupError(f"no revision {revision}")
        return self.revisions[revision]

    async def list_replicas(self, revision: str) -> list[Replica]:
        return list(self.replicas.get(revision, []))

    async def workload_profile(self, app: ContainerApp) -> WorkloadProfile | None:
        return self.profile

    async def gpu_quota_free(self, location: str, quota: str) -> int | None:
        return self.quota_free

    async def log_stream_token(self) -> str:
        return "fake-log-token"

    # -- changes -----------------------------------------------------------------------------------------------

    async def update(self, app: ContainerApp, template: dict[str, Any], *,
                     traffic: list[TrafficWeight] | None = None) -> ContainerApp:
        suffix = template.get("revisionSuffix") or f"r{len(self.revisions) + 1}"
        name = f"{self.ref.name}--{suffix}"
        self.calls.append(("update", name))
        self._clock += timedelta(minutes=1)
        self.revisions[name] = Revision(name, active=True, created=self._clock.isoformat(),
                                        fqdn=self.new_revision_fqdn, running_state=self.new_revision_state,
                                        health_state="Healthy" if self.new_revision_state == "Running" else "Unhealthy",
                                        template=template)
        self.replicas[name] = [Replica(f"{name}-0", self.new_revision_state, datetime.now(UTC),
                                       0, self.new_revision_state == "Running")]
        if app.revisions_mode.lower() == "single":  # ACA replaces the revision: only the new one runs and serves
            for other in list(self.revisions):
                if other != name:
                    self._change(other, active=False, traffic_weight=0)
            traffic = [TrafficWeight(name)]
        if traffic is not None:
            self._apply(traffic, latest=name)
        self.app = dataclasses.replace(app, template=template, latest_revision_name=name)
        return self.app

    async def set_traffic(self, traffic: list[TrafficWeight]) -> None:
        self.calls.append(("set_traffic", ",".join(f"{t.revision}={t.weight}" for t in traffic)))
        self._apply(traffic, latest=self.app.latest_revision_name)

    async def activate(self, revision: str) -> None:
        self.calls.append(("activate", revision))
        self._change(revision, active=True)
        self.replicas[revision] = [Replica(f"{revision}-1", "Running", datetime.now(UTC), 0, True)]

    async def deactivate(self, revision: str) -> None:
        self.calls.append(("deactivate", revision))
        self._change(revision, active=False, traffic_weight=0)
        self.replicas.pop(revision, None)

    async def restart(self, revision: str) -> None:
        """ACA replaces the revision's replicas with new ones."""
        self.calls.append(("restart", revision))
        self.replicas[revision] = [Replica(f"{revision}-restarted", "Running", datetime.now(UTC), 0, True)]

    async def delete(self) -> bool:
        self.calls.append(("delete", self.app.name))
        existed, self.deleted = not self.deleted, True
        return existed

    # -- how ACA applies them ----------------------------------------------------------------------------------

    def _change(self, revision: str, **changes: Any) -> None:
        self.revisions[revision] = dataclasses.replace(self.revisions[revision], **changes)

    def _apply(self, traffic: list[TrafficWeight], latest: str | None) -> None:
        weights = {(t.revision or latest): t.weight for t in traffic}
        for name in self.revisions:
            self._change(name, traffic_weight=weights.get(name, 0))

    # -- what tests look at ------------------------------------------------------------------------------------

    def serving_weights(self) -> dict[str, int]:
        """Revision -> its share of the traffic, for those that have some."""
        return {r.name: r.traffic_weight for r in self.revisions.values() if r.traffic_weight}

    def changed(self, call: str) -> list[str]:
        return [argument for name, argument in self.calls if name == call]
