"""How fast the daemon answers `initialize`, against the floor of starting the same Python at all.

Ratio = (spawn + initialize round trip of `python -m aca_inference.lsp`) / (the same for a minimal pygls server
that registers nothing) - the floor any pygls daemon pays (importing lsprotocol's types dominates it). Both are
measured in this run, interleaved (one of each in turn, the order swapped every run) so that load from other
work on the machine falls on both alike, with bare `python -c pass` for reference. The CPU-time ratio (user +
system of the server process) is printed too: it barely moves when other processes compete for the cores.
Also checks that no Azure SDK module is imported at start-up.

    python bench/daemon_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import resource
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


def time_initialize(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the server process) from spawn to the answer to `initialize`."""
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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process.kill()
    process.wait()  # one child at a time: the children's usage grows by exactly this process's
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
    time_initialize(minimal)
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "minimal": []}
    for run in range(args.runs):
        for name in (("ours", "minimal") if run % 2 == 0 else ("minimal", "ours")):
            runs[name].append(time_initialize(ours if name == "ours" else minimal))
    daemon, floor = (statistics.median(wall for wall, _ in runs[name]) for name in ("ours", "minimal"))
    daemon_cpu, floor_cpu = (statistics.median(cpu for _, cpu in runs[name]) for name in ("ours", "minimal"))
    bare = statistics.median(time_bare_python() for _ in range(args.runs))
    modules = subprocess.run([sys.executable, "-c", "import sys; from aca_inference.lsp.server import build_server; "
                              "build_server(); print(len([m for m in sys.modules if m.startswith('azure')]))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    result = {"initialize_s": round(daemon, 3), "minimal_pygls_s": round(floor, 3), "bare_python_s": round(bare, 3),
              "ratio_to_minimal_pygls": round(daemon / floor, 2), "cpu_ratio_to_minimal_pygls": round(daemon_cpu / floor_cpu, 2),
              "azure_modules_at_start": int(modules)}
    print(f"daemon spawn + initialize:        {daemon * 1000:.0f} ms (median of {args.runs})")
    print(f"minimal pygls spawn + initialize: {floor * 1000:.0f} ms")
    print(f"bare python spawn:                {bare * 1000:.0f} ms")
    print(f"ratio to minimal pygls: {daemon / floor:.2f}x (CPU time {daemon_cpu * 1000:.0f} / {floor_cpu * 1000:.0f} ms: "
          f"{daemon_cpu / floor_cpu:.2f}x); Azure SDK modules imported at start: {modules}")
    save_result("daemon_startup", result)


if __name__ == "__main__":
    main()
