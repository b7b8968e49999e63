"""Microsoft.App container apps: create/update/delete (long-running), secrets, auth tokens, revisions and
replicas. What runs is the runtime's business; this module records desired state and renders live state."""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import string
import time
from typing import Any

from aiohttp import web

from ..resource_types import CONTAINER_APP, CONTAINER_APP_TOKEN, REVISION
from ..store import Operation, Record
from .app_shapes import fill_configuration, fill_template, read_body
from .app_validation import AppSpec, malformed, validate_app
from .bodies import system_data
from .context import ArmContext
from .errors import ArmError
from .operations import iso, json_response
from .revisions import register_revisions
from .routing import ArmRequest, Router
from .tracked import TrackedResource, operation_resource
from .traffic_rules import check_traffic

APP_TYPE = CONTAINER_APP.type
REVISION_TYPE = REVISION.type
TOKEN_LIFETIME = 6 * 3600


def _merge(base: Any, patch: Any) -> Any:
    """JSON merge for PATCH: objects merge, everything else (lists included) replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base.get(key), value) if value is not None else None
        return {k: v for k, v in merged.items() if v is not None}
    return copy.deepcopy(patch)


def _fingerprint(template: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()


def _suffix() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))


class ContainerApps(TrackedResource):
    """The container app provider: PUT and PATCH (long-running, a new revision when the template changes),
    DELETE, secrets, auth tokens; revisions and replicas (revisions.py)."""

    def __init__(self, ctx: ArmContext) -> None:
        super().__init__(ctx, CONTAINER_APP, "app", render=self.render_app)

    # hooks
    def validate(self, sub: str, location: str, properties: Any, old_secrets: dict[str, str]) -> AppSpec:
        """ACA's rules (app_validation.py); a body shaped beyond them is ARM's 400, never our 500."""
        if not isinstance(properties, dict):
            raise ArmError(400, "ContainerAppInvalidSchema", "properties is required.")
        try:
            return validate_app(self.ctx, sub, location, properties, old_secrets)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:  # a shape no rule foresaw
            raise malformed(f"{type(exc).__name__} reading the container app's properties.") from None

    def build_body(self, req: ArmRequest, body: dict[str, Any], spec: AppSpec, existing: Record | None,
                   record_id: str, revision_name: str, fingerprint: str) -> Record:
        """The app's record as a PUT (or PATCH) leaves it: InProgress until on_finish."""
        ctx, properties = self.ctx, spec.properties
        group = self.place(req)[0]
        name = existing.name if existing else req.params["app"]
        configuration = copy.deepcopy(properties.get("configuration") or {})
        configuration.pop("secrets", None)
        configuration.setdefault("activeRevisionsMode", "Single")
        configuration.setdefault("maxInactiveRevisions", 100)
        if configuration.get("ingress") is not None:
            ingress = configuration["ingress"]
            ingress.setdefault("external", False)
            ingress.setdefault("transport", "Auto")
            ingress.setdefault("allowInsecure", False)
            ingress.setdefault("traffic", [{"weight": 100, "latestRevision": True}])
        environment_id = spec.environment.id
        wire = {
            "id": record_id, "name": name, "type": APP_TYPE, "location": ctx.location(body),
            "tags": body.get("tags") if body.get("tags") is not None else (existing.body.get("tags") if existing else {}),
            "systemData": system_data(existing.body.get("systemData") if existing else None, iso()),
            "properties": {
                "provisioningState": "InProgress", "runningStatus": "Running",
                "managedEnvironmentId": environment_id, "environmentId": environment_id,
                # Azure answers null where the environment has no profiles (Consumption only).
                "workloadProfileName": properties.get("workloadProfileName") or (
                    "Consumption" if spec.environment.body["properties"].get("workloadProfiles") else None),
                "outboundIpAddresses": ["127.0.0.1"],
                "latestRevisionName": revision_name, "latestRevisionFqdn": "",
                "customDomainVerificationId": hashlib.sha256(record_id.lower().encode()).hexdigest().upper(),
                "configuration": configuration, "template": copy.deepcopy(properties["template"]),
                "eventStreamEndpoint": f"{ctx.base_url}/subscriptions/{req.params['sub']}/resourceGroups/"
                                       f"{group.name}/containerApps/{name}/eventstream",
            },
        }
        if body.get("identity"):
            wire["identity"] = body["identity"]
        return Record(id=record_id, type=APP_TYPE, body=wire, parent=group.id,
                      internal={"secrets": spec.secret_values, "fingerprint": fingerprint})

    async def on_finish(self, op: Operation) -> None:
        """A create or update is over: its new revision is provisioned and runs, or the runtime catches up."""
        record = self.mark_succeeded(op)
        if record is None:
            return
        revision = self.ctx.store.get(REVISION.child_id(record.id, record.body["properties"]["latestRevisionName"]))
        if revision is not None and revision.body["properties"].get("provisioningState") != "Provisioned":
            revision.body["properties"]["provisioningState"] = "Provisioned"
            self.ctx.store.put(revision)
            await self.ctx.runtime.activate(record.id, revision.name)
        else:
            await self.ctx.runtime.reconcile(record.id)

    async def on_deleted(self, op: Operation) -> None:
        await self.ctx.runtime.remove_app(operation_resource(op))
        await self.finish_delete(op)

    def render_app(self, record: Record) -> dict[str, Any]:
        ctx = self.ctx
        body = copy.deepcopy(record.body)
        body.setdefault("identity", {"type": "None"})
        props = body["properties"]
        props["configuration"] = configuration = fill_configuration(props.get("configuration") or {})
        props["template"] = fill_template(props.get("template") or {})
        props.setdefault("patchingMode", "Automatic")
        props.setdefault("delegatedIdentities", [])
        configuration["secrets"] = [{"name": n} for n in record.internal.get("secrets", {})]
        port = ctx.runtime.port_for(record.id)
        fqdn = f"127.0.0.1:{port}"
        if configuration.get("ingress") is not None:
            configuration["ingress"]["fqdn"] = fqdn
            latest = props.get("latestRevisionName")
            # ACA: the latest revision's own FQDN (<app>--<suffix>.<domain>); here its own loopback port.
            props["latestRevisionFqdn"] = ctx.runtime.revision_fqdn(record.id, latest) if latest else fqdn
        else:
            props["latestRevisionFqdn"] = ""
        # ACA keeps naming the last revision that was ready until a newer one is (an update in progress, a
        # revision that never starts); "" before any was.
        props["latestReadyRevisionName"] = self.latest_ready(record) or ""
        props["runningStatus"] = "Running" if ctx.runtime.is_running(record.id) else "Stopped"
        return body

    def latest_ready(self, record: Record) -> str | None:
        ready = self.ctx.runtime.latest_ready_revision(record.id)
        if ready is None and not self.ctx.settings.run_apps:  # nothing runs: a provisioned revision counts as ready
            provisioned = [r for r in self.ctx.store.children(record.id, REVISION_TYPE)
                           if r.body["properties"].get("provisioningState") == "Provisioned"]
            ready = max(provisioned, key=lambda r: r.created).name if provisioned else None
        return ready

    # writes
    async def write(self, req: ArmRequest, body: dict[str, Any], existing: Record | None, *,
                    patch: bool) -> web.Response:
        ctx = self.ctx
        sub = req.params["sub"]
        _, new_id = self.place(req, for_write=True)
        body = read_body(body)
        location = ctx.location(body)
        spec = self.validate(sub, location, body.get("properties"),
                             existing.internal.get("secrets", {}) if existing else {})
        record_id = existing.id if existing else new_id
        template = spec.properties["template"]
        revision_name = existing.body["properties"].get("latestRevisionName") if existing else None
        fingerprint = _fingerprint(template)
        new_revision = existing is None or existing.internal.get("fingerprint") != fingerprint
        if new_revision:
            revision_name = f"{existing.name if existing else req.params['app']}--" \
                            f"{template.get('revisionSuffix') or _suffix()}"
            if ctx.store.get(REVISION.child_id(record_id, revision_name)) is not None:
                raise ArmError(400, "ContainerAppRevisionSuffixConflict",
                               f"Revision '{revision_name}' already exists; use a new revisionSuffix.")
        ingress = (spec.properties.get("configuration") or {}).get("ingress")
        if ingress is not None:
            check_traffic(ingress, existing={r.name.lower() for r in ctx.store.children(record_id, REVISION_TYPE)},
                          creating=revision_name if new_revision else None)
        record = ctx.store.put(self.build_body(req, body, spec, existing, record_id, str(revision_name),
                                               fingerprint))
        ctx.runtime.port_for(record_id)
        if new_revision:
            revision_id = REVISION.child_id(record_id, str(revision_name))
            ctx.store.put(Record(id=revision_id, type=REVISION_TYPE, parent=record_id, body={
                "id": revision_id, "name": revision_name, "type": REVISION_TYPE,
                "properties": {"createdTime": iso(), "template": copy.deepcopy(template),
                               "provisioningState": "Provisioning"}}))
        op = await ctx.operations.start(APP_TYPE, record_id, "update" if existing else "create",
                                        ctx.settings.scaled("container_app_update" if existing else "container_app"))
        if op is None:
            return json_response(self.render_app(ctx.store.require(record_id)), 200 if patch else 201)
        if patch:  # as recorded: 202 and Location only
            return ctx.accepted(op, subscription_id=sub, namespace=CONTAINER_APP.namespace, location=location,
                                api_version=req.api_version, status=202, body=None, async_header=False,
                                location_header=True)
        # A PUT answers 201 whether it creates or updates (recorded), with Azure-AsyncOperation.
        return ctx.accepted(op, subscription_id=sub, namespace=CONTAINER_APP.namespace, location=location,
                            api_version=req.api_version, status=201, body=self.render_app(record))

    @staticmethod
    def check_idle(existing: Record | None) -> None:
        if existing is not None and existing.body["properties"]["provisioningState"] in ("InProgress", "Deleting"):
            raise ArmError(409, "ContainerAppOperationInProgress",
                           f"Cannot modify a container app '{existing.name}' because there is a pending operation "
                           "on it. Retry when it has finished.")

    # handlers
    async def put(self, req: ArmRequest) -> web.Response:
        _, record_id = self.place(req, for_write=True)
        self.check_name(req, "ContainerAppInvalidName")
        body = await req.json()
        existing = self.ctx.store.get(record_id)
        self.check_idle(existing)
        return await self.write(req, body, existing, patch=False)

    async def patch(self, req: ArmRequest) -> web.Response:
        existing = self.find(req)
        self.check_idle(existing)
        patch = await req.json()
        current = copy.deepcopy(existing.body)
        current["properties"]["configuration"]["secrets"] = [
            {"name": n, "value": v} for n, v in existing.internal.get("secrets", {}).items()]
        return await self.write(req, _merge(current, patch), existing, patch=True)

    async def delete(self, req: ArmRequest) -> web.Response:
        record = self.get_record(req)
        if record is None:
            return web.Response(status=204)
        if record.body["properties"]["provisioningState"] == "Deleting":
            raise ArmError(409, "ContainerAppOperationInProgress", f"Container app '{req.params['app']}' is being "
                                                                   "deleted.")
        return await self.begin_delete(req, record, state="Deleting", duration="container_app_delete")

    async def list_secrets(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        return json_response({"value": [{"name": n, "value": v} for n, v in record.internal.get("secrets", {}).items()]})

    async def auth_token(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        tokens = self.ctx.app_tokens
        token = secrets.token_urlsafe(32)
        now = time.time()
        expires = now + TOKEN_LIFETIME
        for stale in [t for t, (_, exp) in tokens.items() if exp < now]:
            tokens.pop(stale, None)
        tokens[token] = (record.id.lower(), expires)
        return json_response({"id": record.id, "name": record.name, "type": CONTAINER_APP_TOKEN.type,
                              "location": record.body["location"],
                              "properties": {"token": token, "expires": iso(expires)}})

    def register(self, router: Router) -> None:
        base = CONTAINER_APP.collection
        self.register_finishers()
        self.add_routes(router, base, delete=self.delete)
        router.add("PUT", base + "/{app}", self.put, CONTAINER_APP.provider)
        router.add("PATCH", base + "/{app}", self.patch, CONTAINER_APP.provider)
        router.add("POST", base + "/{app}/listSecrets", self.list_secrets, CONTAINER_APP.provider)
        router.add("POST", base + "/{app}/getAuthtoken", self.auth_token, CONTAINER_APP.provider)
        register_revisions(router, self.ctx, base, self.find)


def register(router: Router, ctx: ArmContext) -> None:
    ContainerApps(ctx).register(router)
