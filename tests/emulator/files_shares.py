"""A share of its own for each Files test (official sync client, no retries so every answer is the first one),
and the service's error code of a refusal."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import ShareClient

from tests.sync.files_endpoint import FilesEndpoint


def new_share(files: FilesEndpoint, request: pytest.FixtureRequest, prefix: str) -> ShareClient:
    name = f"{prefix}-" + request.node.name.replace("_", "-")[5:50].strip("-").lower()
    client = ShareClient(files.account_url, name, credential=files.credential, connection_verify=files.ca_path,
                         retry_total=0)
    client.create_share()
    return client


def error_code(error: HttpResponseError) -> str:
    return str(getattr(error.error_code, "value", error.error_code))
