"""A container app through ARM, parsed once: the app, its revisions and their replicas as small frozen values,
and the calls deploy, rollback, status and logs make on them (read, update, activate, move the traffic...).

Everything above azure/ reads these values instead of walking ARM's JSON by hand, and talks to one app through a
`ContainerAppGateway`: `ArmContainerAppGateway` here, an in-memory fake in the tests - so the decisions made on
top (which revision serves, how a release rolls out) run in-process without Azure.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .arm_resources import as_arm_json, property_at
from .endpoints import app_url
from .errors import is_not_found
from .session import AzureSession


@dataclass(frozen=True)
class AppRef:
    subscription_id: str
    resource_group: str
    name: str


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _int(value: Any) -> int:
    """ARM's integers, also when sent back as text ("50"); 0 where absent or not a number."""
    try:
        return int(float(value)) if value is not None and not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        return 0


def parse_time(value: Any) -> datetime | None:
    """ARM's times as the SDK hands them: ISO 8601 text (with `Z`), or already a datetime."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class ContainerApp:
    """The app as ARM has it. `template` and `configuration` stay ARM's JSON (they are sent back on update, and
    the workspace's bicep is compared with `template`): copy them before changing anything."""

    name: str
    location: str
    id: str = ""
    revisions_mode: str = "Single"  # activeRevisionsMode: "Single" or "Multiple"
    latest_revision_name: str | None = None
    latest_ready_revision_name: str | None = None
    fqdn: str | None = None  # the ingress's host name; None without ingress
    environment_id: str = ""
    workload_profile_name: str | None = None
    provisioning_state: str | None = None
    running_status: str | None = None
    event_stream_endpoint: str = ""
    template: dict[str, Any] = field(default_factory=dict)
    configuration: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arm(cls, body: dict[str, Any]) -> ContainerApp:
        properties = _dict(property_at(body))
        configuration = _dict(properties.get("configuration"))
        return cls(
            name=str(body.get("name") or ""), location=str(body.get("location") or ""), id=str(body.get("id") or ""),
            revisions_mode=str(configuration.get("activeRevisionsMode") or "Single"),
            latest_revision_name=_text(properties.get("latestRevisionName")),
            latest_ready_revision_name=_text(properties.get("latestReadyRevisionName")),
            fqdn=_text(_dict(configuration.get("ingress")).get("fqdn")),
            environment_id=str(properties.get("environmentId") or properties.get("managedEnvironmentId") or ""),
            workload_profile_name=_text(properties.get("workloadProfileName")),
            provisioning_state=_text(properties.get("provisioningState")),
            running_status=_text(properties.get("runningStatus") or properties.get("runningState")),
            event_stream_endpoint=str(properties.get("eventStreamEndpoint") or ""),
            template=_dict(properties.get("template")), configuration=configuration)

    @property
    def endpoint(self) -> str | None:
        """The URL the app serves on (from the ingress FQDN), or None when it has no ingress."""
        return app_url(self.fqdn) if self.fqdn else None

    @property
    def latest_revision(self) -> str | None:
        """The newest revision that got ready, else the newest one."""
        return self.latest_ready_revision_name or self.latest_revision_name

    @property
    def containers(self) -> list[dict[str, Any]]:
        return [c for c in self.template.get("containers") or [] if isinstance(c, dict)]

    @property
    def scale(self) -> dict[str, Any]:
        return _dict(self.template.get("scale"))

    @property
    def min_replicas(self) -> int:
        """Azure answers `minReplicas: null` where it was not set: ACA's default, 0."""
        return _int(self.scale.get("minReplicas"))

    @property
    def max_replicas(self) -> int:
        """ACA's default, 10, where Azure answers null."""
        return _int(self.scale.get("maxReplicas")) or 10

    @property
    def traffic(self) -> list[TrafficWeight]:
        """The ingress's traffic split as ARM holds it (weights Azure may echo as text read as numbers); empty
        without ingress."""
        found = []
        for entry in _dict(self.configuration.get("ingress")).get("traffic") or []:
            if isinstance(entry, dict):
                revision = None if entry.get("latestRevision") else _text(entry.get("revisionName"))
                found.append(TrafficWeight(revision, _int(entry.get("weight"))))
        return found


