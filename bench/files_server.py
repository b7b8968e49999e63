"""The emulator's Azure Files data plane in its own process, for benchmarks.

Benchmarks run the server in a separate process (as `aca-inference emulator start` does) so that client and
server do not share one interpreter lock: a figure measured in-process would be the GIL's, not the server's.

    python bench/files_server.py --data-dir DIR      # serves until SIGTERM; writes DIR/files-server.json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

ACCOUNT = "aistoragebench"
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class FilesServer:
    endpoint: str
    account: str
    key: str
    ca_path: str
    shares_root: Path
    pid: int

    @property
    def account_url(self) -> str:
        return f"{self.endpoint}/{self.account}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=https;AccountName={self.account};AccountKey={self.key};"
                f"FileEndpoint={self.account_url};")

    def share_dir(self, share: str) -> Path:
        return self.shares_root / self.account / share


async def _serve(data_dir: Path, port: int) -> None:
    import ssl

    import trustme
    from aiohttp import web

    from aca_inference.emulator.files import create_files_app

    data_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    ca_path = data_dir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    key = base64.b64encode(os.urandom(64)).decode()
    app = create_files_app(account_keys={ACCOUNT: [key]}.get, shares_root=data_dir / "shares")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context, backlog=1024)
    await site.start()
    info = {"endpoint": f"https://127.0.0.1:{runner.addresses[0][1]}", "account": ACCOUNT, "key": key,
            "ca_path": str(ca_path), "shares_root": str(data_dir / "shares"), "pid": os.getpid()}
    (data_dir / "files-server.json").write_text(json.dumps(info))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


@contextmanager
def running_files_server(data_dir: Path) -> Iterator[FilesServer]:
    info_path = data_dir / "files-server.json"
    info_path.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, str(Path(__file__)), "--data-dir", str(data_dir)],
                               stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not info_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the files server did not start")
            time.sleep(0.05)
        info = json.loads(info_path.read_text())
        yield FilesServer(info["endpoint"], info["account"], info["key"], info["ca_path"],
                          Path(info["shares_root"]), info["pid"])
    finally:
        process.terminate()
        process.wait(10)


def shared_key_headers(server: FilesServer, method: str, url: str, headers: dict[str, str],
                       content_length: int = 0) -> dict[str, str]:
    """SharedKey-signed headers for raw requests (the ceiling benchmark sends them without the SDK)."""
    headers = {"x-ms-version": "2026-10-06", "x-ms-date": formatdate(usegmt=True), **headers}
    parts = urlsplit(url)
    standard = ("Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date",
                "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range")
    values = {**headers, "Content-Length": str(content_length) if content_length else ""}
    canonical = "".join(f"{k.lower()}:{v}\n" for k, v in sorted(headers.items(), key=lambda i: i[0].lower())
                        if k.lower().startswith("x-ms-"))
    query = sorted((pair.split("=", 1) + [""])[:2] for pair in parts.query.split("&") if pair)
    resource = f"/{server.account}{parts.path}" + "".join(f"\n{k.lower()}:{unquote(v)}" for k, v in query)
    string_to_sign = "\n".join([method, *(values.get(h, "") for h in standard)]) + "\n" + canonical + resource
    signature = base64.b64encode(hmac.new(base64.b64decode(server.key), string_to_sign.encode(),
                                          hashlib.sha256).digest()).decode()
    return {**headers, "Authorization": f"SharedKey {server.account}:{signature}"}


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "server"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    asyncio.run(_serve(arguments.data_dir, arguments.port))
