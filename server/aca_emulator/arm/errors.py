"""ARM's error envelope: `{"error": {"code", "message"}}` with the codes the real services answer."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, headers=self.headers)


def error_response(status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=json.dumps({"error": {"code": code, "message": message}}),
                        content_type="application/json", headers={"x-ms-failure-cause": "service", **(headers or {})})


def bad_request(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)


def not_found(type_: str, name: str, resource_group: str) -> ArmError:
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{type_}/{name}' under resource group '{resource_group}' was not found. "
                    "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def resource_group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def parent_not_found(action: str, child_type: str, parent_id: str) -> ArmError:
    return ArmError(404, "ParentResourceNotFound",
                    f"Failed to perform '{action}' on resource(s) of type '{child_type}', because the parent "
                    f"resource '{parent_id}' could not be found.")


def invalid_body(message: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent", f"The request content was invalid and could not be deserialized: {message}")


def json_error(detail: Any) -> ArmError:
    return ArmError(400, "InvalidRequestContent",
                    f"The request content was invalid and could not be deserialized: '{detail}'.")
