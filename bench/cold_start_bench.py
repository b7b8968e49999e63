"""Restart to ready: the template's command (`pip install -r requirements.txt && python3 app.py`, pip every time)
against `python3 start.py` with its stamp in place (pip skipped), alternating, on the demo model (CPU).

    python bench/cold_start_bench.py [--runs 3]

Prints the table and the phases /health reports, writes bench/results/cold_start_bench.json."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_process import APP_DIR, start_app  # noqa: E402
from results_file import save_result  # noqa: E402

COMMANDS = {
    "pip every start (template)": "pip install -r requirements.txt && exec python3 app.py",
    "start.py, stamp hit": "exec python3 start.py",
}


def dependency_step(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one dependency step on its own (CPU: less sensitive to a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env={**os.environ, **env}, cwd=APP_DIR, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from aca_inference.demo_model import make_demo_model

    with tempfile.TemporaryDirectory(prefix="cold-start-bench-") as temp:
        root = make_demo_model(Path(temp) / "share").root
        # `pip` and `python3` on PATH are this interpreter's, as the image's are in the container.
        env = {"MODEL_ROOT": str(root), "INFERENCE_API_KEY": "bench", "INFERENCE_STAMP_DIR": str(Path(temp) / "stamps"),
               "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        # The first start.py run on this environment writes the stamp; the measured ones find it.
        subprocess.run([sys.executable, "start.py", "--deps-only"], env={**os.environ, **env}, cwd=APP_DIR,
                       check=True, capture_output=True)
        steps: dict[str, list[tuple[float, float]]] = {"pip install -r requirements.txt": [],
                                                       "start.py --deps-only (stamp hit)": []}
        for _ in range(args.runs * 2):
            steps["pip install -r requirements.txt"].append(dependency_step(
                [sys.executable, "-m", "pip", "install", "-r", "requirements.txt"], env))
            steps["start.py --deps-only (stamp hit)"].append(dependency_step(
                [sys.executable, "start.py", "--deps-only"], env))
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        phases: dict[str, dict] = {}
        for _ in range(args.runs):
            for name, command in COMMANDS.items():
                started = start_app(command, env, Path(temp) / "app.log")
                times[name].append(started.seconds)
                phases[name] = started.health["startup"]
                started.stop()
    medians = {name: statistics.median(values) for name, values in times.items()}
    base, stamp = medians["pip every start (template)"], medians["start.py, stamp hit"]
    print(f"{'command':<30}{'median to ready':>18}  runs")
    for name, values in times.items():
        print(f"{name:<30}{medians[name]:>17.2f}s  {', '.join(f'{v:.2f}' for v in values)}")
    print(f"stamp hit saves {base - stamp:.2f} s per start ({base / stamp:.2f}x faster to ready)")
    step_medians = {name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                    for name, v in steps.items()}
    for name, (wall, cpu) in step_medians.items():
        print(f"  dependency step alone, {name}: {wall:.3f} s wall, {cpu:.3f} s CPU (median of {len(steps[name])})")
    for name, startup in phases.items():
        print(f"  {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in startup["phases"].items()))
    path = save_result("cold_start_bench", {
        "model": "demo (tiny Phi-3, CPU)", "runs": args.runs, "seconds_to_ready": times,
        "median_seconds": medians, "speedup": base / stamp, "saved_seconds": base - stamp,
        "dependency_step_median_wall_cpu_seconds": step_medians,
        "phases_last_run": phases})
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
