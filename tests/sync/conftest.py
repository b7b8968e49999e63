"""Sync tests run the real engine against the emulator (in-process, `running_emulator`) through the official
async SDK. Request counts come from the emulator's request log, faults from its fault injection; the headers
the engine sends are seen through the client's raw_request_hook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.sync.files_endpoint import FilesEndpoint, create_account


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilesEndpoint]:
    from aca_emulator.testing import running_emulator

    with running_emulator(tmp_path_factory.mktemp("emulator"), time_scale=0.001) as info:
        yield create_account(info)


@dataclass
class SentRequests:
    """(method, url, headers) of every request the test's ShareClient sent, retries included."""

    sent: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def hook(self, request: Any) -> None:
        http = request.http_request
        self.sent.append((http.method, http.url, dict(http.headers)))


@pytest.fixture
def sent() -> SentRequests:
    return SentRequests()


@pytest.fixture
async def share(files: FilesEndpoint, sent: SentRequests, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A fresh share per test, on a client built the way deploys build it (share_client_options)."""
    from azure.storage.fileshare.aio import ShareClient

    from aca_inference.sync import share_client_options

    name = ("s-" + request.node.name.replace("_", "-")[5:50]).strip("-").lower()
    async with ShareClient(files.account_url, name, credential=files.credential, raw_request_hook=sent.hook,
                           **share_client_options(connection_verify=files.ca_path)) as client:
        await client.create_share()
        sent.sent.clear()
        try:
            yield client
        finally:
            files.clear_faults()


def write_tree(root: Path, files: dict[str, bytes | str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)


def share_tree(directory: Path) -> dict[str, bytes]:
    """path -> content of every file under a share directory, except our manifest."""
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and not p.relative_to(directory).as_posix().startswith(".aca-inference/")}


def local_tree(root: Path, folder: str = "inference") -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / folder).rglob("*")) if p.is_file()}
