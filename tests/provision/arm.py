"""Test-side access to the emulator: its admin routes (request log, faults) and the official SDK clients for
preparing and inspecting resources, the way a user's other tools would."""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from pathlib import Path
from typing import Any

WRITE_METHODS = {"PUT", "PATCH", "POST", "DELETE"}


class StaticToken:
    """The emulator accepts any well-formed bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("eyJhbGciOiJub25lIn0.eyJvaWQiOiJ0ZXN0In0.test", int(time.time()) + 3600)


class ArmProbe:
    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self._ssl = ssl.create_default_context(cafile=str(emulator.ca_path))

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.emulator.management_endpoint}/_emulator/{path}", data=data,
                                         method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._ssl, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    # -- request log -------------------------------------------------------------------------------------
    def mark(self) -> int:
        return int(self._admin("GET", "requests?since=999999999")["last"])

    def requests_since(self, mark: int, port: str | None = None) -> list[dict[str, Any]]:
        entries = self._admin("GET", f"requests?since={mark}")["requests"]
        return [e for e in entries if port is None or e["port"] == port]

    def writes_since(self, mark: int, port: str = "management") -> list[str]:
        """PUT/PATCH (and, on the files port, any write) since `mark`; ARM POSTs are reads (listKeys...)."""
        methods = {"PUT", "PATCH"} if port == "management" else WRITE_METHODS
        return [f"{e['method']} {e['path']}" for e in self.requests_since(mark, port) if e["method"] in methods]

    def files_requests_since(self, mark: int) -> list[dict[str, Any]]:
        return self.requests_since(mark, "files")

    # -- faults ------------------------------------------------------------------------------------------
    def inject_fault(self, path: str, *, status: int = 503, rate: float = 1.0, methods: list[str] | None = None,
                     port: str | None = None, **extra: Any) -> None:
        for method in methods or [None]:
            spec = {"path": path, "status": status, "rate": rate, "port": port, **extra}
            if method:
                spec["method"] = method
            self._admin("POST", "faults", {k: v for k, v in spec.items() if v is not None})

    def clear_faults(self) -> None:
        self._admin("DELETE", "faults")

    def durations(self) -> dict[str, float]:
        """Each simulated operation's duration in Azure's seconds (multiplied by the time scale when run)."""
        return dict(self._admin("GET", "durations")["durations"])

    def set_durations(self, **durations: float) -> None:
        self._admin("POST", "durations", durations)

    def time_scale(self) -> float:
        return float(self._admin("GET", "time-scale")["time_scale"])

    def set_time_scale(self, scale: float) -> None:
        self._admin("POST", "time-scale", {"time_scale": scale})

    # -- what the subscription allows (providers, profiles per location, GPU quota, names taken, permissions) --
    def set_subscription_state(self, **state: Any) -> dict[str, Any]:
        return dict(self._admin("POST", "subscription-state", state))

    def reset_subscription_state(self) -> None:
        self._admin("DELETE", "subscription-state")

    # -- SDK clients -------------------------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        return {"base_url": self.emulator.management_endpoint, "connection_verify": str(self.emulator.ca_path),
                "credential_scopes": [f"{self.emulator.management_endpoint}/.default"]}

    def apps(self) -> Any:
        from azure.mgmt.appcontainers import ContainerAppsAPIClient

        return ContainerAppsAPIClient(StaticToken(), self.emulator.subscription_id, **self._options())

    def storage(self) -> Any:
        from azure.mgmt.storage import StorageManagementClient

        return StorageManagementClient(StaticToken(), self.emulator.subscription_id, **self._options())

    def logs(self) -> Any:
        from azure.mgmt.loganalytics import LogAnalyticsManagementClient

        return LogAnalyticsManagementClient(StaticToken(), self.emulator.subscription_id, **self._options())

    def groups(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(StaticToken(), self.emulator.subscription_id, **self._options())

    def get(self, resource_id: str, api_version: str) -> dict[str, Any]:
        from azure.core.rest import HttpRequest

        client = self.groups()
        response = client._client.send_request(
            HttpRequest("GET", f"{self.emulator.management_endpoint}{resource_id}?api-version={api_version}"))
        response.raise_for_status()
        return response.json()

    def ensure_group(self, group: str, location: str = "westus3") -> None:
        self.groups().resource_groups.create_or_update(group, {"location": location})

    def create_environment(self, group: str, name: str, *, profiles: list[dict[str, Any]] | None) -> None:
        self.ensure_group(group)
        logs = self.logs()
        workspace = logs.workspaces.begin_create_or_update(
            group, f"{name}-logs", {"location": "westus3", "properties": {"sku": {"name": "PerGB2018"}}}).result()
        key = logs.shared_keys.get_shared_keys(group, f"{name}-logs").primary_shared_key
        properties: dict[str, Any] = {"appLogsConfiguration": {"destination": "log-analytics",
                                                               "logAnalyticsConfiguration": {
                                                                   "customerId": workspace.properties.customer_id,
                                                                   "sharedKey": key}}}
        if profiles is not None:
            properties["workloadProfiles"] = profiles
        self.apps().managed_environments.begin_create_or_update(
            group, name, {"location": "westus3", "properties": properties}).result()

    def share_dir(self, account: str, share: str) -> Path:
        return Path(self.emulator.data_dir) / "shares" / account / share
