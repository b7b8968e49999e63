"""What every ARM handler needs: the store, operations, settings, and the checks ARM makes before any
provider sees a request (subscription, resource group, names, locations)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from azure_name_rules import ResourceKind, check_name

from ..settings import EmulatorSettings, Subscription
from ..store import Record, Store
from .errors import ArmError, resource_group_not_found
from .operations import json_response, monitor_urls, pending_headers

if TYPE_CHECKING:
    from ..files.store import ShareStore
    from ..runtime import Runtime
    from ..store import Operation
    from .operations import Operations

# Public Azure regions (name -> display name); any of them is accepted, "West US 3" and "westus3" alike.
LOCATIONS = {
    "eastus": "East US", "eastus2": "East US 2", "westus": "West US", "westus2": "West US 2", "westus3": "West US 3",
    "centralus": "Central US", "northcentralus": "North Central US", "southcentralus": "South Central US",
    "westcentralus": "West Central US", "canadacentral": "Canada Central", "canadaeast": "Canada East",
    "brazilsouth": "Brazil South", "northeurope": "North Europe", "westeurope": "West Europe",
    "uksouth": "UK South", "ukwest": "UK West", "francecentral": "France Central",
    "germanywestcentral": "Germany West Central", "swedencentral": "Sweden Central",
    "switzerlandnorth": "Switzerland North", "norwayeast": "Norway East", "polandcentral": "Poland Central",
    "italynorth": "Italy North", "spaincentral": "Spain Central", "eastasia": "East Asia",
    "southeastasia": "Southeast Asia", "japaneast": "Japan East", "japanwest": "Japan West",
    "koreacentral": "Korea Central", "australiaeast": "Australia East", "australiasoutheast": "Australia Southeast",
    "centralindia": "Central India", "southindia": "South India", "uaenorth": "UAE North",
    "southafricanorth": "South Africa North", "qatarcentral": "Qatar Central", "israelcentral": "Israel Central",
    "mexicocentral": "Mexico Central", "newzealandnorth": "New Zealand North",
}


def normalize_location(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    key = re.sub(r"\s+", "", value).lower()
    return key if key in LOCATIONS else None


def display_location(location: str) -> str:
    return LOCATIONS.get(location, location)


def subscription_scope(subscription_id: str) -> str:
    """The id of a subscription: the scope of its resource groups and of what is in them."""
    return f"/subscriptions/{subscription_id}"


def group_id(subscription_id: str, resource_group: str) -> str:
    return f"{subscription_scope(subscription_id)}/resourceGroups/{resource_group}"


class Endpoints(Protocol):
    """Where the emulator serves; known once its servers listen, after the handlers are built."""

    @property
    def management_endpoint(self) -> str: ...

    @property
    def files_endpoint(self) -> str: ...


class ArmContext:
    """What every ARM handler gets: the store, the share folders' store, the long-running operations, settings,
    the runtime, the endpoints and the log stream's tokens - not the whole emulator."""

    def __init__(self, *, store: Store, operations: Operations, settings: EmulatorSettings, runtime: Runtime,
                 endpoints: Endpoints, app_tokens: dict[str, tuple[str, float]], shares: ShareStore) -> None:
        self.store = store
        self.shares = shares  # the share folders, through the Files side's store (never written around it)
        self.operations = operations
        self.settings = settings
        self.runtime = runtime
        self.endpoints = endpoints
        # getAuthtoken tokens for the log stream: token -> (container app id, lower case; expiry)
        self.app_tokens = app_tokens
        self.renderers: dict[str, Callable[[Record], dict[str, Any]]] = {}

    @property
    def base_url(self) -> str:
        return self.endpoints.management_endpoint

    @property
    def files_endpoint(self) -> str:
        return self.endpoints.files_endpoint

    def render(self, record: Record) -> dict[str, Any]:
        renderer = self.renderers.get(record.type.lower())
        return renderer(record) if renderer else record.body

    def subscription(self, subscription_id: str) -> Subscription:
        for sub in self.settings.subscriptions:
            if sub.subscription_id.lower() == subscription_id.lower():
                return sub
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")

    def group(self, subscription_id: str, resource_group: str, *, for_write: bool = False) -> Record:
        """The resource group, or ARM's 404; writes into a group being deleted get ARM's 409."""
        self.subscription(subscription_id)
        record = self.store.get(group_id(subscription_id, resource_group))
        if record is None:
            raise resource_group_not_found(resource_group)
        if for_write and record.body["properties"]["provisioningState"] == "Deleting":
            raise ArmError(409, "ResourceGroupBeingDeleted",
                           f"The resource group '{record.name}' is in deprovisioning state and cannot perform this "
                           "operation.")
        return record

    def check_name(self, kind: ResourceKind, name: str, code: str) -> None:
        problem = check_name(kind, name)
        if problem:
            raise ArmError(400, code, f"'{name}' is not a valid name. {problem}.")

    def location(self, body: dict[str, Any], *, code: str = "LocationRequired") -> str:
        if "location" not in body or body.get("location") in (None, ""):
            raise ArmError(400, code, "The location property is required for this definition.")
        location = normalize_location(body["location"])
        if location is None:
            raise ArmError(400, "LocationNotAvailableForResourceType",
                           f"The provided location '{body['location']}' is not available for resource type. List of "
                           f"available regions is '{','.join(LOCATIONS)}'.")
        return location

    async def start_delete(self, kind: str, record: Any, duration: str, *, subscription_id: str, namespace: str,
                           api_version: str, async_header: bool = True) -> web.Response:
        """A DELETE as ARM answers it: 200 when done at once, else 202 with the operation's monitor headers."""
        op = await self.operations.start(kind, record.id, "delete", self.settings.scaled(duration))
        if op is None:
            return web.Response(status=200)
        return self.accepted(op, subscription_id=subscription_id, namespace=namespace,
                             location=record.body["location"], api_version=api_version, status=202, body=None,
                             async_header=async_header, location_header=True)

    def accepted(self, op: Operation, *, subscription_id: str, namespace: str, location: str, api_version: str,
                 status: int, body: dict[str, Any] | None, async_header: bool = True,
                 location_header: bool = False) -> web.Response:
        """The answer to a request that started a long-running operation."""
        async_url, location_url = monitor_urls(self.base_url, subscription_id, namespace, location, op, api_version)
        headers = pending_headers(op, async_url=async_url if async_header else None,
                                  location_url=location_url if location_header else None)
        if body is None:
            return web.Response(status=status, headers=headers)
        return json_response(body, status, headers)
