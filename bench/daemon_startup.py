"""How fast the daemon answers `initialize`, against the floor of starting the same Python at all.

Ratio = (spawn + initialize round trip of `python -m aca_inference.lsp`) / (the same for a minimal pygls server
that registers nothing) - the floor any pygls daemon pays (importing lsprotocol's types dominates it). Both are
measured in this run, with bare `python -c pass` for reference. Also checks that no Azure SDK module is
imported at start-up.

    python bench/daemon_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results_file import save_result


def _frame(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read_message(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


MINIMAL_SERVER = ("from pygls.lsp.server import LanguageServer; "
                  "LanguageServer(name='minimal', version='0').start_io()")


def time_initialize(command: list[str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin and process.stdout
    process.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                "params": {"processId": None, "rootUri": Path.cwd().as_uri(), "capabilities": {}}}))
    process.stdin.flush()
    while "id" not in (message := _read_message(process.stdout)):
        pass
    elapsed = time.perf_counter() - started
    assert "result" in message, message
    process.kill()
    process.wait()
    return elapsed


def time_bare_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    ours, minimal = [sys.executable, "-m", "aca_inference.lsp"], [sys.executable, "-c", MINIMAL_SERVER]
    time_initialize(ours)  # warm the file cache once
    daemon = statistics.median(time_initialize(ours) for _ in range(args.runs))
    floor = statistics.median(time_initialize(minimal) for _ in range(args.runs))
    bare = statistics.median(time_bare_python() for _ in range(args.runs))
    modules = subprocess.run([sys.executable, "-c", "import sys; from aca_inference.lsp.server import build_server; "
                              "build_server(); print(len([m for m in sys.modules if m.startswith('azure')]))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    result = {"initialize_s": round(daemon, 3), "minimal_pygls_s": round(floor, 3), "bare_python_s": round(bare, 3),
              "ratio_to_minimal_pygls": round(daemon / floor, 2), "azure_modules_at_start": int(modules)}
    print(f"daemon spawn + initialize:        {daemon * 1000:.0f} ms (median of {args.runs})")
    print(f"minimal pygls spawn + initialize: {floor * 1000:.0f} ms")
    print(f"bare python spawn:                {bare * 1000:.0f} ms")
    print(f"ratio to minimal pygls: {daemon / floor:.2f}x; Azure SDK modules imported at start: {modules}")
    save_result("daemon_startup", result)


if __name__ == "__main__":
    main()
