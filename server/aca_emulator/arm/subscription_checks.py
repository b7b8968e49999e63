"""What ARM checks about the subscription and the caller before a provider sees a request, and the APIs that
say so in advance: resource provider registration (`GET/POST /subscriptions/{id}/providers/{ns}[/register]`,
and MissingSubscriptionRegistration on a write to an unregistered namespace), storage account name availability
(`Microsoft.Storage/checkNameAvailability`, and StorageAccountAlreadyTaken on a PUT of a name taken elsewhere),
and the caller's permissions (`Microsoft.Authorization/permissions`, and AuthorizationFailed on a write they do
not allow). The state comes from `settings.subscription_state` (tests set it through the admin route).

Bodies and codes: resources.json (Provider: namespace, registrationState, resourceTypes[].locations),
Storage openapi.json (CheckNameAvailabilityResult: nameAvailable, reason AccountNameInvalid | AlreadyExists,
message), and the error bodies ARM sends (recorded: "The subscription is not registered to use namespace
'Microsoft.App'. See https://aka.ms/rps-not-found for how to register subscriptions.").
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from azure_name_rules import ResourceKind, check_name
from azure_name_rules.permissions import permits

from ..resource_types import STORAGE_ACCOUNT
from ..subscription_state import KNOWN_NAMESPACES, SubscriptionState
from .context import LOCATIONS, ArmContext, group_id, subscription_scope
from .errors import ArmError, resource_group_not_found
from .operations import json_response
from .routing import ArmRequest, Router

AUTHORIZATION_VERSIONS = ("2022-04-01", "2018-07-01", "2018-01-01-preview", "2015-07-01")
# The resource types each namespace lists (with every emulated location), as the real provider bodies do.
_RESOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "microsoft.app": ("managedEnvironments", "managedEnvironments/storages", "containerApps", "locations",
                      "locations/usages", "locations/availableManagedEnvironmentsWorkloadProfileTypes",
                      "locations/managedEnvironmentOperationStatuses", "locations/containerappOperationStatuses"),
    "microsoft.storage": ("storageAccounts", "checkNameAvailability", "locations"),
    "microsoft.operationalinsights": ("workspaces", "locations"),
}
_PROVIDER_PATH = re.compile(r"^/subscriptions/[^/]+(?:/resourcegroups/[^/]+)?/providers/([^/]+)/(.+)$", re.IGNORECASE)
_RG_PATH = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)(/providers/([^/]+)(/.*)?)?/?$", re.IGNORECASE)
_PRINCIPAL = "5f6c8d2a-0000-4000-8000-0000000000cc"  # the emulator's one (made-up) caller


def _state(ctx: ArmContext) -> SubscriptionState:
    return ctx.settings.subscription_state


def _namespace(name: str) -> str:
    known = next((n for n in KNOWN_NAMESPACES if n.lower() == name.lower()), None)
    if known is None:
        raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{name}' is invalid.")
    return known


def provider_body(subscription_id: str, namespace: str, state: str) -> dict[str, Any]:
    api_versions = {"microsoft.app": ["2026-07-01", "2025-07-01", "2024-03-01"],
                    "microsoft.storage": ["2026-09-01", "2025-08-01", "2023-05-01"],
                    "microsoft.operationalinsights": ["2025-07-01", "2023-09-01", "2022-10-01"]}[namespace.lower()]
    return {"id": f"/subscriptions/{subscription_id}/providers/{namespace}", "namespace": namespace,
            "registrationState": state, "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [{"resourceType": kind, "locations": list(LOCATIONS.values()), "apiVersions": api_versions,
                               "capabilities": "None"} for kind in _RESOURCE_TYPES[namespace.lower()]]}


def _action(method: str, path: str) -> tuple[str, str, str | None] | None:
    """(action, scope, namespace) a write in a resource group needs, or None for anything else."""
    match = _RG_PATH.match(path)
    if match is None or method not in ("PUT", "PATCH", "DELETE", "POST"):
        return None
    scope = path.rstrip("/")
    if match.group(4) is None:
        if method == "POST":
            return None
        verb = "write" if method in ("PUT", "PATCH") else "delete"
        return f"Microsoft.Resources/subscriptions/resourceGroups/{verb}", scope, None
    namespace = match.group(4)
    parts = [p for p in (match.group(5) or "").split("/") if p]
    kinds = parts[0::2]
    if method == "POST":
        if len(parts) % 2 == 0 or len(parts) < 3:
            return None
        scope = scope.rsplit("/", 1)[0]
        return f"{namespace}/{'/'.join(kinds[:-1])}/{parts[-1]}/action", scope, namespace
    verb = "write" if method in ("PUT", "PATCH") else "delete"
    return f"{namespace}/{'/'.join(kinds)}/{verb}", scope, namespace


def _error(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return web.Response(status=status, text=json.dumps({"error": error}), content_type="application/json",
                        headers={"x-ms-failure-cause": "gateway"})


def unregistered_message(namespace: str) -> str:
    return (f"The subscription is not registered to use namespace '{namespace}'. See https://aka.ms/rps-not-found "
            "for how to register subscriptions.")


def authorization_failed(action: str, scope: str) -> web.Response:
    return _error(403, "AuthorizationFailed",
                  f"The client '{_PRINCIPAL}' with object id '{_PRINCIPAL}' does not have authorization to perform "
                  f"action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, "
                  "please refresh your credentials.")


def _unregistered(state: SubscriptionState, path: str) -> web.Response | None:
    """ARM routes nothing to a provider the subscription is not registered for, reads included."""
    match = _PROVIDER_PATH.match(path.rstrip("/"))
    if match is None or match.group(2).lower() == "register" or state.registered(match.group(1)):
        return None
    canonical = next((n for n in KNOWN_NAMESPACES if n.lower() == match.group(1).lower()), None)
    if canonical is None:
        return None
    message = unregistered_message(canonical)
    return _error(409, "MissingSubscriptionRegistration", message,
                  [{"code": "MissingSubscriptionRegistration", "target": canonical, "message": message}])


def guard(ctx: ArmContext, request: web.Request) -> web.Response | None:
    """ARM's answer before any provider, for a request the subscription or the caller may not make; else None."""
    if (refused := _unregistered(_state(ctx), request.path)) is not None:
        return refused
    found = _action(request.method, request.path)
    if found is None:
        return None
    action, scope, _ = found
    state = _state(ctx)
    if not permits(state.permissions, action):
        return authorization_failed(action, scope)
    parts = request.path.rstrip("/").split("/")
    if (request.method == "PUT" and len(parts) == 9 and parts[6].lower() == "microsoft.storage"
            and parts[7].lower() == "storageaccounts" and parts[8].lower() in state.taken_storage_names):
        return _error(409, "StorageAccountAlreadyTaken", f"The storage account named {parts[8]} is already taken.")
    return None


