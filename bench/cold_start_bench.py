"""Restart to ready: the template's command (`pip install -r requirements.txt && python3 app.py`, pip every time)
against `python3 start.py` with its stamp in place (pip skipped), alternating, on the demo model (CPU).

    python bench/cold_start_bench.py [--runs 3]

Prints the table and the phases /health reports, writes bench/results/cold_start_bench.json."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_process import APP_DIR, start_app  # noqa: E402
from results_file import save_result  # noqa: E402

COMMANDS = {
    "pip every start (template)": "pip install -r requirements.txt && exec python3 app.py",
    "start.py, stamp hit": "exec python3 start.py",
}


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
    print(f"{'command':<30}{'median to ready':>18}{'runs':>30}")
    for name, values in times.items():
        print(f"{name:<30}{medians[name]:>17.2f}s{', '.join(f'{v:.2f}' for v in values):>30}")
    print(f"stamp hit saves {base - stamp:.2f} s per start ({base / stamp:.2f}x faster to ready)")
    for name, startup in phases.items():
        print(f"  {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in startup["phases"].items()))
    path = save_result("cold_start_bench", {
        "model": "demo (tiny Phi-3, CPU)", "runs": args.runs, "seconds_to_ready": times,
        "median_seconds": medians, "speedup": base / stamp, "saved_seconds": base - stamp,
        "phases_last_run": phases})
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
