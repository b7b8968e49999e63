"""(0) The emulator's raw Put-Range ingest rate on loopback: the ceiling the sync benchmarks are measured against.

A lean client (aiohttp, one TLS context, keep-alive, no SDK) sends 4 MiB Put Range requests - each with its
Content-MD5, which the server verifies, as the sync engine's requests carry it - at several concurrencies to
a server in its own process. The best rate is the ceiling.

    python bench/files_ingest.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from files_server import FilesServer, running_files_server, shared_key_headers  # noqa: E402

MiB = 1024 * 1024
RANGE = 4 * MiB
RESULTS = Path(__file__).resolve().parent / "results"


async def _request(session, server: FilesServer, method: str, url: str, headers: dict[str, str],
                   data: bytes = b"") -> int:
    signed = shared_key_headers(server, method, url, headers, content_length=len(data))
    async with session.request(method, url, headers=signed, data=data or None) as response:
        await response.read()
        return response.status


async def ingest(server: FilesServer, *, total_bytes: int, concurrency: int, share: str | None = None,
                 hash_each: bool = False) -> float:
    """MB/s (10^6 bytes per second) of Put Range into a new file, on a new share (as a first deploy writes: a
    file rewritten in place is measurably faster to write, which would flatter the ceiling)."""
    import uuid

    import aiohttp

    share = share or f"ingest-{uuid.uuid4().hex[:12]}"

    context = ssl.create_default_context(cafile=server.ca_path)
    block = os.urandom(RANGE)
    md5 = base64.b64encode(hashlib.md5(block).digest()).decode()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=concurrency),
                                     skip_auto_headers=["Content-Type"]) as session:
        await _request(session, server, "PUT", f"{server.account_url}/{share}?restype=share", {})
        file_url = f"{server.account_url}/{share}/ingest.bin"
        status = await _request(session, server, "PUT", file_url,
                                {"x-ms-type": "file", "x-ms-content-length": str(total_bytes)})
        assert status == 201, status
        offsets = list(range(0, total_bytes, RANGE))
        queue = iter(offsets)

        async def worker() -> None:
            for offset in queue:
                end = offset + RANGE - 1
                if hash_each:  # what any real client must do: the MD5 of each range's own bytes, off the loop
                    await asyncio.to_thread(hashlib.md5, block)
                headers = {"x-ms-range": f"bytes={offset}-{end}", "x-ms-write": "update", "Content-MD5": md5,
                           "Content-Type": "application/octet-stream"}
                status = await _request(session, server, "PUT", f"{file_url}?comp=range", headers, block)
                assert status == 201, status

        # warm the connections (TLS handshakes are not ingest)
        await asyncio.gather(*(_request(session, server, "GET", f"{server.account_url}/{share}?restype=share", {})
                               for _ in range(concurrency)))
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        await _request(session, server, "DELETE", f"{server.account_url}/{share}?restype=share", {})
    return total_bytes / elapsed / 1e6


def measure_ceiling(server: FilesServer, *, total_bytes: int, concurrencies=(1, 4, 8, 16),
                    hash_each: bool = False) -> dict[str, float]:
    """MB/s per concurrency; a concurrency listed twice is measured twice and keeps its best."""
    rates: dict[str, float] = {}
    for concurrency in concurrencies:
        rate = asyncio.run(ingest(server, total_bytes=total_bytes, concurrency=concurrency, hash_each=hash_each))
        rates[str(concurrency)] = max(rate, rates.get(str(concurrency), 0.0))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 MiB per point instead of 512 MiB")
    arguments = parser.parse_args()
    total = (128 if arguments.quick else 512) * MiB
    with tempfile.TemporaryDirectory(prefix="aca-ingest-") as temp, running_files_server(Path(temp)) as server:
        rates = measure_ceiling(server, total_bytes=total)
    print(f"{'concurrency':>12} {'MB/s':>10}")
    for concurrency, rate in rates.items():
        print(f"{concurrency:>12} {rate:>10.1f}")
    print(f"ceiling: {max(rates.values()):.1f} MB/s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "files_ingest.json").write_text(json.dumps({"bytes_per_point": total, "mb_per_s": rates,
                                                            "ceiling_mb_per_s": max(rates.values())}, indent=2))


if __name__ == "__main__":
    main()