@dataclass(frozen=True)
class Revision:
    name: str
    active: bool = False
    traffic_weight: int = 0
    created: str = ""  # ISO 8601: sorts as it happened
    fqdn: str | None = None  # the revision's own host name (<app>--<suffix>.<domain>)
    running_state: str = ""
    health_state: str = ""
    replicas: int = 0
    template: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arm(cls, body: dict[str, Any]) -> Revision:
        properties = _dict(property_at(body))
        return cls(name=str(body.get("name") or ""), active=bool(properties.get("active")),
                   traffic_weight=_int(properties.get("trafficWeight")),
                   created=str(properties.get("createdTime") or ""), fqdn=_text(properties.get("fqdn")),
                   running_state=str(properties.get("runningState") or ""),
                   health_state=str(properties.get("healthState") or ""),
                   replicas=_int(properties.get("replicas")), template=_dict(properties.get("template")))

    @property
    def url(self) -> str | None:
        """What a request sent to this revision alone reaches."""
        return app_url(self.fqdn) if self.fqdn else None


@dataclass(frozen=True)
class Replica:
    name: str
    running_state: str = ""
    created: datetime | None = None
    restart_count: int = 0  # the most any of its containers restarted
    ready: bool = False  # every container ready

    @classmethod
    def from_arm(cls, body: dict[str, Any]) -> Replica:
        properties = _dict(property_at(body))
        containers = [c for c in properties.get("containers") or [] if isinstance(c, dict)]
        return cls(name=str(body.get("name") or ""), running_state=str(properties.get("runningState") or ""),
                   created=parse_time(properties.get("createdTime")),
                   restart_count=max((_int(c.get("restartCount")) for c in containers), default=0),
                   ready=all(bool(c.get("ready")) for c in containers) if containers else False)


@dataclass(frozen=True)
class WorkloadProfile:
    """One of the managed environment's workload profiles: the nodes an app on it may use."""

    name: str
    type: str
    maximum_count: int

    @property
    def dedicated(self) -> bool:
        """Dedicated profiles have a node limit that revisions share; Consumption has none."""
        return not (self.name.lower() == "consumption" or self.type.lower().startswith("consumption"))

    @classmethod
    def in_environment(cls, environment: dict[str, Any], name: str) -> WorkloadProfile | None:
        """The managed environment's profile `name` (ARM names compare without case), or None."""
        for entry in property_at(environment, "workloadProfiles") or []:
            if isinstance(entry, dict) and str(entry.get("name", "")).lower() == name.lower():
                return cls(name, str(entry.get("workloadProfileType") or ""), _int(entry.get("maximumCount")) or 1)
        return None


@dataclass(frozen=True)
class TrafficWeight:
    revision: str | None  # None: whichever revision is the latest ready one (ACA's default)
    weight: int = 100

    def as_arm(self) -> dict[str, Any]:
        if self.revision is None:
            return {"latestRevision": True, "weight": self.weight}
        return {"revisionName": self.revision, "weight": self.weight}


class ContainerAppGateway(Protocol):
    """The calls made on one container app. Revisions are listed oldest first."""

    ref: AppRef
    connection_verify: str | bool  # TLS trust for the app's own endpoints (the log stream)

    async def get_app(self) -> ContainerApp: ...

    async def secrets(self) -> dict[str, str]: ...

    async def list_revisions(self) -> list[Revision]: ...

    async def get_revision(self, revision: str) -> Revision: ...

    async def list_replicas(self, revision: str) -> list[Replica]: ...

    async def update(self, app: ContainerApp, template: dict[str, Any], *,
                     traffic: list[TrafficWeight] | None = None) -> ContainerApp:
        """PUT the app with `template` (a new revision when it differs), keeping its secrets; `traffic` replaces
        the ingress's traffic split, else it stays."""
        ...

    async def set_traffic(self, traffic: list[TrafficWeight]) -> None:
        """The ingress's traffic split alone, in one ARM call."""
        ...

    async def activate(self, revision: str) -> None: ...

    async def deactivate(self, revision: str) -> None: ...

    async def restart(self, revision: str) -> None: ...

    async def workload_profile(self, app: ContainerApp) -> WorkloadProfile | None:
        """The environment's profile the app runs on; None for Consumption or when the environment lacks it."""
        ...

    async def gpu_quota_free(self, location: str, quota: str) -> int | None:
        """GPUs of the subscription's `quota` (a Microsoft.App usages name) not in use in `location`; None when
        Azure does not say (no such usage, or the read is refused)."""
        ...

    async def log_stream_token(self) -> str: ...

    async def delete(self) -> bool:
        """Delete the app (its revisions go with it); False when it did not exist."""
        ...


