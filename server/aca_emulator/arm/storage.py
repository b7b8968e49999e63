"""Microsoft.Storage: storage accounts (create is long-running, answered 202 + Location like the real RP),
keys, and file shares (a share is a directory under <data_dir>/shares/<account>/<share>)."""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from typing import Any

from aiohttp import web

from azure_name_rules import ResourceKind

from ..resource_types import FILE_SERVICE, FILE_SHARE, STORAGE_ACCOUNT
from ..store import Operation, Record
from .bodies import merged, without_nulls
from .context import ArmContext
from .errors import ArmError
from .operations import iso, json_response
from .routing import ArmRequest, Router
from .tracked import TrackedResource

ACCOUNT_TYPE = STORAGE_ACCOUNT.type
SHARE_TYPE = FILE_SHARE.type
FILE_SERVICE_TYPE = FILE_SERVICE.type
# A file service nobody configured, as the service answers it (soft delete of shares is on by default, 7 days).
FILE_SERVICE_DEFAULTS: dict[str, Any] = {"protocolSettings": {"smb": {}}, "cors": {"corsRules": []},
                                         "shareDeleteRetentionPolicy": {"enabled": True, "days": 7}}
SKUS = {"Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS",
        "Standard_GZRS", "Standard_RAGZRS", "StandardV2_LRS", "StandardV2_GRS", "StandardV2_ZRS", "StandardV2_GZRS",
        "PremiumV2_LRS", "PremiumV2_ZRS"}
KINDS = {"Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"}
PROTOCOLS = {"SMB", "NFS"}
ACCESS_TIERS = {"TransactionOptimized", "Hot", "Cool", "Premium"}


READ_ONLY_ACCOUNT = ("provisioningState", "creationTime", "primaryLocation", "statusOfPrimary", "keyCreationTime",
                     "primaryEndpoints")


def _new_key(name: str) -> dict[str, str]:
    return {"keyName": name, "value": base64.b64encode(secrets.token_bytes(64)).decode(), "permissions": "Full",
            "creationTime": iso()}


def _etag() -> str:
    return f'"0x8D{uuid.uuid4().hex[:13].upper()}"'


