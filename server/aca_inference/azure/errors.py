"""Azure's answers turned into one error for the user: the service's code (kept as the error's `code`) and
message, plus the fix."""

from __future__ import annotations

from typing import Any

from ..errors import InputError, OperationFailed

# code (lower case) -> what to do about it
_FIXES: dict[str, str] = {
    "storageaccountalreadytaken": "The storage account name is taken globally: choose another `storageAccountName` "
                                  "in infra/provision/inference.parameters.json.",
    "storageaccountalreadyexists": "The storage account name is taken globally: choose another `storageAccountName` "
                                   "in infra/provision/inference.parameters.json.",
    "insufficientquota": "Request GPU quota for Azure Container Apps (Azure portal > Quotas > Azure Container Apps, "
                         "the dedicated workload profile cores of the region), or choose another region or "
                         "`workloadProfileType`.",
    "quotaexceeded": "Request more quota for Azure Container Apps in this region (Azure portal > Quotas), or choose "
                     "another region.",
    "managedenvironmentworkloadprofilequotaexceeded": "Request GPU quota for Azure Container Apps (Azure portal > "
                                                      "Quotas), or choose another region.",
    "workloadprofiletypenotsupported": "This region does not offer that GPU workload profile: choose a region that "
                                       "does (e.g. westus3, swedencentral) for `location`, or another "
                                       "`workloadProfileType`.",
    "invalidworkloadprofiletype": "Choose a `workloadProfileType` the region offers (e.g. NC24-A100, NC48-A100, "
                                  "NC96-A100) in infra/provision/inference.parameters.json, or another `location`.",
    "locationnotavailableforresourcetype": "The region does not offer this resource type: choose another `location`.",
    "missingsubscriptionregistration": "Register the resource provider the message names (`az provider register "
                                       "--namespace <namespace>`), or run provision again and let it register it.",
    "maxregionalquotaexceeded": "Request more GPU quota for Azure Container Apps in this region (Azure portal > "
                                "Quotas, provider Azure Container Apps), or choose another region.",
    "authorizationfailed": "Your account lacks permission: ask for the Contributor role on the resource group.",
    "subscriptionnotfound": "The subscription does not exist or you cannot see it: pick another one.",
    "resourcegroupnotfound": "The resource group does not exist: create it or pick another one.",
    "invalidapiversionparameter": "The service does not support this API version; update aca-inference.",
}


def _code_and_message(error: Any) -> tuple[str, str]:
    inner = getattr(error, "error", None)
    code = getattr(inner, "code", None) or getattr(error, "error_code", None) or ""
    message = getattr(inner, "message", None) or getattr(error, "message", None) or str(error)
    return str(code), str(message).splitlines()[0]


def transport_failure(error: Exception) -> bool:
    """The request or its answer was lost on the way (dropped, reset, cut mid-body): Azure said nothing."""
    from azure.core.exceptions import IncompleteReadError, ServiceRequestError, ServiceResponseError

    return isinstance(error, ServiceRequestError | ServiceResponseError | IncompleteReadError)


def connection_error(error: Exception, doing: str, host: str | None = None) -> OperationFailed:
    from .retry import HOST_ATTRIBUTE

    where = host or getattr(error, HOST_ATTRIBUTE, None) or "Azure"
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    return OperationFailed(f"The connection to {where} failed while {doing}, even after retries ({detail}).",
                           fix="check the network (proxy, VPN, firewall) and run the command again.")


def azure_error(error: Exception, doing: str) -> OperationFailed:
    """`doing` says what we were doing ("creating storage account aistorageabcde")."""
    if transport_failure(error):
        return connection_error(error, doing)
    code, message = _code_and_message(error)
    fix = _FIXES.get(code.lower(), "")
    if not fix and code.lower().endswith("operationinprogress"):
        from .retry import BUSY_WAIT_MINUTES  # only reached once that wait for the operation ran out

        fix = (f"Another operation on this resource was still running after {BUSY_WAIT_MINUTES} minutes (another "
               "window or user, or an interrupted run): check the resource's Activity log in the Azure portal, "
               "then run the command again.")
    status = getattr(error, "status_code", None)
    # Azure's code stays data (callers and tests read `.code`), and is in the text the user reads too.
    return OperationFailed(f"Azure refused {doing}: {code or status or 'error'}: {message}", code=code or None, fix=fix)


def is_not_found(error: Exception) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    return isinstance(error, ResourceNotFoundError) or getattr(error, "status_code", None) == 404


def subscription_not_found(subscription: str, available: list[str]) -> InputError:
    listed = "".join(f"\n  - {s}" for s in available) or "\n  (none: check that you are signed in to the right tenant)"
    return InputError(f"Subscription '{subscription}' was not found. Available subscriptions:{listed}")
