"""Microsoft.App managed environment storages (Azure Files shares an environment's apps mount): a child
provider of the environment. As recorded, a PUT answers 200 whether it creates or replaces, the account key is
never returned, and a missing storage is Microsoft.App's own 404."""

from __future__ import annotations

from typing import Any

from ..resource_types import ENVIRONMENT_STORAGE
from ..store import Record
from .app_shapes import read_body
from .child import ChildResource
from .context import ArmContext
from .errors import ArmError
from .routing import ArmRequest
from .tracked import TrackedResource

AZURE_FILE_KEYS = ("accountName", "accountKey", "shareName", "accessMode")


class EnvironmentStorages(ChildResource):
    invalid_name_code = "ManagedEnvironmentStorageInvalidName"

    def __init__(self, ctx: ArmContext, environments: TrackedResource) -> None:
        super().__init__(ctx, ENVIRONMENT_STORAGE, environments, "storage")

    def validate(self, req: ArmRequest, parent: Record, body: dict[str, Any]) -> dict[str, Any]:
        azure_file = (read_body(body).get("properties") or {}).get("azureFile")
        if not isinstance(azure_file, dict):
            raise ArmError(400, "InvalidRequestContent", "properties.azureFile is required (the Azure Files share).")
        missing = [k for k in AZURE_FILE_KEYS if not azure_file.get(k)]
        if missing:
            raise ArmError(400, "InvalidRequestContent", f"properties.azureFile is missing {', '.join(missing)}.")
        if azure_file["accessMode"] not in ("ReadOnly", "ReadWrite"):
            raise ArmError(400, "InvalidRequestContent",
                           f"properties.azureFile.accessMode must be ReadOnly or ReadWrite, got "
                           f"{azure_file['accessMode']!r}.")
        return {k: azure_file[k] for k in AZURE_FILE_KEYS}

    def build_body(self, parent: Record, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {"properties": {"azureFile": spec}}

    def render(self, record: Record) -> dict[str, Any]:
        azure_file = {k: v for k, v in record.body["properties"]["azureFile"].items() if k != "accountKey"}
        return {"id": record.id, "name": record.name, "type": ENVIRONMENT_STORAGE.type,
                "properties": {"azureFile": azure_file}}

    def not_found(self, req: ArmRequest, parent: Record) -> ArmError:
        return ArmError(404, "ManagedEnvironmentStorageNotFound",
                        f"ManagedEnvironment Storage '{req.params[self.param]}' was not found.")

    def put_status(self, existed: bool) -> int:
        return 200
