"""Sync tests run the real engine against the emulator's Files data plane over HTTPS, through the official
async SDK. The endpoint records every request it answers (what the request-count assertions read) and can
inject faults (500/503 answers, connections reset before an answer) at a given rate."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.sync.files_endpoint import FilesEndpoint, serve_files


@dataclass
class ServerRecorder:
    """What the server saw: (method, path?query, status, headers) per request, and faults to inject."""

    requests: list[tuple[str, str, int, dict[str, str]]] = field(default_factory=list)
    fault_rate: float = 0.0
    faults_injected: int = 0
    seed: random.Random = field(default_factory=lambda: random.Random(5))

    def reset(self) -> None:
        self.requests.clear()

    def count(self, method: str | None = None, contains: str = "") -> int:
        return sum(1 for m, path, *_ in self.requests if (method is None or m == method) and contains in path)

    def middleware(self) -> Any:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            if self.fault_rate and self.seed.random() < self.fault_rate:
                self.faults_injected += 1
                kind = self.seed.choice(("500", "503", "reset"))
                self.requests.append((request.method, request.path_qs, 0, dict(request.headers)))
                if kind == "reset":
                    assert request.transport is not None
                    request.transport.close()  # the client sees the connection dropped without an answer
                    raise ConnectionResetError("injected")
                code = "InternalError" if kind == "500" else "ServerBusy"
                return web.Response(status=int(kind), headers={"x-ms-error-code": code},
                                    text=f"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code>"
                                         "<Message>Injected fault.</Message></Error>", content_type="application/xml")
            response = await handler(request)
            self.requests.append((request.method, request.path_qs, response.status, dict(request.headers)))
            return response

        return record


@pytest.fixture(scope="module")
def recorder() -> ServerRecorder:
    return ServerRecorder()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, recorder: ServerRecorder) -> Iterator[FilesEndpoint]:
    with serve_files(tmp_path_factory.mktemp("files"), extra_middlewares=[recorder.middleware()]) as endpoint:
        yield endpoint


@pytest.fixture
async def share(files: FilesEndpoint, recorder: ServerRecorder, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A fresh share per test, on a client built the way deploys build it (share_client_options)."""
    from azure.storage.fileshare.aio import ShareClient

    from aca_inference.sync import share_client_options

    name = ("s-" + request.node.name.replace("_", "-")[5:50]).strip("-").lower()
    async with ShareClient(files.account_url, name, credential=files.credential,
                           **share_client_options(connection_verify=files.ca_path)) as client:
        await client.create_share()
        recorder.reset()
        recorder.fault_rate = 0.0
        yield client
    recorder.fault_rate = 0.0


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
