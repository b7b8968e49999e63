"""The relay inside a replica's network namespace (run as a script, standard library only, before the container's
command starts): brings the namespace's loopback up, then serves a Unix socket whose path the emulator knows.
A Unix socket lives in the filesystem, so it crosses network namespaces: this is how the emulator's ingress and
probes reach ports the app binds inside its own namespace (any address: 127.0.0.1, 0.0.0.0, ::).

Protocol per connection: the client sends `<port>\\n`; the relay connects to that port on the namespace's
loopback and answers `+` (then relays bytes both ways, half-closes included, until both sides end) or `-` and
closes (nothing listens there). It ends when the container (its parent, whose pid it is given) is gone or
its socket is removed, even if the emulator was killed without cleaning up.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket
import struct
import sys

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
CHUNK = 65536


def loopback_up() -> None:
    """`ip link set lo up` without needing iproute2: a new network namespace starts with loopback down."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.transport.abort()


async def _upstream(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        return await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return await asyncio.open_connection("::1", port)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    upstream = None
    try:
        line = await asyncio.wait_for(reader.readline(), 10)
        port = int(line.strip())
        try:
            upstream = await _upstream(port)
        except OSError:
            writer.write(b"-")
            return
        writer.write(b"+")
        await asyncio.gather(_pipe(reader, upstream[1]), _pipe(upstream[0], writer))
    except (TimeoutError, ValueError, ConnectionError, OSError):
        pass
    finally:
        for end in (writer, upstream[1] if upstream else None):
            if end is not None:
                with contextlib.suppress(Exception):
                    end.close()


def _alive(path: str, container: int, inode: int) -> bool:
    """The container (our parent: the sandbox's shell, which execs into it) still runs, and our socket is
    still the one the emulator uses (it unlinks it when the replica stops or restarts)."""
    try:
        return os.getppid() == container and os.stat(path).st_ino == inode
    except OSError:
        return False


async def _main(path: str, container: int) -> None:
    loopback_up()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = await asyncio.start_unix_server(_handle, path=path)
    inode = os.stat(path).st_ino
    async with server:
        while _alive(path, container, inode):
            await asyncio.sleep(1.0)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(sys.argv[1], int(sys.argv[2])))
