"""Microsoft.App container apps: create/update/delete (long-running), secrets, auth tokens, revisions and
replicas. What runs is the runtime's business; this module records desired state and renders live state."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
import string
import time
from typing import Any

from aiohttp import web

from ..resource_types import CONTAINER_APP, CONTAINER_APP_TOKEN, ENVIRONMENT_STORAGE, MANAGED_ENVIRONMENT, REVISION
from ..store import Operation, Record
from .context import ArmContext, normalize_location
from .errors import ArmError
from .gpu_rules import check_one_gpu_per_replica
from .operations import iso, json_response
from .revisions import register_revisions
from .routing import ArmRequest, Router
from .tracked import TrackedResource, operation_resource
from .traffic_rules import check_traffic

APP_TYPE = CONTAINER_APP.type
REVISION_TYPE = REVISION.type
ENV_TYPE = MANAGED_ENVIRONMENT.type
STORAGE_TYPE = ENVIRONMENT_STORAGE.type
SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$|^[a-z0-9]$")
CONTAINER_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
PROBE_TYPES = {"Liveness", "Readiness", "Startup"}
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


def _bad(message: str, code: str = "ContainerAppInvalidSchema") -> ArmError:
    return ArmError(400, code, message)


# ACA's limits on probe values: field -> (minimum, maximum), per probe type where they differ. Sources: the
# Microsoft.App spec (ContainerAppProbe, 2026-07-01: initialDelaySeconds 1-60, periodSeconds 1-240, timeoutSeconds
# 1-240, successThreshold 1-10 and "must be 1 for liveness and startup"); for failureThreshold the spec still says
# 1-10 while the service answers wider ranges: ContainerAppProbeFailureThresholdOutOfRange "... must be in the
# range of ['1', '30']" (microsoft/azure-container-apps#1100), and readiness up to 48 (ACA's own default), startup
# up to 240 (its default), liveness 30 (hashicorp/terraform-provider-azurerm#31980, #31989, "match Azure API
# actual limits"). Only the FailureThreshold code is confirmed; the others follow its pattern.
PROBE_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "initialDelaySeconds": {"*": (1, 60)},
    "periodSeconds": {"*": (1, 240)},
    "timeoutSeconds": {"*": (1, 240)},
    "successThreshold": {"Readiness": (1, 10), "*": (1, 1)},
    "failureThreshold": {"Liveness": (1, 30), "Readiness": (1, 48), "Startup": (1, 240)},
}


def _check_probes(container: str, probes: Any) -> None:
    """ACA's checks of a container's probes: known types, one of each, an action, values within the limits."""
    if not isinstance(probes, list):
        raise _bad(f"Container '{container}': probes must be an array.")
    seen: set[str] = set()
    for probe in probes:
        ptype = probe.get("type") if isinstance(probe, dict) else None
        # "Only one of each probe type per container" (ACA docs, health probes, restrictions); code unconfirmed.
        if ptype not in PROBE_TYPES or ptype in seen:
            raise _bad(f"Container '{container}': probe type {ptype!r} is not one of Liveness, Readiness, Startup "
                       "or appears twice.", "ContainerAppInvalidProbe")
        seen.add(ptype)
        if not (probe.get("httpGet") or probe.get("tcpSocket")):
            raise _bad(f"Container '{container}': the {ptype} probe needs httpGet or tcpSocket.",
                       "ContainerAppInvalidProbe")
        for field_name, ranges in PROBE_LIMITS.items():
            value = probe.get(field_name)
            if value is None:
                continue
            low, high = ranges.get(ptype, ranges.get("*", (1, 1)))
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                pascal = field_name[0].upper() + field_name[1:]
                raise _bad(f"Container '{container}' '{ptype}' probe's {pascal} must be in the range of "
                           f"['{low}', '{high}'].", f"ContainerAppProbe{pascal}OutOfRange")


class AppSpec:
    """A validated container app request: what the record and the runtime need."""

    def __init__(self, environment: Record, properties: dict[str, Any], secret_values: dict[str, str]) -> None:
        self.environment = environment
        self.properties = properties
        self.secret_values = secret_values


def register(router: Router, ctx: ArmContext) -> None:
    base = CONTAINER_APP.collection
    tokens = ctx.app_tokens

    apps = TrackedResource(ctx, CONTAINER_APP, "app", render=lambda record: render_app(record))
    find_app = apps.find

    # validation
    def validate(sub: str, location: str, properties: dict[str, Any], old_secrets: dict[str, str]) -> AppSpec:
        environment_id = properties.get("environmentId") or properties.get("managedEnvironmentId")
        if not environment_id or not isinstance(environment_id, str):
            raise _bad("properties.environmentId is required: the managed environment's resource id.",
                       "ManagedEnvironmentIdRequired")
        environment = ctx.store.get(environment_id)
        if environment is None or environment.type.lower() != ENV_TYPE.lower() \
                or not environment.id.lower().startswith(f"/subscriptions/{sub.lower()}/"):
            raise ArmError(404, "ManagedEnvironmentNotFound", f"Managed environment '{environment_id}' was not found.")
        if environment.body["properties"]["provisioningState"] not in ("Succeeded", "InfrastructureSetupInProgress"):
            raise ArmError(409, "ManagedEnvironmentNotProvisioned",
                           f"Managed environment '{environment.name}' is not ready "
                           f"(provisioningState {environment.body['properties']['provisioningState']}).")
        if normalize_location(environment.body["location"]) != location:
            raise _bad(f"The container app location '{location}' must be the managed environment's location "
                       f"'{environment.body['location']}'.", "LocationMismatch")
        profile = properties.get("workloadProfileName")
        profiles = environment.body["properties"].get("workloadProfiles") or []
        if profile and not any(str(p["name"]).lower() == str(profile).lower() for p in profiles):
            raise _bad(f"Workload profile '{profile}' does not exist in managed environment '{environment.name}' "
                       f"(it has: {', '.join(p['name'] for p in profiles) or 'none'}).", "WorkloadProfileNotFound")
        check_one_gpu_per_replica(profiles, properties)
        configuration = properties.get("configuration") or {}
        if not isinstance(configuration, dict):
            raise _bad("properties.configuration must be an object.")
        mode = configuration.get("activeRevisionsMode", "Single")
        if mode not in ("Single", "Multiple", "Labels"):
            raise _bad(f"activeRevisionsMode must be Single, Multiple or Labels, got {mode!r}.")
        ingress = configuration.get("ingress")
        if ingress is not None:
            port = ingress.get("targetPort")
            if port is not None and (not isinstance(port, int) or not 1 <= port <= 65535):
                raise _bad(f"ingress.targetPort must be an integer between 1 and 65535, got {port!r}.")
            if ingress.get("transport", "auto") not in ("auto", "http", "http2", "tcp", "Auto", "Http", "Http2", "Tcp"):
                raise _bad(f"ingress.transport {ingress.get('transport')!r} is not one of auto, http, http2, tcp.")
        secret_values: dict[str, str] = {}
        raw_secrets = configuration.get("secrets")
        if raw_secrets is None:
            secret_values = dict(old_secrets)
        else:
            if not isinstance(raw_secrets, list):
                raise _bad("configuration.secrets must be an array.")
            for secret in raw_secrets:
                name = secret.get("name") if isinstance(secret, dict) else None
                if not isinstance(name, str) or len(name) > 253 or not SECRET_NAME.match(name):
                    raise _bad(f"Secret name {name!r} is invalid: lower-case letters, digits, '-' and '.', starting "
                               "and ending with a letter or digit.", "ContainerAppSecretInvalid")
                value = secret.get("value")
                if value is None:
                    if secret.get("keyVaultUrl"):
                        value = ""
                    elif name in old_secrets:
                        value = old_secrets[name]
                    else:
                        raise _bad(f"Secret '{name}' has no value.", "ContainerAppSecretInvalid")
                secret_values[name] = str(value)
        template = properties.get("template")
        if not isinstance(template, dict) or not isinstance(template.get("containers"), list) \
                or not template["containers"]:
            raise _bad("properties.template.containers must list at least one container.")
        volumes = template.get("volumes") or []
        storages = {r.name.lower() for r in ctx.store.children(environment.id, STORAGE_TYPE)}
        volume_names = set()
        for volume in volumes:
            vname = volume.get("name")
            if not vname:
                raise _bad("Every volume needs a name.")
            volume_names.add(vname)
            kind = volume.get("storageType", "EmptyDir")
            if kind not in ("AzureFile", "EmptyDir", "Secret", "NfsAzureFile"):
                raise _bad(f"Volume '{vname}': storageType {kind!r} is not supported.")
            if kind in ("AzureFile", "NfsAzureFile") and str(volume.get("storageName", "")).lower() not in storages:
                raise _bad(f"Volume '{vname}' refers to storage '{volume.get('storageName')}', which does not exist "
                           f"in managed environment '{environment.name}'.", "ManagedEnvironmentStorageNotFound")
        names = set()
        for container in template["containers"]:
            cname = container.get("name")
            if not isinstance(cname, str) or not CONTAINER_NAME.match(cname) or len(cname) > 63:
                raise _bad(f"Container name {cname!r} is invalid: lower-case letters, digits and '-'.")
            if cname in names:
                raise _bad(f"Container name '{cname}' is used twice.")
            names.add(cname)
            if not isinstance(container.get("image"), str) or not container["image"]:
                raise _bad(f"Container '{cname}' needs an image.")
            for key in ("command", "args"):
                if container.get(key) is not None and (not isinstance(container[key], list)
                                                       or not all(isinstance(a, str) for a in container[key])):
                    raise _bad(f"Container '{cname}': {key} must be an array of strings.")
            for variable in container.get("env") or []:
                if not variable.get("name"):
                    raise _bad(f"Container '{cname}': every env entry needs a name.")
                ref = variable.get("secretRef")
                if ref is not None and ref not in secret_values:
                    raise _bad(f"Container '{cname}': env '{variable['name']}' refers to secret '{ref}', which is not "
                               "defined in configuration.secrets.", "ContainerAppSecretRefNotFound")
            for mount in container.get("volumeMounts") or []:
                if mount.get("volumeName") not in volume_names:
                    raise _bad(f"Container '{cname}': volume mount '{mount.get('volumeName')}' has no volume.")
                if not str(mount.get("mountPath", "")).startswith("/"):
                    raise _bad(f"Container '{cname}': mountPath must be an absolute path.")
            _check_probes(cname, container.get("probes") or [])
        scale = template.get("scale") or {}
        low, high = scale.get("minReplicas", 0), scale.get("maxReplicas", 10)
        if not isinstance(low, int) or not isinstance(high, int) or low < 0 or high < 1 or low > high or high > 1000:
            raise _bad(f"scale needs 0 <= minReplicas <= maxReplicas, 1 <= maxReplicas <= 1000 (got {low!r}, {high!r}).")
        return AppSpec(environment, properties, secret_values)

    def render_app(record: Record) -> dict[str, Any]:
        body = copy.deepcopy(record.body)
        props = body["properties"]
        configuration = props.setdefault("configuration", {})
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
        ready = ctx.runtime.latest_ready_revision(record.id)
        if ready:
            props["latestReadyRevisionName"] = ready
        props["runningStatus"] = "Running" if ctx.runtime.is_running(record.id) else "Stopped"
        return body

    async def write_app(req: ArmRequest, body: dict[str, Any], existing: Record | None, *,
                        patch: bool) -> web.Response:
        sub = req.params["sub"]
        group, new_id = apps.place(req, for_write=True)
        name = req.params["app"]
        location = ctx.location(body)
        properties = body.get("properties")
        if not isinstance(properties, dict):
            raise _bad("properties is required.")
        old_secrets = existing.internal.get("secrets", {}) if existing else {}
        spec = validate(sub, location, properties, old_secrets)
        record_id = existing.id if existing else new_id
        template = copy.deepcopy(properties["template"])
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
        revision_name = existing.body["properties"].get("latestRevisionName") if existing else None
        fingerprint = _fingerprint(template)
        new_revision = existing is None or existing.internal.get("fingerprint") != fingerprint
        if new_revision:
            suffix = template.get("revisionSuffix") or _suffix()
            revision_name = f"{name}--{suffix}"
            if ctx.store.get(f"{record_id}/revisions/{revision_name}") is not None:
                raise _bad(f"Revision '{revision_name}' already exists; use a new revisionSuffix.",
                           "ContainerAppRevisionSuffixConflict")
        if configuration.get("ingress") is not None:
            check_traffic(configuration["ingress"], existing={r.name.lower() for r in ctx.store.children(
                record_id, REVISION_TYPE)}, creating=revision_name if new_revision else None)
        environment_id = spec.environment.id
        wire = {
            "id": record_id, "name": existing.name if existing else name, "type": APP_TYPE, "location": location,
            "tags": body.get("tags") if body.get("tags") is not None else (existing.body.get("tags") if existing else {}),
            "systemData": {"createdBy": "local-user", "createdByType": "User",
                           "createdAt": existing.body["systemData"]["createdAt"] if existing else iso(),
                           "lastModifiedBy": "local-user", "lastModifiedByType": "User", "lastModifiedAt": iso()},
            "properties": {
                "provisioningState": "InProgress", "runningStatus": "Running",
                "managedEnvironmentId": environment_id, "environmentId": environment_id,
                "workloadProfileName": properties.get("workloadProfileName") or "Consumption",
                "outboundIpAddresses": ["127.0.0.1"],
                "latestRevisionName": revision_name, "latestRevisionFqdn": "",
                "customDomainVerificationId": hashlib.sha256(record_id.lower().encode()).hexdigest().upper(),
                "configuration": configuration, "template": template,
                "eventStreamEndpoint": f"{ctx.base_url}/subscriptions/{sub}/resourceGroups/{group.name}/"
                                       f"containerApps/{existing.name if existing else name}/eventstream",
            },
        }
        if body.get("identity"):
            wire["identity"] = body["identity"]
        internal = {"secrets": spec.secret_values, "fingerprint": fingerprint}
        record = ctx.store.put(Record(id=record_id, type=APP_TYPE, body=wire, internal=internal, parent=group.id))
        ctx.runtime.port_for(record_id)
        if new_revision:
            revision_id = f"{record_id}/revisions/{revision_name}"
            ctx.store.put(Record(id=revision_id, type=REVISION_TYPE, parent=record_id, body={
                "id": revision_id, "name": revision_name, "type": REVISION_TYPE,
                "properties": {"createdTime": iso(), "template": template, "provisioningState": "Provisioning"}}))
        action = "update" if existing else "create"
        op = await ctx.operations.start(APP_TYPE, record_id, action,
                                        ctx.settings.scaled("container_app_update" if existing else "container_app"))
        if op is None:
            return json_response(render_app(ctx.store.require(record_id)), 200 if existing else 201)
        if patch:
            return ctx.accepted(op, subscription_id=sub, namespace=CONTAINER_APP.namespace, location=location,
                                api_version=req.api_version, status=202, body=None, location_header=True)
        return ctx.accepted(op, subscription_id=sub, namespace=CONTAINER_APP.namespace, location=location,
                            api_version=req.api_version, status=200 if existing else 201, body=render_app(record))

    async def put_app(req: ArmRequest) -> web.Response:
        _, record_id = apps.place(req, for_write=True)
        apps.check_name(req, "ContainerAppInvalidName")
        body = await req.json()
        existing = ctx.store.get(record_id)
        check_idle(existing)
        return await write_app(req, body, existing, patch=False)

    def check_idle(existing: Record | None) -> None:
        if existing is not None and existing.body["properties"]["provisioningState"] in ("InProgress", "Deleting"):
            raise ArmError(409, "ContainerAppOperationInProgress",
                           f"Cannot modify a container app '{existing.name}' because there is a pending operation "
                           "on it. Retry when it has finished.")

    async def patch_app(req: ArmRequest) -> web.Response:
        existing = find_app(req)
        check_idle(existing)
        patch = await req.json()
        current = copy.deepcopy(existing.body)
        current["properties"]["configuration"]["secrets"] = [
            {"name": n, "value": v} for n, v in existing.internal.get("secrets", {}).items()]
        merged = _merge(current, patch)
        return await write_app(req, merged, existing, patch=True)

    async def finish_write(op: Operation) -> None:
        record = apps.mark_succeeded(op)
        if record is None:
            return
        revision = ctx.store.get(f"{record.id}/revisions/{record.body['properties']['latestRevisionName']}")
        if revision is not None and revision.body["properties"].get("provisioningState") != "Provisioned":
            revision.body["properties"]["provisioningState"] = "Provisioned"
            ctx.store.put(revision)
            await ctx.runtime.activate(record.id, revision.name)
        else:
            await ctx.runtime.reconcile(record.id)

    async def finish_delete(op: Operation) -> None:
        await ctx.runtime.remove_app(operation_resource(op))
        await apps.finish_delete(op)

    apps.on_finish("create", finish_write)
    apps.on_finish("update", finish_write)
    apps.on_finish("delete", finish_delete)

    async def delete_app(req: ArmRequest) -> web.Response:
        record = apps.get_record(req)
        if record is None:
            return web.Response(status=204)
        if record.body["properties"]["provisioningState"] == "Deleting":
            raise ArmError(409, "ContainerAppOperationInProgress", f"Container app '{req.params['app']}' is being "
                                                                   "deleted.")
        return await apps.begin_delete(req, record, state="Deleting", duration="container_app_delete")

    async def list_secrets(req: ArmRequest) -> web.Response:
        record = find_app(req)
        return json_response({"value": [{"name": n, "value": v} for n, v in record.internal.get("secrets", {}).items()]})

    async def auth_token(req: ArmRequest) -> web.Response:
        record = find_app(req)
        token = secrets.token_urlsafe(32)
        expires = time.time() + TOKEN_LIFETIME
        now = time.time()
        for stale in [t for t, (_, exp) in tokens.items() if exp < now]:
            tokens.pop(stale, None)
        tokens[token] = (record.id.lower(), expires)
        return json_response({"id": record.id, "name": record.name, "type": CONTAINER_APP_TOKEN.type,
                              "location": record.body["location"],
                              "properties": {"token": token, "expires": iso(expires)}})

    apps.add_routes(router, base, delete=delete_app)
    router.add("PUT", base + "/{app}", put_app, CONTAINER_APP.provider)
    router.add("PATCH", base + "/{app}", patch_app, CONTAINER_APP.provider)
    router.add("POST", base + "/{app}/listSecrets", list_secrets, CONTAINER_APP.provider)
    router.add("POST", base + "/{app}/getAuthtoken", auth_token, CONTAINER_APP.provider)
    register_revisions(router, ctx, base, find_app)
