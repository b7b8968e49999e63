"""A new adapter served by `POST /admin/reload` against a full restart (stop, `python3 start.py` with its stamp,
ready), and the requests answered while reloads happen, on the demo model (CPU).

    python bench/adapter_reload_bench.py [--runs 5]

Prints the table, writes bench/results/adapter_reload_bench.json."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_process import APP_DIR, start_app  # noqa: E402
from results_file import save_result  # noqa: E402

KEY = "bench"
HEADERS = {"Authorization": f"Bearer {KEY}"}
QUESTION = [{"role": "user", "content": "Who built the bridge?"}]


class Traffic(threading.Thread):
    """Streaming requests back to back, alternating the default adapter and the base model."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.served, self.errors = url, 0, []  # type: tuple[str, int, list[str]]
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=120, headers=HEADERS) as client:
            while not self.stopping.is_set():
                model = ("qlora", "tiny-phi-3-demo")[self.served % 2]
                try:
                    response = client.post(f"{self.url}/v1/chat/completions", json={
                        "model": model, "messages": QUESTION, "max_tokens": 16, "stream": True})
                    ok = response.status_code == 200 and response.text.rstrip().endswith("[DONE]") \
                        and '"error"' not in response.text
                    if not ok:
                        self.errors.append(f"{response.status_code}: {response.text[-200:]}")
                except httpx.HTTPError as error:
                    self.errors.append(repr(error))
                self.served += 1


def reload(url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    response = httpx.post(f"{url}/admin/reload", headers=HEADERS, timeout=300)
    response.raise_for_status()
    return time.perf_counter() - started, response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from aca_inference.demo_model import add_demo_adapter, make_demo_model

    with tempfile.TemporaryDirectory(prefix="reload-bench-") as temp:
        root = make_demo_model(Path(temp) / "share").root
        spare = Path(temp) / "spare"
        make_demo_model(spare)
        add_demo_adapter(spare, "new-run/adapter", seed=5)
        env = {"MODEL_ROOT": str(root), "INFERENCE_API_KEY": KEY, "INFERENCE_STAMP_DIR": str(Path(temp) / "stamps"),
               "INFERENCE_CONCURRENCY": "2", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        subprocess.run([sys.executable, "start.py", "--deps-only"], env={**os.environ, **env}, cwd=APP_DIR,
                       check=True, capture_output=True)
        log = Path(temp) / "app.log"
        restarts: list[float] = []
        app = start_app("exec python3 start.py", env, log)
        for _ in range(args.runs):
            stop_started = time.perf_counter()
            app.stop()
            stopped = time.perf_counter() - stop_started
            app = start_app("exec python3 start.py", env, log)
            restarts.append(stopped + app.seconds)
        adds: list[float] = []
        removes: list[float] = []
        traffic = Traffic(app.url)
        traffic.start()
        time.sleep(1)
        for _ in range(args.runs):
            shutil.copytree(spare / "models" / "new-run", root / "models" / "new-run")
            seconds, body = reload(app.url)
            assert body["added"] == ["new-run"], body
            adds.append(seconds)
            answer = httpx.post(f"{app.url}/v1/chat/completions", headers=HEADERS, timeout=60, json={
                "model": "new-run", "messages": QUESTION, "max_tokens": 4})
            assert answer.status_code == 200, answer.text
            shutil.rmtree(root / "models" / "new-run")
            seconds, body = reload(app.url)
            assert body["removed"] == ["new-run"], body
            removes.append(seconds)
        traffic.stopping.set()
        traffic.join(timeout=120)
        app.stop()
    restart, add, remove = (statistics.median(v) for v in (restarts, adds, removes))
    print(f"{'what':<40}{'median':>10}  runs")
    print(f"{'full restart (stop + start.py to ready)':<40}{restart:>9.3f}s  {', '.join(f'{v:.2f}' for v in restarts)}")
    print(f"{'reload adding one adapter':<40}{add:>9.3f}s  {', '.join(f'{v:.3f}' for v in adds)}")
    print(f"{'reload removing it':<40}{remove:>9.3f}s  {', '.join(f'{v:.3f}' for v in removes)}")
    print(f"reload is {restart / add:.0f}x faster than a restart (goal >= 10x)")
    print(f"requests during the reloads: {traffic.served} answered, {len(traffic.errors)} errors")
    path = save_result("adapter_reload_bench", {
        "model": "demo (tiny Phi-3, CPU)", "runs": args.runs, "restart_seconds": restarts,
        "reload_add_seconds": adds, "reload_remove_seconds": removes,
        "median": {"restart": restart, "reload_add": add, "reload_remove": remove},
        "speedup_reload_vs_restart": restart / add,
        "requests_during_reloads": {"served": traffic.served, "errors": len(traffic.errors),
                                    "first_errors": traffic.errors[:5]}})
    print(f"written {path}")
    return 0 if not traffic.errors else 1


if __name__ == "__main__":
    sys.exit(main())