def register(router: Router, ctx: ArmContext) -> None:
    base = STORAGE_ACCOUNT.collection

    accounts = TrackedResource(ctx, STORAGE_ACCOUNT, "account")
    shares = ctx.shares  # the share folders: <data_dir>/shares/<account>/<share>, the Files side's store

    async def create_account(req: ArmRequest) -> web.Response:
        sub, group, record_id, name, body, location = await accounts.read_put(req, "AccountNameInvalid")
        sku = (body.get("sku") or {}).get("name") if isinstance(body.get("sku"), dict) else None
        if sku not in SKUS:
            raise ArmError(400, "InvalidValuesForRequestParameters" if sku else "MissingRequiredProperty",
                           f"Values for request parameters are invalid: sku.name. Expected one of "
                           f"{', '.join(sorted(SKUS))}, got {sku!r}.")
        kind = body.get("kind")
        if kind not in KINDS:
            raise ArmError(400, "InvalidValuesForRequestParameters",
                           f"Values for request parameters are invalid: kind. Expected one of "
                           f"{', '.join(sorted(KINDS))}, got {kind!r}.")
        for other in ctx.store.of_type(ACCOUNT_TYPE):
            if other.name.lower() == name.lower() and other.id.lower() != record_id.lower():
                raise ArmError(409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken.")
        properties = without_nulls(dict(body.get("properties") or {}))
        existing = ctx.store.get(record_id)
        if existing is not None:
            if existing.body["properties"]["provisioningState"] != "Succeeded":
                raise ArmError(409, "StorageAccountOperationInProgress",
                               f"An operation is currently performing on this storage account '{name}' that requires "
                               "exclusive access.")
            read_only = {k: existing.body["properties"][k] for k in READ_ONLY_ACCOUNT if k in existing.body["properties"]}
            existing.body["properties"] = {**merged(existing.body["properties"], properties), **read_only}
            existing.body["tags"] = body.get("tags") or existing.body.get("tags") or {}
            ctx.store.put(existing)
            return json_response(existing.body, 200)
        files_url = f"{ctx.files_endpoint}/{name}/"
        record_body: dict[str, Any] = {
            "id": record_id, "name": name, "type": ACCOUNT_TYPE, "location": location,
            "sku": {"name": sku, "tier": "Premium" if sku.startswith("Premium") else "Standard"}, "kind": kind,
            "tags": body.get("tags") or {},
            "properties": {
                "provisioningState": "Creating", "creationTime": iso(), "primaryLocation": location,
                "statusOfPrimary": "available", "accessTier": properties.get("accessTier", "Hot"),
                "minimumTlsVersion": properties.get("minimumTlsVersion", "TLS1_0"),
                "allowBlobPublicAccess": properties.get("allowBlobPublicAccess", False),
                "supportsHttpsTrafficOnly": properties.get("supportsHttpsTrafficOnly", True),
                "allowSharedKeyAccess": properties.get("allowSharedKeyAccess", True),
                "publicNetworkAccess": properties.get("publicNetworkAccess", "Enabled"),
                "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
                                "defaultAction": "Allow"},
                "encryption": {"services": {"file": {"keyType": "Account", "enabled": True},
                                            "blob": {"keyType": "Account", "enabled": True}},
                               "keySource": "Microsoft.Storage"},
                "keyCreationTime": {"key1": iso(), "key2": iso()},
                "primaryEndpoints": {"file": files_url},
            },
        }
        # What was sent comes back (largeFileSharesState, ...), the read-only fields stay the service's.
        record_body["properties"] = {**merged(record_body["properties"], properties),
                                     **{k: v for k, v in record_body["properties"].items()
                                        if k in READ_ONLY_ACCOUNT}}
        ctx.store.put(Record(id=record_id, type=ACCOUNT_TYPE, body=record_body,
                             internal={"keys": [_new_key("key1"), _new_key("key2")]}, parent=group.id))
        op = await ctx.operations.start(ACCOUNT_TYPE, record_id, "create", ctx.settings.scaled("storage_account"))
        if op is None:
            return json_response(ctx.store.require(record_id).body, 200)
        return ctx.accepted(op, subscription_id=sub, namespace=STORAGE_ACCOUNT.namespace, location=location,
                            api_version=req.api_version, status=202, body=None, async_header=False,
                            location_header=True)

    async def finish_create(op: Operation) -> None:
        record = accounts.mark_succeeded(op)
        if record is not None:
            shares.add_account(record.name)

    accounts.finish_with("create", finish_create)

    async def delete_account(req: ArmRequest) -> web.Response:
        return await accounts.delete_now(req, then=lambda record: shares.remove_account(record.name))

    async def list_keys(req: ArmRequest) -> web.Response:
        record = accounts.find(req)
        if record.body["properties"]["provisioningState"] != "Succeeded":
            raise ArmError(409, "StorageAccountIsNotProvisioned",
                           "The storage account provisioning state must be 'Succeeded' before executing the "
                           "operation.")
        return json_response({"keys": record.internal["keys"]})

    # File shares
    def share_body(record: Record, share: str) -> dict[str, Any]:
        share_id = f"{record.id}/fileServices/default/shares/{share}"
        stored = ctx.store.get(share_id)
        properties = dict(stored.body["properties"]) if stored else {}
        modified = shares.share_modified(record.name, share) or time.time()
        properties.setdefault("shareQuota", 102400)
        properties.setdefault("enabledProtocols", "SMB")
        properties.setdefault("accessTier", "TransactionOptimized")
        properties.update({"lastModifiedTime": iso(modified), "leaseStatus": "unlocked", "leaseState": "available"})
        return {"id": share_id, "name": share, "type": SHARE_TYPE,
                "etag": stored.body.get("etag") if stored else _etag(), "properties": properties}

    def share_properties(body: dict[str, Any]) -> dict[str, Any]:
        properties = body.get("properties") or {}
        if not isinstance(properties, dict):
            raise ArmError(400, "InvalidRequestContent", "properties must be an object")
        quota = properties.get("shareQuota")
        if quota is not None and (not isinstance(quota, int) or not 1 <= quota <= 102400):
            raise ArmError(400, "InvalidValuesForRequestParameters",
                           f"shareQuota must be an integer between 1 and 102400 (GiB), got {quota!r}.")
        if properties.get("enabledProtocols", "SMB") not in PROTOCOLS:
            raise ArmError(400, "InvalidValuesForRequestParameters",
                           f"enabledProtocols must be SMB or NFS, got {properties.get('enabledProtocols')!r}.")
        if properties.get("accessTier", "TransactionOptimized") not in ACCESS_TIERS:
            raise ArmError(400, "InvalidValuesForRequestParameters",
                           f"accessTier must be one of {', '.join(sorted(ACCESS_TIERS))}.")
        allowed = ("shareQuota", "enabledProtocols", "accessTier", "metadata", "rootSquash")
        return {k: properties[k] for k in allowed if k in properties}

    async def create_share(req: ArmRequest) -> web.Response:
        """PUT creates the share, or updates the one there (a template deployed twice converges)."""
        record = accounts.find(req, child=FILE_SHARE)
        share = req.params["share"]
        ctx.check_name(ResourceKind.file_share, share, "InvalidResourceName")
        properties = share_properties(without_nulls(await req.json_or_empty()))
        share_id = f"{record.id}/fileServices/default/shares/{share}"
        stored = ctx.store.get(share_id)
        if shares.has_share(record.name, share):
            if stored is not None:
                properties = {**stored.body["properties"], **properties}
            ctx.store.put(Record(id=share_id, type=SHARE_TYPE, parent=record.id,
                                 body={"etag": stored.body.get("etag") if stored else _etag(),
                                       "properties": properties}))
            return json_response(share_body(record, share), 200)
        shares.add_share(record.name, share)
        ctx.store.put(Record(id=share_id, type=SHARE_TYPE, body={"etag": _etag(), "properties": properties},
                             parent=record.id))
        return json_response(share_body(record, share), 201)

    # The file service (one per account, named "default"): soft delete, CORS, SMB settings.
    def file_service_body(record: Record) -> dict[str, Any]:
        stored = ctx.store.get(f"{record.id}/fileServices/default")
        properties = merged(FILE_SERVICE_DEFAULTS, stored.body["properties"] if stored else {})
        return {"id": f"{record.id}/fileServices/default", "name": "default", "type": FILE_SERVICE_TYPE,
                "sku": record.body["sku"], "properties": properties}

    async def put_file_service(req: ArmRequest) -> web.Response:
        record = accounts.find(req, child=FILE_SERVICE)
        body = without_nulls(await req.json())
        properties = body.get("properties") or {}
        if not isinstance(properties, dict):
            raise ArmError(400, "InvalidRequestContent", "properties must be an object")
        retention = properties.get("shareDeleteRetentionPolicy") or {}
        days = retention.get("days")
        if retention.get("enabled") and days is not None and (not isinstance(days, int) or not 1 <= days <= 365):
            raise ArmError(400, "InvalidValuesForRequestParameters",
                           f"Values for request parameters are invalid: shareDeleteRetentionPolicy.days must be "
                           f"between 1 and 365, got {days!r}.")
        service_id = f"{record.id}/fileServices/default"
        stored = ctx.store.get(service_id)
        kept = merged(stored.body["properties"] if stored else {}, properties)
        ctx.store.put(Record(id=service_id, type=FILE_SERVICE_TYPE, parent=record.id, body={"properties": kept}))
        return json_response(file_service_body(record), 200)

    async def get_file_service(req: ArmRequest) -> web.Response:
        return json_response(file_service_body(accounts.find(req)))

    async def list_file_services(req: ArmRequest) -> web.Response:
        return json_response({"value": [file_service_body(accounts.find(req))]})

    async def get_share(req: ArmRequest) -> web.Response:
        record = accounts.find(req)
        share = req.params["share"]
        if not shares.has_share(record.name, share):
            raise ArmError(404, "ShareNotFound", "The specified share does not exist.")
        return json_response(share_body(record, share))

    async def delete_share(req: ArmRequest) -> web.Response:
        record = accounts.find(req)
        share = req.params["share"]
        ctx.store.delete(f"{record.id}/fileServices/default/shares/{share}")
        return web.Response(status=200 if shares.remove_share(record.name, share) else 204)

    async def list_shares(req: ArmRequest) -> web.Response:
        record = accounts.find(req)
        return json_response({"value": [share_body(record, n) for n in shares.share_names(record.name)]})

    accounts.add_routes(router, base, delete=delete_account)
    router.add("PUT", base + "/{account}", create_account, STORAGE_ACCOUNT.provider)
    router.add("POST", base + "/{account}/listKeys", list_keys, STORAGE_ACCOUNT.provider)
    router.add("GET", base + "/{account}/fileServices", list_file_services, STORAGE_ACCOUNT.provider)
    router.add("PUT", base + "/{account}/fileServices/default", put_file_service, STORAGE_ACCOUNT.provider)
    router.add("GET", base + "/{account}/fileServices/default", get_file_service, STORAGE_ACCOUNT.provider)
    router.add_collection(base + "/{account}/fileServices/default/shares", "share", STORAGE_ACCOUNT.provider,
                          list=list_shares, get=get_share, put=create_share, delete=delete_share)