class ArmContainerAppGateway:
    """`ContainerAppGateway` over azure-mgmt-appcontainers (the real cloud or the emulator)."""

    def __init__(self, session: AzureSession, ref: AppRef) -> None:
        self.ref = ref
        self.connection_verify = session.connection_verify
        self._session = session
        self._client = session.container_apps(ref.subscription_id)

    async def get_app(self) -> ContainerApp:
        return ContainerApp.from_arm(as_arm_json(await self._client.container_apps.get(self.ref.resource_group,
                                                                                       self.ref.name)))

    async def secrets(self) -> dict[str, str]:
        listed = as_arm_json(await self._client.container_apps.list_secrets(self.ref.resource_group, self.ref.name))
        return {s["name"]: s["value"] for s in listed.get("value", []) if "value" in s}

    async def list_revisions(self) -> list[Revision]:
        found = [Revision.from_arm(as_arm_json(item)) async for item in
                 self._client.container_apps_revisions.list_revisions(self.ref.resource_group, self.ref.name)]
        return sorted(found, key=lambda r: r.created)

    async def get_revision(self, revision: str) -> Revision:
        return Revision.from_arm(as_arm_json(await self._client.container_apps_revisions.get_revision(
            self.ref.resource_group, self.ref.name, revision)))

    async def list_replicas(self, revision: str) -> list[Replica]:
        page = as_arm_json(await self._client.container_apps_revision_replicas.list_replicas(
            self.ref.resource_group, self.ref.name, revision))
        return [Replica.from_arm(r) for r in page.get("value", []) if isinstance(r, dict)]

    async def update(self, app: ContainerApp, template: dict[str, Any], *,
                     traffic: list[TrafficWeight] | None = None) -> ContainerApp:
        configuration = copy.deepcopy(app.configuration)
        # ACA replaces the secret list on PUT: send the existing values back so the API key stays the same.
        configuration["secrets"] = [{"name": n, "value": v} for n, v in (await self.secrets()).items()]
        ingress = configuration.get("ingress")
        if isinstance(ingress, dict):
            ingress.pop("fqdn", None)  # read-only
            if traffic is not None:
                ingress["traffic"] = [t.as_arm() for t in traffic]
        body = {"location": app.location, "properties": {
            "environmentId": app.environment_id or None, "workloadProfileName": app.workload_profile_name,
            "configuration": configuration, "template": template}}
        poller = await self._client.container_apps.begin_create_or_update(self.ref.resource_group, self.ref.name,
                                                                          body)
        return ContainerApp.from_arm(as_arm_json(await poller.result()))

    async def set_traffic(self, traffic: list[TrafficWeight]) -> None:
        body = {"properties": {"configuration": {"ingress": {"traffic": [t.as_arm() for t in traffic]}}}}
        poller = await self._client.container_apps.begin_update(self.ref.resource_group, self.ref.name, body)
        await poller.result()

    async def activate(self, revision: str) -> None:
        await self._client.container_apps_revisions.activate_revision(self.ref.resource_group, self.ref.name,
                                                                      revision)

    async def deactivate(self, revision: str) -> None:
        await self._client.container_apps_revisions.deactivate_revision(self.ref.resource_group, self.ref.name,
                                                                        revision)

    async def restart(self, revision: str) -> None:
        await self._client.container_apps_revisions.restart_revision(self.ref.resource_group, self.ref.name,
                                                                     revision)

    async def workload_profile(self, app: ContainerApp) -> WorkloadProfile | None:
        name = app.workload_profile_name or "Consumption"
        if name.lower() == "consumption" or not app.environment_id:
            return None  # no environment read needed: Consumption has no node limit
        parts = app.environment_id.split("/")
        client = self._session.container_apps(parts[2])
        environment = as_arm_json(await client.managed_environments.get(parts[4], parts[-1]))
        return WorkloadProfile.in_environment(environment, name)

    async def gpu_quota_free(self, location: str, quota: str) -> int | None:
        from .subscription_checks import SubscriptionReader

        reader = SubscriptionReader(self._session.resources(self.ref.subscription_id), self.ref.subscription_id)
        try:
            usages = await reader.usages(location)
        except Exception:  # noqa: BLE001 - a quota we cannot read leaves the overlap to be tried, as before
            return None
        usage = next((u for u in usages if u.name.lower() == quota.lower()), None)
        return None if usage is None else int(usage.free)

    async def log_stream_token(self) -> str:
        answer = as_arm_json(await self._client.container_apps.get_auth_token(self.ref.resource_group, self.ref.name))
        return str(_dict(property_at(answer))["token"])

    async def delete(self) -> bool:
        try:
            poller = await self._client.container_apps.begin_delete(self.ref.resource_group, self.ref.name)
            await poller.result()  # ARM's long-running DELETE: gone only when it ends
        except Exception as error:
            if is_not_found(error):
                return False
            raise
        return True
