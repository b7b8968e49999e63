"""A storage account on the emulator for Files tests: created through ARM (azure-mgmt-storage), its keys from
listKeys, its data plane at `<files_endpoint>/<account>`. Also the emulator's admin routes tests use:
the request log (what request-count assertions read) and fault injection."""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class _StaticToken:
    """The emulator accepts any well-formed bearer token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("local-test-token", int(time.time()) + 3600)


@dataclass(frozen=True)
class FilesEndpoint:
    endpoint: str  # https://127.0.0.1:PORT (the emulator's files port)
    account: str
    key: str
    ca_path: str
    shares_root: Path
    secondary_key: str
    management_endpoint: str

    @property
    def account_url(self) -> str:
        return f"{self.endpoint}/{self.account}"

    @property
    def credential(self) -> dict[str, str]:
        return {"account_name": self.account, "account_key": self.key}

    def share_dir(self, share: str) -> Path:
        return self.shares_root / self.account / share

    # -- the emulator's admin routes ----------------------------------------------------------------------------
    def admin(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(f"{self.management_endpoint}/_emulator/{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=self.ca_path)
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def last_request(self) -> int:
        return self.admin("GET", "requests?since=999999999")["last"]

    def requests_since(self, seq: int) -> list[dict[str, Any]]:
        """Requests the files port answered after `seq` (method, path, query, status)."""
        return [r for r in self.admin("GET", f"requests?since={seq}")["requests"] if r["port"] == "files"]

    def add_fault(self, **spec: Any) -> int:
        return self.admin("POST", "faults", {"port": "files", **spec})["id"]

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")


def create_account(info: Any, *, location: str = "westus3") -> FilesEndpoint:
    """A fresh resource group + storage account on a running emulator (`EmulatorInfo`)."""
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient

    options = {"base_url": info.management_endpoint, "connection_verify": info.ca_path,
               "credential_scopes": [f"{info.management_endpoint}/.default"]}
    suffix = uuid.uuid4().hex[:8]
    group, account = f"rg-files-{suffix}", f"stfiles{suffix}"
    ResourceManagementClient(_StaticToken(), info.subscription_id, **options).resource_groups.create_or_update(
        group, {"location": location})
    storage = StorageManagementClient(_StaticToken(), info.subscription_id, **options)
    storage.storage_accounts.begin_create(group, account, {"location": location, "sku": {"name": "Standard_LRS"},
                                                           "kind": "StorageV2"}).result()
    keys = [key["value"] for key in storage.storage_accounts.list_keys(group, account).as_dict()["keys"]]
    return FilesEndpoint(info.files_endpoint, account, keys[0], info.ca_path, Path(info.data_dir) / "shares", keys[1],
                         info.management_endpoint)