class SubscriptionChecks:
    """The APIs that say in advance what `guard` refuses: the resource providers' registration (GET, list,
    register), a storage account name's availability, the caller's permissions in a resource group."""

    def __init__(self, ctx: ArmContext) -> None:
        self.ctx = ctx

    async def get_provider(self, req: ArmRequest) -> web.Response:
        sub = self.ctx.subscription(req.params["sub"]).subscription_id
        namespace = _namespace(req.params["ns"])
        registered = _state(self.ctx).registered(namespace)
        return json_response(provider_body(sub, namespace, "Registered" if registered else "NotRegistered"))

    async def list_providers(self, req: ArmRequest) -> web.Response:
        sub = self.ctx.subscription(req.params["sub"]).subscription_id
        state = _state(self.ctx)
        return json_response({"value": [provider_body(sub, n, "Registered" if state.registered(n) else
                                                      "NotRegistered") for n in KNOWN_NAMESPACES]})

    async def register_provider(self, req: ArmRequest) -> web.Response:
        sub = self.ctx.subscription(req.params["sub"]).subscription_id
        namespace = _namespace(req.params["ns"])
        state = _state(self.ctx)
        action = f"{namespace}/register/action"
        if not permits(state.permissions, action):
            return authorization_failed(action, subscription_scope(sub))
        was_registered = state.registered(namespace)
        state.unregistered_providers.discard(namespace.lower())
        # ARM answers while the registration runs; the next GET finds it done here.
        return json_response(provider_body(sub, namespace, "Registered" if was_registered else "Registering"))

    async def check_name_availability(self, req: ArmRequest) -> web.Response:
        self.ctx.subscription(req.params["sub"])
        body = await req.json()
        name, kind = body.get("name"), body.get("type")
        if not isinstance(name, str) or str(kind).lower() != STORAGE_ACCOUNT.type.lower():
            raise ArmError(400, "InvalidRequestContent",
                           "The request content was invalid: expected {\"name\": <string>, \"type\": "
                           "\"Microsoft.Storage/storageAccounts\"}.")
        if check_name(ResourceKind.storage_account, name) is not None:
            return json_response({"nameAvailable": False, "reason": "AccountNameInvalid",
                                  "message": f"{name} is not a valid storage account name. Storage account name must "
                                             "be between 3 and 24 characters in length and use numbers and "
                                             "lower-case letters only."})
        taken = name.lower() in _state(self.ctx).taken_storage_names or any(
            r.name.lower() == name.lower() for r in self.ctx.store.of_type(STORAGE_ACCOUNT.type))
        if taken:
            return json_response({"nameAvailable": False, "reason": "AlreadyExists",
                                  "message": f"The storage account named {name} is already taken."})
        return json_response({"nameAvailable": True})

    async def permissions(self, req: ArmRequest) -> web.Response:
        if req.api_version not in AUTHORIZATION_VERSIONS:
            raise ArmError(400, "InvalidApiVersionParameter",
                           f"The api-version '{req.api_version}' is invalid. The supported versions are "
                           f"{', '.join(repr(v) for v in AUTHORIZATION_VERSIONS)}.")
        self.ctx.subscription(req.params["sub"])
        if self.ctx.store.get(group_id(req.params["sub"], req.params["rg"])) is None:
            raise resource_group_not_found(req.params["rg"])
        return json_response({"value": [dict(p) for p in _state(self.ctx).permissions]})

    def register(self, router: Router) -> None:
        providers = "/subscriptions/{sub}/providers"
        router.add("GET", providers, self.list_providers, "microsoft.resources")
        router.add("GET", providers + "/{ns}", self.get_provider, "microsoft.resources")
        router.add("POST", providers + "/{ns}/register", self.register_provider, "microsoft.resources")
        router.add("POST", providers + "/Microsoft.Storage/checkNameAvailability", self.check_name_availability,
                   STORAGE_ACCOUNT.provider)
        # Microsoft.Authorization is not one of the emulated providers' version tables: the handler checks its own.
        router.add("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Authorization/permissions",
                   self.permissions, "any")


def register(router: Router, ctx: ArmContext) -> None:
    SubscriptionChecks(ctx).register(router)


def admin_routes(state: SubscriptionState) -> list[web.RouteDef]:
    """`/_emulator/subscription-state`: GET the state, POST a partial one (merged), DELETE back to defaults."""
    from .context import normalize_location

    async def get(request: web.Request) -> web.Response:
        return json_response(state.public())

    async def post(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            state.update(body, normalize_location)
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(state.public())

    async def delete(request: web.Request) -> web.Response:
        state.reset()
        return web.Response(status=204)

    path = "/_emulator/subscription-state"
    return [web.get(path, get), web.post(path, post), web.delete(path, delete)]
