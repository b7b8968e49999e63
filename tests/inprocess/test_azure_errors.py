"""What the user reads when Azure refuses or cannot be reached: the service's code and message, and the fix."""

from __future__ import annotations

import json

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError
from azure.core.pipeline.transport._requests_basic import RequestsTransportResponse
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat
from requests import Response

from aca_inference.azure.errors import azure_error, is_not_found


def arm_refusal(status: int, code: str, message: str) -> HttpResponseError:
    """The error the SDK raises for an ARM error answer (`{"error": {"code", "message"}}`)."""
    answer = Response()
    answer.status_code = status
    answer._content = json.dumps({"error": {"code": code, "message": message}}).encode()
    answer.headers["Content-Type"] = "application/json"
    return HttpResponseError(response=RequestsTransportResponse(HttpRequest("PUT", "https://management.azure.com/x"),
                                                                 answer), error_format=ARMErrorFormat)


def test_a_known_refusal_says_what_azure_said_and_the_fix() -> None:
    error = arm_refusal(409, "StorageAccountAlreadyTaken", "The storage account named abc is already taken.\nMore.")
    assert str(azure_error(error, "creating storage account abc")) == (
        "Azure refused creating storage account abc: StorageAccountAlreadyTaken: The storage account named abc is "
        "already taken.\n  Fix: The storage account name is taken globally: choose another `storageAccountName` in "
        "infra/provision/inference.parameters.json.")


def test_quota_refusals_point_at_the_quota_page() -> None:
    error = arm_refusal(400, "InsufficientQuota", "Not enough cores.")
    assert "Fix: Request GPU quota for Azure Container Apps (Azure portal > Quotas" in str(
        azure_error(error, "creating environment env"))


def test_an_unknown_refusal_has_no_fix_line() -> None:
    error = arm_refusal(400, "SomethingNew", "A new problem.")
    assert str(azure_error(error, "updating container app app")) == (
        "Azure refused updating container app app: SomethingNew: A new problem.")


def test_a_lost_connection_is_not_blamed_on_azure() -> None:
    message = str(azure_error(ServiceRequestError("Connection reset by peer"), "reading container app app"))
    assert message.startswith("The connection to Azure failed while reading container app app, even after retries "
                              "(Connection reset by peer).")
    assert "Fix: check the network (proxy, VPN, firewall)" in message


def test_not_found_is_recognised_by_type_or_status() -> None:
    assert is_not_found(ResourceNotFoundError("gone"))
    assert is_not_found(arm_refusal(404, "ResourceNotFound", "The resource was not found."))
    assert not is_not_found(arm_refusal(409, "Conflict", "Busy."))
