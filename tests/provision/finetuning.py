"""A workspace prepared as the fine-tuning project leaves it: its config and parameters files, and its
storage account, share, Log Analytics workspace and environment created in Azure (here: the emulator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.provision.arm import ArmProbe


def prepare_finetuning(emulator: Any, root: Path, group: str) -> dict[str, str]:
    suffix = group.replace("rg-", "").replace("-", "")[:8]
    names = {"storageAccountName": f"ftstore{suffix}", "fileShareName": f"ft-share-{suffix}",
             "acaEnvironmentName": f"ft-env-{suffix}", "acaEnvironmentStorageName": f"ftenvstorage{suffix}",
             "acaLogAnalyticsName": f"ft-logs-{suffix}"}
    arm = ArmProbe(emulator)
    arm.ensure_group(group)
    storage = arm.storage()
    storage.storage_accounts.begin_create(group, names["storageAccountName"], {
        "location": "westus3", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}).result()
    storage.file_shares.create(group, names["storageAccountName"], names["fileShareName"], {"properties": {}})
    logs = arm.logs()
    workspace = logs.workspaces.begin_create_or_update(group, names["acaLogAnalyticsName"], {
        "location": "westus3", "properties": {"sku": {"name": "PerGB2018"}}}).result()
    key = logs.shared_keys.get_shared_keys(group, names["acaLogAnalyticsName"]).primary_shared_key
    arm.apps().managed_environments.begin_create_or_update(group, names["acaEnvironmentName"], {
        "location": "westus3", "properties": {
            "appLogsConfiguration": {"destination": "log-analytics", "logAnalyticsConfiguration": {
                "customerId": workspace.properties.customer_id, "sharedKey": key}},
            "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"},
                                 {"name": "GPU", "workloadProfileType": "NC24-A100", "minimumCount": 0,
                                  "maximumCount": 1}]}}).result()
    infra = root / "infra" / "provision"
    infra.mkdir(parents=True, exist_ok=True)
    (root / "infra" / "finetuning.config.json").write_text(json.dumps({
        "SUBSCRIPTION_ID": emulator.subscription_id, "RESOURCE_GROUP_NAME": group,
        "STORAGE_ACCOUNT_NAME": names["storageAccountName"], "FILE_SHARE_NAME": names["fileShareName"],
        "ACA_JOB_NAME": f"ft-job-{suffix}", "COMMANDS": ["cd /mount", "python3 finetuning/invoke_olive.py"]}, indent=2))
    (infra / "finetuning.parameters.json").write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {k: {"value": v} for k, v in names.items()}}, indent=2))
    return names
