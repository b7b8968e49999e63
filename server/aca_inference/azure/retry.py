"""Retries for every Azure client: azure-core's policies, configured for what our calls are.

- ARM: azure-core's `AsyncRetryPolicy` retries 408/429/5xx (honouring Retry-After) and dropped connections -
  but a connection dropped after a POST or PATCH went out is not retried, because those may change things.
  ARM's PATCH is a JSON merge patch (RFC 7396), and ours set values (the traffic split, a template): sending
  one twice has the outcome of sending it once. The POSTs a deploy sends are `listKeys` / `listSecrets`
  (reads, by ARM's convention for `list*` actions) and a revision's `restart`, `activate` and `deactivate`;
  provision's preflight sends `checkNameAvailability` (a read) and a provider's `register` (idempotent).
  `ArmRetryPolicy` marks exactly those as safe to repeat.
- A write repeated that way can meet the operation its first attempt started: Container Apps answers 409
  `ContainerAppOperationInProgress` ("Retry when it has finished"), as it does after an interrupted run.
  `WaitOutOperationInProgress` waits for that operation to end and sends the write again.
- ARM responses are read inside the retry loop (`ReadBodyPolicy`): the SDK's long-running operations ask for
  a streamed response and read the body later, outside any retry, so a PUT whose answer was cut mid-body
  failed although PUT is idempotent. ARM answers are small JSON; reading them at once costs nothing.
- Azure Files: the storage SDK's own retry policy retries 5xx and 408 but not 429, which a proxy or a future
  throttling change can send; `files_retry_policy` is azure-core's policy, which retries both and honours
  Retry-After, with back-off tuned for many small parallel requests.
- Every transport error is tagged with the host it was for (`HostTagPolicy`), so the message can say which
  connection failed instead of blaming Azure for refusing.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, AsyncRetryPolicy
from azure.core.rest import AsyncHttpResponse

# Last path segment of ARM POST actions that are safe to send twice (see the module docstring).
# checkNameAvailability only reads; registering a resource provider that is registered changes nothing.
_REPEATABLE_POST_ACTIONS = frozenset({"listkeys", "listsecrets", "restart", "activate", "deactivate",
                                      "checknameavailability", "register"})
HOST_ATTRIBUTE = "aca_host"
BUSY_WAIT_MINUTES = 5  # how long a write waits for the operation a resource is busy with to end


def _action(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rpartition("/")[2].lower()


class ArmRetryPolicy(AsyncRetryPolicy[Any, Any]):
    """azure-core's retry policy; also repeats PATCHes and the read-only (or idempotent) ARM POST actions we send."""

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        method = request.method.upper()
        if method == "PATCH" or (method == "POST" and _action(request.url) in _REPEATABLE_POST_ACTIONS):
            return True
        return bool(super()._is_method_retryable(settings, request, response=response))


class ReadBodyPolicy(AsyncHTTPPolicy[Any, Any]):
    """Read each (small, JSON) ARM answer inside the retry loop, so a body cut mid-way is retried."""

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        response = await self.next.send(request)
        http = response.http_response
        # An empty body cannot be cut, and azure-core would refuse to hand an empty one out a second time.
        if not http.is_stream_consumed and http.headers.get("Content-Length") != "0":
            await http.read()
        return response


async def _operation_in_progress(response: AsyncHttpResponse) -> bool:
    """ARM's 409 for a resource busy with another operation: `ContainerAppOperationInProgress`,
    `ManagedEnvironmentOperationInProgress`, `AnotherOperationInProgress`..."""
    if response.status_code != 409:
        return False
    try:
        code = json.loads(await response.read())["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(code, str) and code.lower().endswith("operationinprogress")


class WaitOutOperationInProgress(AsyncHTTPPolicy[Any, Any]):
    """Send a write again once the resource's running operation has ended, for up to `limit_s`.

    A Container Apps update runs for tens of seconds, longer than the retry policy's back-off; this waits with
    the service's Retry-After when it sends one, else 0.5 s doubling to 10 s. Past the limit the 409 stands and
    the caller reports it."""

    def __init__(self, limit_s: float = BUSY_WAIT_MINUTES * 60) -> None:
        super().__init__()
        self.limit_s = limit_s

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        deadline = time.monotonic() + self.limit_s
        delay = 0.5
        while True:
            response = await self.next.send(request)
            if not await _operation_in_progress(response.http_response) or time.monotonic() >= deadline:
                return response
            retry_after = response.http_response.headers.get("Retry-After", "")
            wait = float(retry_after) if retry_after.isdigit() else delay
            await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 10.0)


class HostTagPolicy(AsyncHTTPPolicy[Any, Any]):
    """Note on a transport error which host the request went to (azure-core's errors do not say)."""

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        try:
            return await self.next.send(request)
        except AzureError as error:
            setattr(error, HOST_ATTRIBUTE, urlsplit(request.http_request.url).netloc)
            raise


# Between polls of a long-running ARM operation when the service sends no Retry-After. Microsoft.App sends none
# (its recorded PUT/PATCH/DELETE answers in ../shared/azure-recordings carry Location or Azure-AsyncOperation
# alone), so the management SDKs' own default, 30 s, would add up to half a minute to every app update, revision
# switch and provision step on real Azure. Its operations take seconds to minutes: 3 s is prompt and light.
ARM_POLL_SECONDS = 3


def arm_client_options() -> dict[str, Any]:
    """Keyword arguments for the ARM (management) clients: retries as described above, polls every few seconds."""
    return {"polling_interval": ARM_POLL_SECONDS,
            "retry_policy": ArmRetryPolicy(retry_total=6, retry_backoff_factor=0.5, retry_backoff_max=30),
            "per_call_policies": [WaitOutOperationInProgress()],
            "per_retry_policies": [HostTagPolicy(), ReadBodyPolicy()]}


# Options the storage SDK's pipeline sets for its own retry policy (secondary-region reads, which a share
# client of ours never uses); left in place they would reach the transport as unknown arguments.
_STORAGE_RETRY_OPTIONS = ("hosts", "location_mode", "retry_to_secondary", "retry_hook")


class FilesRetryPolicy(AsyncRetryPolicy[Any, Any]):
    """azure-core's retry policy in the storage SDK's pipeline, in the place of the SDK's own: it takes the
    options meant for that one and marks each response with the location it came from (always the primary),
    which the SDK's downloader reads."""

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        for key in _STORAGE_RETRY_OPTIONS:
            options.pop(key, None)
        return dict(super().configure_retries(options))

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        response = await super().send(request)
        response.http_response.location_mode = "primary"
        return response


def files_retry_policy() -> AsyncRetryPolicy[Any, Any]:
    """For the Azure Files data plane: 408, 429, 5xx and dropped connections, 7 retries, ~0.3 s doubling to 8 s
    (the storage default waits 15 s and more per retry, far too long for many small parallel requests)."""
    return FilesRetryPolicy(retry_total=7, retry_backoff_factor=0.3, retry_backoff_max=8)
