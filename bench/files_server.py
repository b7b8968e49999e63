"""The local emulator in its own process, with a storage account made through ARM, for benchmarks.

Benchmarks run the emulator as `aca-inference emulator start` does (a separate process, `control.start_background`)
so that client and server do not share one interpreter lock: a figure measured in-process would be the GIL's,
not the server's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "server"), str(REPO)]


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


@contextmanager
def running_files_server(data_dir: Path) -> Iterator[FilesServer]:
    """The emulator in the background (its own process) and a fresh storage account on it."""
    from tests.sync.files_endpoint import create_account

    from aca_emulator import control

    info = control.start_background(data_dir)
    try:
        account = create_account(info)
        yield FilesServer(account.endpoint, account.account, account.key, account.ca_path, account.shares_root,
                          info.pid or 0)
    finally:
        control.stop(data_dir)


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
