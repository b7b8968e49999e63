"""The storage account key a deploy, rollback and status reach the share with (the app itself is read through
azure/container_apps.py)."""

from __future__ import annotations

from ...azure.arm_resources import as_arm_json
from ...azure.errors import azure_error, is_not_found
from ...azure.session import AzureSession
from ...errors import InputError
from ...workspace.paths import INFERENCE_CONFIG


async def account_key(session: AzureSession, subscription: str, group: str, account: str) -> str:
    try:
        keys = as_arm_json(await session.storage(subscription).storage_accounts.list_keys(group, account))
    except Exception as error:
        if is_not_found(error):
            raise InputError(f"{INFERENCE_CONFIG}: STORAGE_ACCOUNT_NAME: storage account '{account}' was not found in "
                             f"resource group '{group}'; run provision or correct the value.") from None
        raise azure_error(error, f"reading the keys of storage account {account}") from None
    return str(keys["keys"][0]["value"])
