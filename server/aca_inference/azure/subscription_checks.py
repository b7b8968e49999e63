"""What a subscription allows before anything is created there, read from ARM: resource provider registration
(and registering one), the workload profile types a location offers, Microsoft.App's usages and quota in a
location, whether a storage account name is free, and the caller's permissions on a resource group.

Paths, api-versions and bodies: resources.json 2025-04-01 (Providers_Get, Providers_Register), Microsoft.App
openapi.json 2026-07-01 (AvailableWorkloadProfiles_Get, Usages_List), Microsoft.Storage openapi.json 2026-09-01
(StorageAccounts_CheckNameAvailability), Microsoft.Authorization 2022-04-01 (Permissions_ListForResourceGroup).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

PROVIDERS_API = "2025-04-01"
APP_API = "2026-07-01"
STORAGE_API = "2026-09-01"
AUTHORIZATION_API = "2022-04-01"
WORKLOAD_PROFILE_CATALOG = "locations/availableManagedEnvironmentsWorkloadProfileTypes"


def location_key(location: str) -> str:
    """"West US 3" and "westus3" alike, as ARM compares locations."""
    return re.sub(r"\s+", "", location).lower()


@dataclass(frozen=True)
class Provider:
    namespace: str
    state: str  # Registered | NotRegistered | Registering | Unregistering
    locations: dict[str, list[str]] = field(default_factory=dict)  # resource type (lower case) -> location keys

    @property
    def registered(self) -> bool:
        return self.state.lower() == "registered"


@dataclass(frozen=True)
class Usage:
    name: str
    current: float
    limit: float

    @property
    def free(self) -> float:
        return max(0.0, self.limit - self.current)


@dataclass(frozen=True)
class NameAvailability:
    available: bool
    reason: str = ""
    message: str = ""


def _provider(body: dict[str, Any], namespace: str) -> Provider:
    locations = {str(t.get("resourceType", "")).lower(): [location_key(str(x)) for x in t.get("locations") or []]
                 for t in body.get("resourceTypes") or [] if isinstance(t, dict)}
    return Provider(str(body.get("namespace") or namespace), str(body.get("registrationState") or "NotRegistered"),
                    locations)


class SubscriptionReader:
    """ARM calls about one subscription, through the session's resource client (its retries and credential)."""

    def __init__(self, client: Any, subscription_id: str) -> None:
        self._client = client  # azure.mgmt.resource.resources.aio.ResourceManagementClient
        self.subscription_id = subscription_id

    async def _call(self, method: str, path: str, api_version: str, body: dict[str, Any] | None = None) -> Any:
        from azure.core.exceptions import HttpResponseError, map_error
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = HttpRequest(method, path, params={"api-version": api_version}, headers=headers,
                              content=json.dumps(body) if body is not None else None)
        response = await self._client.send_request(request)
        text = await response.read()
        if response.status_code >= 400:
            map_error(status_code=response.status_code, response=response, error_map={})
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return json.loads(text) if text.strip() else {}

    @property
    def _base(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    async def provider(self, namespace: str) -> Provider:
        return _provider(await self._call("GET", f"{self._base}/providers/{namespace}", PROVIDERS_API), namespace)

    async def register(self, namespace: str) -> Provider:
        return _provider(await self._call("POST", f"{self._base}/providers/{namespace}/register", PROVIDERS_API),
                         namespace)

    async def workload_profile_types(self, location: str) -> list[str]:
        body = await self._call("GET", f"{self._base}/providers/Microsoft.App/locations/{location_key(location)}/"
                                       "availableManagedEnvironmentsWorkloadProfileTypes", APP_API)
        return [str(item["name"]) for item in body.get("value") or [] if isinstance(item, dict) and item.get("name")]

    async def usages(self, location: str) -> list[Usage]:
        body = await self._call("GET", f"{self._base}/providers/Microsoft.App/locations/{location_key(location)}/usages",
                                APP_API)
        found = []
        for item in body.get("value") or []:
            name = (item.get("name") or {}).get("value") if isinstance(item, dict) else None
            if isinstance(name, str):
                found.append(Usage(name, float(item.get("currentValue") or 0), float(item.get("limit") or 0)))
        return found

    async def storage_name(self, name: str) -> NameAvailability:
        body = await self._call("POST", f"{self._base}/providers/Microsoft.Storage/checkNameAvailability", STORAGE_API,
                                {"name": name, "type": "Microsoft.Storage/storageAccounts"})
        return NameAvailability(bool(body.get("nameAvailable")), str(body.get("reason") or ""),
                                str(body.get("message") or ""))

    async def permissions(self, resource_group: str) -> list[dict[str, Any]]:
        body = await self._call("GET", f"{self._base}/resourceGroups/{resource_group}/providers/"
                                       "Microsoft.Authorization/permissions", AUTHORIZATION_API)
        return [p for p in body.get("value") or [] if isinstance(p, dict)]
