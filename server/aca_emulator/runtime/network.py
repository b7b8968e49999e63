"""How the emulator reaches a port of a replica's container: the ingress and the probes both go through here.

- `NamespaceNetwork`: the container runs in its own network namespace (sandbox.py), so every app can bind its
  targetPort (7860 for all of them, as in ACA); a relay inside the namespace (relay.py) serves a Unix socket
  and connects to the asked port there.
- `HostNetwork` (fallback where user namespaces are unavailable): the container shares the host's network, so
  it is given a free host port in `PORT` and must listen there; the targetPort maps to that port.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import ssl
import tempfile
from pathlib import Path

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
RELAY_SCRIPT = Path(__file__).with_name("relay.py")
MAX_UNIX_PATH = 100  # sun_path holds 108 bytes


class Unreachable(ConnectionError):
    """Nothing listens on that port of the replica (yet)."""


class ReplicaNetwork:
    async def open(self, port: int, *, timeout: float = 5.0) -> Streams:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release by default."""


class NamespaceNetwork(ReplicaNetwork):
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path

    @classmethod
    def for_container(cls, data_dir: Path, key: str) -> NamespaceNetwork:
        """A short socket path (sun_path is 108 bytes): under the data dir, else the temp dir."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        path = data_dir / "run" / digest / "relay.sock"
        if len(str(path)) > MAX_UNIX_PATH:
            path = Path(tempfile.gettempdir()) / f"aca-emulator-{digest}" / "relay.sock"
        return cls(path)

    def prepare(self) -> None:
        """Before the container (re)starts: no stale socket, so `[ -S ]` in the sandbox waits for the new one."""
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)

    async def open(self, port: int, *, timeout: float = 5.0) -> Streams:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(self.socket_path)), timeout)
        except (OSError, TimeoutError) as exc:
            raise Unreachable(f"the replica's relay is not up ({exc})") from None
        try:
            writer.write(f"{port}\n".encode())
            answer = await asyncio.wait_for(reader.readexactly(1), timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            answer = b""
        if answer != b"+":
            writer.close()
            raise Unreachable(f"nothing listens on port {port} in the replica")
        return reader, writer

    def close(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        self.socket_path.with_name(self.socket_path.name + ".log").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.socket_path.parent.rmdir()


class HostNetwork(ReplicaNetwork):
    def __init__(self, ports: dict[int, int]) -> None:
        self.ports = ports  # the container's port -> the host port it was given

    async def open(self, port: int, *, timeout: float = 5.0) -> Streams:
        try:
            return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.ports.get(port, port)), timeout)
        except (OSError, TimeoutError) as exc:
            raise Unreachable(f"nothing listens on port {port} ({exc})") from None


def free_port(avoid: set[int] | None = None) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in (avoid or set()):
            return port


async def http_status(network: ReplicaNetwork, port: int, path: str, *, headers: dict[str, str], https: bool,
                      timeout: float) -> int | None:
    """The status of `GET path` on the replica's port (an HTTP probe), or None when it did not answer."""
    async def ask() -> int | None:
        reader, writer = await network.open(port, timeout=timeout)
        try:
            if https:
                context = ssl.create_default_context()
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # as kubelet probes do
                await writer.start_tls(context, server_hostname="localhost")
            lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "User-Agent: kube-probe/1.30",
                     "Accept: */*", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            await writer.drain()
            status_line = await reader.readline()
            parts = status_line.split()
            return int(parts[1]) if len(parts) >= 2 and parts[0].startswith(b"HTTP/") else None
        finally:
            writer.close()

    try:
        return await asyncio.wait_for(ask(), timeout)
    except (OSError, TimeoutError, ValueError, ssl.SSLError):
        return None
