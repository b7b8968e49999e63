"""Where a template is deployed, what Azure tells its evaluation, and what the evaluation gives per resource.

`Deployment` answers resourceGroup() and subscription(); a `Runtime` answers the values that exist only once
a resource is deployed; `EvaluatedResource` is one resource as ARM would receive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import Span
from .values import UNKNOWN, ResourceHandle


class Runtime(Protocol):
    """What Azure knows of the deployed resources; asked only for values the template reads."""

    def reference(self, resource: ResourceHandle) -> Any:
        """The deployed resource's full state (GET), or UNKNOWN."""

    def invoke(self, resource: ResourceHandle, function: str) -> Any:
        """The result of a resource function such as listKeys (POST), or UNKNOWN."""


class BeforeDeployment:
    """Nothing deployed yet: every runtime value is known only after deployment."""

    def reference(self, resource: ResourceHandle) -> Any:
        return UNKNOWN

    def invoke(self, resource: ResourceHandle, function: str) -> Any:
        return UNKNOWN


@dataclass(frozen=True)
class Deployment:
    """Where the template is deployed: what resourceGroup() and subscription() return."""

    subscription_id: str
    resource_group: str
    location: str
    subscription_name: str = ""
    tenant_id: str = ""

    @property
    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


@dataclass
class EvaluatedResource:
    """One resource as ARM would receive it, with the resources it must wait for."""

    symbol: str
    handle: ResourceHandle
    existing: bool
    deployed: bool  # False when its `if` condition is false
    body: dict[str, Any]  # what ARM receives (location, sku, kind, identity, tags, properties...)
    depends_on: set[str] = field(default_factory=set)
    span: Span | None = None

    @property
    def type(self) -> str:
        return self.handle.type

    @property
    def api_version(self) -> str:
        return self.handle.api_version

    @property
    def name(self) -> str:
        return self.handle.full_name

    @property
    def short_name(self) -> str:
        return self.handle.full_name.rsplit("/", 1)[-1]
