"""A Files data plane on loopback HTTPS for tests and benchmarks: the emulator's files app on its own port,
in a background thread with its own event loop (so the synchronous SDK can call it from the test thread).

`extra_middlewares` lets a test put a fault injector in front of the app.
"""

from __future__ import annotations

import asyncio
import base64
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "aistoragetest1"


@dataclass(frozen=True)
class FilesEndpoint:
    endpoint: str  # https://127.0.0.1:PORT
    account: str
    key: str
    ca_path: str
    shares_root: Path
    secondary_key: str = ""

    @property
    def account_url(self) -> str:
        return f"{self.endpoint}/{self.account}"

    @property
    def credential(self) -> dict[str, str]:
        return {"account_name": self.account, "account_key": self.key}

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=https;AccountName={self.account};AccountKey={self.key};"
                f"FileEndpoint={self.account_url};")

    def share_dir(self, share: str) -> Path:
        return self.shares_root / self.account / share


@contextmanager
def serve_files(data_dir: Path, *, extra_middlewares: Sequence[Any] = ()) -> Iterator[FilesEndpoint]:
    import ssl

    import trustme
    from aiohttp import web

    from aca_inference.emulator.files import create_files_app

    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    data_dir.mkdir(parents=True, exist_ok=True)
    ca_path = data_dir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    key, secondary_key = (base64.b64encode(os.urandom(64)).decode() for _ in range(2))
    shares_root = data_dir / "shares"
    keys = {ACCOUNT: [key, secondary_key]}

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        app = create_files_app(account_keys=keys.get, shares_root=shares_root)
        app.middlewares[:0] = list(extra_middlewares)  # in front, as the emulator mounts its shared ones
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(context)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        state["runner"] = runner
        state["port"] = runner.addresses[0][1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(state["runner"].cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="files-endpoint", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the files endpoint did not start")
    try:
        yield FilesEndpoint(f"https://127.0.0.1:{state['port']}", ACCOUNT, key, str(ca_path), shares_root, secondary_key)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
