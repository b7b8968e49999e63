"""Readiness detection delay: how long after the app really starts answering does deploy report it ready?

A stand-in app sleeps like a model load (--load-seconds), then binds its port and records the moment it
answers. Deploy (the real operation, in-process, against the emulator) restarts it and polls; the delay is
deploy's return minus that moment. Goal: under 1 s.

    python bench/readiness_bench.py [--runs 5] [--load-seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from aca_emulator.testing import running_emulator
from aca_inference.cli.reporter import CliReporter
from aca_inference.ops.context import OperationContext, TargetSettings
from aca_inference.ops.deploy import deploy
from aca_inference.ops.provision import ProvisionRequest, provision
from results_file import save_result

SLOW_APP = '''
import os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
time.sleep(float(os.environ["LOAD_SECONDS"]))
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args): pass
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
with open(os.environ["READY_FILE"], "a") as marks:
    marks.write(f"{time.time()}\\n")
server.serve_forever()
'''


def workspace(root: Path, ready_file: Path, load_seconds: float) -> Path:
    (root / "inference").mkdir(parents=True)
    (root / "inference" / "app.py").write_text(SLOW_APP)
    (root / "infra" / "provision").mkdir(parents=True)
    parameters = {"defaultCommands": ["cd /mount/inference", "python3 app.py"], "endpointAuth": "none",
                  "environmentVariables": [{"name": "READY_FILE", "value": str(ready_file)},
                                           {"name": "LOAD_SECONDS", "value": str(load_seconds)}]}
    (root / "infra" / "provision" / "inference.parameters.json").write_text(json.dumps(
        {"contentVersion": "1.0.0.0", "parameters": {k: {"value": v} for k, v in parameters.items()}}))
    return root


async def measure(data_dir: Path, root: Path, ready_file: Path, runs: int) -> list[float]:
    context = OperationContext(root=root, reporter=CliReporter(assume_yes=True, json_mode=True),
                               target=TargetSettings(kind="local", emulator_data_dir=data_dir), readiness_timeout=120)
    await provision(context, ProvisionRequest(resource_group="rg-readiness", location="westus3"))
    delays = []
    for _ in range(runs):
        await deploy(context)
        noticed = time.time()
        ready_at = float(ready_file.read_text().split()[-1])
        delays.append(noticed - ready_at)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--load-seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        ready_file = Path(temp) / "ready-at"
        root = workspace(Path(temp) / "ws", ready_file, args.load_seconds)
        with running_emulator(Path(temp) / "emulator", time_scale=0.01) as emulator:
            delays = asyncio.run(measure(Path(emulator.data_dir), root, ready_file, args.runs))
    result = {"runs": args.runs, "load_seconds": args.load_seconds, "median_delay_s": round(statistics.median(delays), 3),
              "max_delay_s": round(max(delays), 3), "delays_s": [round(d, 3) for d in delays]}
    print(f"readiness noticed after the app answered: median {result['median_delay_s']:.3f} s, "
          f"max {result['max_delay_s']:.3f} s over {args.runs} deploys (goal < 1 s)")
    save_result("readiness", result)


if __name__ == "__main__":
    main()
