"""Start the inference app the way its container does and time it until it serves (shared by the serving benches)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
APP_DIR = REPO / "inference"


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    url: str
    seconds: float  # launch to the first 200 from /health (model loaded, warm-up generation done)
    health: dict

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(command: str, env: dict[str, str], log: Path, timeout: float = 300) -> Started:
    """`command` runs under bash in inference/, as the template's command does (`cd ... && ...`)."""
    port = free_port()
    full_env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1", **env}
    launched = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(["bash", "-c", command], cwd=APP_DIR, env=full_env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - launched < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"the app exited with {process.returncode}; see {log}")
            try:
                response = client.get(f"{url}/health")
                if response.status_code == 200:
                    return Started(process, url, time.perf_counter() - launched, response.json())
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"the app did not get ready in {timeout} s; see {log}")
