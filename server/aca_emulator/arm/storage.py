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


class StorageAccounts(TrackedResource):
    """The storage account provider: accounts (create long-running, 202 + Location), keys, the file service and
    its shares (a share is a folder of the Files side's store)."""

    def __init__(self, ctx: ArmContext) -> None:
        super().__init__(ctx, STORAGE_ACCOUNT, "account")
        self.shares = self.ctx.shares  # the share folders: <data_dir>/shares/<account>/<share>, the Files side's store

    async def create_account(self, req: ArmRequest) -> web.Response:
        sub, group, record_id, name, body, location = await self.read_put(req, "AccountNameInvalid")
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
        for other in self.ctx.store.of_type(ACCOUNT_TYPE):
            if other.name.lower() == name.lower() and other.id.lower() != record_id.lower():
                raise ArmError(409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken.")
        properties = without_nulls(dict(body.get("properties") or {}))
        existing = self.ctx.store.get(record_id)
        if existing is not None:
            if existing.body["properties"]["provisioningState"] != "Succeeded":
                raise ArmError(409, "StorageAccountOperationInProgress",
                               f"An operation is currently performing on this storage account '{name}' that requires "
                               "exclusive access.")
            read_only = {k: existing.body["properties"][k] for k in READ_ONLY_ACCOUNT if k in existing.body["properties"]}
            existing.body["properties"] = {**merged(existing.body["properties"], properties), **read_only}
            existing.body["tags"] = body.get("tags") or existing.body.get("tags") or {}
            self.ctx.store.put(existing)
            return json_response(existing.body, 200)
        files_url = f"{self.ctx.files_endpoint}/{name}/"
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
        self.ctx.store.put(Record(id=record_id, type=ACCOUNT_TYPE, body=record_body,
                             internal={"keys": [_new_key("key1"), _new_key("key2")]}, parent=group.id))
        op = await self.ctx.operations.start(ACCOUNT_TYPE, record_id, "create", self.ctx.settings.scaled("storage_account"))
        if op is None:
            return json_response(self.ctx.store.require(record_id).body, 200)
        return self.ctx.accepted(op, subscription_id=sub, namespace=STORAGE_ACCOUNT.namespace, location=location,
                            api_version=req.api_version, status=202, body=None, async_header=False,
                            location_header=True)

    # ids, by type: <account>/fileServices/default[/shares/<share>]
    @staticmethod
    def service_id(record: Record) -> str:
        return FILE_SERVICE.child_id(record.id, "default")

    def share_id(self, record: Record, share: str) -> str:
        return FILE_SHARE.child_id(self.service_id(record), share)

    async def on_finish(self, op: Operation) -> None:
        """The account exists: its share folder too."""
        record = self.mark_succeeded(op)
        if record is not None:
            self.shares.add_account(record.name)

    async def delete_account(self, req: ArmRequest) -> web.Response:
        return await self.delete_now(req, then=lambda record: self.shares.remove_account(record.name))

    async def list_keys(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        if record.body["properties"]["provisioningState"] != "Succeeded":
            raise ArmError(409, "StorageAccountIsNotProvisioned",
                           "The storage account provisioning state must be 'Succeeded' before executing the "
                           "operation.")
        return json_response({"keys": record.internal["keys"]})

    # File shares
    def share_body(self, record: Record, share: str) -> dict[str, Any]:
        share_id = self.share_id(record, share)
        stored = self.ctx.store.get(share_id)
        properties = dict(stored.body["properties"]) if stored else {}
        modified = self.shares.share_modified(record.name, share) or time.time()
        properties.setdefault("shareQuota", 102400)
        properties.setdefault("enabledProtocols", "SMB")
        properties.setdefault("accessTier", "TransactionOptimized")
        properties.update({"lastModifiedTime": iso(modified), "leaseStatus": "unlocked", "leaseState": "available"})
        return {"id": share_id, "name": share, "type": SHARE_TYPE,
                "etag": stored.body.get("etag") if stored else _etag(), "properties": properties}

    def share_properties(self, body: dict[str, Any]) -> dict[str, Any]:
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

    async def create_share(self, req: ArmRequest) -> web.Response:
        """PUT creates the share, or updates the one there (a template deployed twice converges)."""
        record = self.find(req, child=FILE_SHARE)
        share = req.params["share"]
        self.ctx.check_name(ResourceKind.file_share, share, "InvalidResourceName")
        properties = self.share_properties(without_nulls(await req.json_or_empty()))
        share_id = self.share_id(record, share)
        stored = self.ctx.store.get(share_id)
        if self.shares.has_share(record.name, share):
            if stored is not None:
                properties = {**stored.body["properties"], **properties}
            self.ctx.store.put(Record(id=share_id, type=SHARE_TYPE, parent=record.id,
                                 body={"etag": stored.body.get("etag") if stored else _etag(),
                                       "properties": properties}))
            return json_response(self.share_body(record, share), 200)
        self.shares.add_share(record.name, share)
        self.ctx.store.put(Record(id=share_id, type=SHARE_TYPE, body={"etag": _etag(), "properties": properties},
                             parent=record.id))
        return json_response(self.share_body(record, share), 201)

    # The file service (one per account, named "default"): soft delete, CORS, SMB settings.
    def file_service_body(self, record: Record) -> dict[str, Any]:
        stored = self.ctx.store.get(self.service_id(record))
        properties = merged(FILE_SERVICE_DEFAULTS, stored.body["properties"] if stored else {})
        return {"id": self.service_id(record), "name": "default", "type": FILE_SERVICE_TYPE,
                "sku": record.body["sku"], "properties": properties}

    async def put_file_service(self, req: ArmRequest) -> web.Response:
        record = self.find(req, child=FILE_SERVICE)
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
        service_id = self.service_id(record)
        stored = self.ctx.store.get(service_id)
        kept = merged(stored.body["properties"] if stored else {}, properties)
        self.ctx.store.put(Record(id=service_id, type=FILE_SERVICE_TYPE, parent=record.id, body={"properties": kept}))
        return json_response(self.file_service_body(record), 200)

    async def get_file_service(self, req: ArmRequest) -> web.Response:
        return json_response(self.file_service_body(self.find(req)))

    async def list_file_services(self, req: ArmRequest) -> web.Response:
        return json_response({"value": [self.file_service_body(self.find(req))]})

    async def get_share(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        share = req.params["share"]
        if not self.shares.has_share(record.name, share):
            raise ArmError(404, "ShareNotFound", "The specified share does not exist.")
        return json_response(self.share_body(record, share))

    async def delete_share(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        share = req.params["share"]
        self.ctx.store.delete(self.share_id(record, share))
        return web.Response(status=200 if self.shares.remove_share(record.name, share) else 204)

    async def list_shares(self, req: ArmRequest) -> web.Response:
        record = self.find(req)
        return json_response({"value": [self.share_body(record, n) for n in self.shares.share_names(record.name)]})

    def register(self, router: Router) -> None:
        base = STORAGE_ACCOUNT.collection
        self.register_finishers(("create",))  # deletes and updates of an account finish at once
        self.add_routes(router, base, delete=self.delete_account)
        router.add("PUT", base + "/{account}", self.create_account, STORAGE_ACCOUNT.provider)
        router.add("POST", base + "/{account}/listKeys", self.list_keys, STORAGE_ACCOUNT.provider)
        router.add("GET", base + "/{account}/fileServices", self.list_file_services, STORAGE_ACCOUNT.provider)
        router.add("PUT", base + "/{account}/fileServices/default", self.put_file_service, STORAGE_ACCOUNT.provider)
        router.add("GET", base + "/{account}/fileServices/default", self.get_file_service, STORAGE_ACCOUNT.provider)
        router.add_collection(base + "/{account}/fileServices/default/shares", "share", STORAGE_ACCOUNT.provider,
                              list=self.list_shares, get=self.get_share, put=self.create_share, delete=self.delete_share)


def register(router: Router, ctx: ArmContext) -> None:
    StorageAccounts(ctx).register(router)
