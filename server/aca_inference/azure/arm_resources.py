"""Any ARM resource by id, at the api-version its template declares - what an ARM deployment does.

GET and PUT go through azure-mgmt-resource's generic operations (azure-core's retries and ARM long-running
operation polling); resource functions such as `listKeys` are POSTs through the same client pipeline.
"""

from __future__ import annotations

import json
from typing import Any

TERMINAL_STATES = {"succeeded", "failed", "canceled", "cancelled"}


def as_arm_json(model: Any) -> dict[str, Any]:
    """An SDK model as the JSON ARM's REST API sends (camelCase keys, `properties` nested), which our code reads."""
    return model.as_dict() if hasattr(model, "as_dict") else dict(model)


def property_at(resource: dict[str, Any] | None, *path: str) -> Any:
    """`properties.<path>` of an ARM resource's JSON, or None where a step is absent (ARM leaves out what is
    unset, and sends null for some of it)."""
    value: Any = (resource or {}).get("properties")
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def error_code(error: Exception) -> str:
    """ARM's error code of a refused request ("" when it sent none)."""
    inner = getattr(error, "error", None)
    return str(getattr(inner, "code", None) or getattr(error, "error_code", None) or "")


def provisioning_state(resource: dict[str, Any]) -> str:
    return str(property_at(resource, "provisioningState") or "Succeeded")


class ArmResources:
    def __init__(self, client: Any) -> None:
        self._client = client  # azure.mgmt.resource.resources.aio.ResourceManagementClient

    async def get(self, resource_id: str, api_version: str) -> dict[str, Any] | None:
        """The resource, or None when ARM says it does not exist - or that the subscription is not registered for
        its provider, where nothing of it can exist (provision's preflight then offers to register it)."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        try:
            return as_arm_json(await self._client.resources.get_by_id(resource_id, api_version=api_version))
        except ResourceNotFoundError:
            return None
        except HttpResponseError as error:
            if error_code(error).lower() == "missingsubscriptionregistration":
                return None
            raise

    async def put(self, resource_id: str, api_version: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create or update, waiting for the long-running operation; returns the resource as ARM has it."""
        poller = await self._client.resources.begin_create_or_update_by_id(resource_id, body, api_version=api_version)
        await poller.result()
        # The operation's final answer may be partial (some RPs answer the PUT's 201 body): read it back.
        found = await self.get(resource_id, api_version)
        return found if found is not None else {}

    async def patch(self, resource_id: str, api_version: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change only the properties in `body` (used for the one change allowed on a shared resource)."""
        poller = await self._client.resources.begin_update_by_id(resource_id, body, api_version=api_version)
        await poller.result()
        found = await self.get(resource_id, api_version)
        return found if found is not None else {}

    async def post(self, resource_id: str, action: str, api_version: str) -> dict[str, Any]:
        """A resource function, e.g. listKeys: POST {id}/{action}."""
        from azure.core.exceptions import HttpResponseError, map_error
        from azure.core.rest import HttpRequest

        request = HttpRequest("POST", f"{resource_id}/{action}", params={"api-version": api_version},
                              headers={"Accept": "application/json"})
        response = await self._client.send_request(request)
        if response.status_code >= 400:
            await response.read()
            map_error(status_code=response.status_code, response=response, error_map={})
            from azure.mgmt.core.exceptions import ARMErrorFormat

            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        text = await response.read()
        return json.loads(text) if text.strip() else {}
