"""ARM URL dispatch: case-insensitive path templates, api-version checks per resource provider, the
answers ARM gives for unknown routes and versions."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..resource_types import API_VERSIONS
from .errors import ArmError, json_error


@dataclass
class ArmRequest:
    request: web.Request
    params: dict[str, str]
    api_version: str
    _body: Any = None

    @property
    def method(self) -> str:
        return self.request.method

    async def json(self) -> dict[str, Any]:
        if self._body is None:
            raw = await self.request.read()
            if not raw.strip():
                raise ArmError(400, "InvalidRequestContent", "The request content was invalid: the body is empty.")
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise json_error(exc) from None
            if not isinstance(body, dict):
                raise json_error("the body must be a JSON object")
            self._body = body
        return self._body

    async def json_or_empty(self) -> dict[str, Any]:
        raw = await self.request.read()
        if not raw.strip():
            return {}
        return await self.json()


Handler = Callable[[ArmRequest], Awaitable[web.StreamResponse]]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    provider: str  # key of API_VERSIONS (resource_types.py)
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.regex = re.compile(f"^{pattern}/?$", re.IGNORECASE)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, provider: str) -> None:
        self.routes.append(Route(method, template, handler, provider))

    def add_collection(self, collection: str, param: str, provider: str, *, list: Handler, get: Handler,
                       delete: Handler, put: Handler | None = None) -> str:
        """A collection of resources as ARM serves one: GET of the collection, GET, PUT and DELETE of an item
        (`{param}` in its path). Returns the item's path, for its actions."""
        item = f"{collection}/{{{param}}}"
        self.add("GET", collection, list, provider)
        self.add("GET", item, get, provider)
        if put is not None:
            self.add("PUT", item, put, provider)
        self.add("DELETE", item, delete, provider)
        return item

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        matched = [(r, m) for r in self.routes if (m := r.regex.match(path))]
        if not matched:
            raise _unknown_route(path, request.query.get("api-version", ""))
        for route, match in matched:
            if route.method == request.method or (request.method == "HEAD" and route.method == "GET"
                                                  and not any(r.method == "HEAD" for r, _ in matched)):
                api_version = _check_api_version(request, route, match)
                params = {k: _unquote(v) for k, v in match.groupdict().items()}
                return await route.handler(ArmRequest(request, params, api_version))
        allowed = sorted({r.method for r, _ in matched})
        raise ArmError(405, "MethodNotAllowed",
                       f"The requested resource does not support http method '{request.method}'. "
                       f"Allowed: {', '.join(allowed)}.", headers={"Allow": ", ".join(allowed)})


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


def _check_api_version(request: web.Request, route: Route, match: re.Match[str]) -> str:
    version = request.query.get("api-version") or request.query.get("Api-Version")
    if not version:
        raise ArmError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    if route.provider == "any":  # operation monitors: the version of the call that started them
        return version
    supported = API_VERSIONS[route.provider]
    if version in supported:
        return version
    listing = ", ".join(f"'{v}'" for v in supported)
    if route.provider in ("microsoft.resources", "subscriptions"):
        raise ArmError(400, "InvalidApiVersionParameter",
                       f"The api-version '{version}' is invalid. The supported versions are {listing}.")
    namespace = {"microsoft.storage": "Microsoft.Storage", "microsoft.operationalinsights":
                 "Microsoft.OperationalInsights", "microsoft.app": "Microsoft.App"}[route.provider]
    resource_type = _resource_type(request.path, namespace)
    raise ArmError(400, "NoRegisteredProviderFound",
                   f"No registered resource provider found for location 'global' and API version '{version}' for "
                   f"type '{resource_type}'. The supported api-versions are {listing}. The supported locations are "
                   "'eastus, westus, westus3, westeurope, northeurope, swedencentral'.")


def _resource_type(path: str, namespace: str) -> str:
    parts = path.split("/")
    lower = [p.lower() for p in parts]
    if namespace.lower() not in lower:
        return namespace
    tail = parts[lower.index(namespace.lower()) + 1:]
    return "/".join(tail[::2]) if tail else namespace


def _unknown_route(path: str, api_version: str) -> ArmError:
    lower = path.lower()
    match = re.search(r"/providers/([^/]+)/?(.*)$", path, re.IGNORECASE)
    if match:
        namespace = match.group(1)
        known = {"microsoft.storage", "microsoft.operationalinsights", "microsoft.app"}
        if namespace.lower() not in known:
            return ArmError(404 if "/resourcegroups/" in lower else 400, "NoRegisteredProviderFound",
                            f"The resource namespace '{namespace}' is not served by the local emulator "
                            f"(it emulates Microsoft.Storage, Microsoft.OperationalInsights and Microsoft.App).")
        resource_type = "/".join(match.group(2).split("/")[::2])
        return ArmError(404, "InvalidResourceType",
                        f"The resource type '{resource_type}' could not be found in the namespace '{namespace}' "
                        f"for api version '{api_version}'.")
    return ArmError(404, "InvalidRequestUri" if "/subscriptions" in lower else "NotFound",
                    f"The request URI '{path}' is not valid: no such route in Azure Resource Manager.")
