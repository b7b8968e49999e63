"""Parse + evaluate of a workspace's bicep in a warm daemon (goal: <= 100 ms), and what the first one costs.

The AI Toolkit-shaped fixture (tests/fixtures/aitoolkit_project) and our own template, each: `load_template`
(read, parse with tree-sitter, bind the parameters file) + `evaluate` (parameters, variables, every resource,
names checked), in-process as the daemon runs it. Baseline in the same run: reading and JSON-parsing the same
parameters file, the least any provision does with the workspace.

    python bench/bicep_eval.py [--runs 50]
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

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "aitoolkit_project"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    cold = subprocess.run([sys.executable, "-c", (
        "import time; t=time.perf_counter(); from pathlib import Path; "
        "from aca_inference.workspace.template import load_template, evaluate; "
        "from aca_inference.workspace.bicep import Deployment; "
        f"evaluate(load_template(Path({str(FIXTURE)!r})), Deployment('s', 'rg', 'westus3')); "
        "print(time.perf_counter()-t)")], capture_output=True, text=True, check=True)
    from aca_inference.workspace.bicep import Deployment
    from aca_inference.workspace.template import evaluate, load_template

    deployment = Deployment("00000000-0000-0000-0000-000000000001", "rg-finetune", "westus3")
    result: dict[str, float] = {"first_in_a_fresh_process_s": round(float(cold.stdout), 4)}
    for name, root in (("aitoolkit_template", FIXTURE), ("our_template", Path(__import__("tempfile").mkdtemp()))):
        evaluate(load_template(root), deployment)  # warm
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            evaluate(load_template(root), deployment)
            times.append(time.perf_counter() - started)
        result[f"{name}_median_ms"] = round(statistics.median(times) * 1000, 2)
        result[f"{name}_max_ms"] = round(max(times) * 1000, 2)
    params = FIXTURE / "infra" / "provision" / "inference.parameters.json"
    baseline = statistics.median(_time(lambda: json.loads(params.read_text())) for _ in range(args.runs))
    result["baseline_read_parameters_ms"] = round(baseline * 1000, 3)
    result["ratio_to_baseline"] = round(result["aitoolkit_template_median_ms"] / (baseline * 1000), 1)
    modules = subprocess.run([sys.executable, "-c", "import sys; from aca_inference.lsp.server import build_server; "
                              "build_server(); print(len([m for m in sys.modules if m.startswith('tree_sitter')]))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    result["tree_sitter_modules_at_daemon_start"] = int(modules)
    for key, value in result.items():
        print(f"{key:<40} {value}")
    print(f"goal: warm parse + evaluate <= 100 ms: {'met' if result['aitoolkit_template_median_ms'] <= 100 else 'NOT met'}")
    save_result("bicep_eval", result)


def _time(call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
