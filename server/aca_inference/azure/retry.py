"""Retries for every Azure client: azure-core's policies, configured for what our calls are.

- ARM: azure-core's `AsyncRetryPolicy` retries 408/429/5xx (honouring Retry-After) and dropped connections -
  but a connection dropped after a POST went out is not retried, because a POST may change things. The POSTs
  a deploy sends are `listKeys` / `listSecrets` (reads, by ARM's convention for `list*` actions) and a
  revision's `restart`, `activate` and `deactivate` (doing one twice has the outcome of doing it once).
  `ArmRetryPolicy` marks exactly those as safe to repeat.
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

from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, AsyncRetryPolicy

# Last path segment of ARM POST actions that are safe to send twice (see the module docstring).
_REPEATABLE_POST_ACTIONS = frozenset({"listkeys", "listsecrets", "restart", "activate", "deactivate"})
HOST_ATTRIBUTE = "aca_host"


def _action(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rpartition("/")[2].lower()


class ArmRetryPolicy(AsyncRetryPolicy[Any, Any]):
    """azure-core's retry policy; also repeats the read-only (or idempotent) ARM POST actions we send."""

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        if request.method.upper() == "POST" and _action(request.url) in _REPEATABLE_POST_ACTIONS:
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


class HostTagPolicy(AsyncHTTPPolicy[Any, Any]):
    """Note on a transport error which host the request went to (azure-core's errors do not say)."""

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        try:
            return await self.next.send(request)
        except AzureError as error:
            setattr(error, HOST_ATTRIBUTE, urlsplit(request.http_request.url).netloc)
            raise


def arm_client_options() -> dict[str, Any]:
    """Keyword arguments for the ARM (management) clients: retries as described above."""
    return {"retry_policy": ArmRetryPolicy(retry_total=6, retry_backoff_factor=0.5, retry_backoff_max=30),
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
