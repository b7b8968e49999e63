"""Long-running ARM operations on real Azure are polled every few seconds. Microsoft.App answers a container app
PUT, PATCH or DELETE with Location or Azure-AsyncOperation and no Retry-After (the recordings in
../shared/azure-recordings say so), so without our own interval the management SDKs would wait their default 30 s
between polls: up to half a minute added to each app update, revision switch and provision step."""

from __future__ import annotations

import pytest
import yaml

from aca_inference.azure.retry import ARM_POLL_SECONDS
from aca_inference.azure.session import AzureSession
from tests.shared_data import shared_path

RECORDINGS = shared_path("azure-recordings", "ACA_AZURE_RECORDINGS")


def test_microsoft_app_sends_no_retry_after_on_its_long_running_answers() -> None:
    if not RECORDINGS.is_dir():
        pytest.skip(f"{RECORDINGS} is missing")
    lro_answers = []
    for cassette in sorted(RECORDINGS.glob("*.yaml")):
        for interaction in yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]:
            request, response = interaction["request"], interaction["response"]
            headers = {k.lower() for k in response.get("headers") or {}}
            if "microsoft.app/containerapps/" in request["uri"].lower() and request["method"] in ("PUT", "PATCH") \
                    and response["status"]["code"] in (201, 202):
                lro_answers.append(headers)
    assert lro_answers, "the recordings hold container app updates answered as long-running operations"
    assert all("retry-after" not in headers for headers in lro_answers)


class _NoCredential:
    """The clients are built, never called: no token is asked for."""

    async def get_token(self, *scopes: str, **kwargs: object) -> None:
        raise AssertionError("no request is sent")

    async def close(self) -> None:
        return None


async def test_every_management_client_polls_every_few_seconds_not_the_sdks_30() -> None:
    session = AzureSession(management_endpoint="https://management.azure.com", credential=_NoCredential(),
                           connection_verify=True, is_emulator=False)
    subscription = "00000000-0000-0000-0000-000000000000"
    try:
        clients = [session.container_apps(subscription), session.resources(subscription),
                   session.storage(subscription)]
        assert [client._config.polling_interval for client in clients] == [ARM_POLL_SECONDS] * 3
        assert ARM_POLL_SECONDS <= 5
    finally:
        await session.close()
