"""Provision wall time against the emulator's simulated durations, compared in the same run with the sum of
the durations (everything one after another) and with the critical path
({Log Analytics -> environment} || {storage account -> share}, then environment storage, then the app).
Goal: wall time <= 1.1x the critical path.

    python bench/provision_bench.py [--time-scale 0.05] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from aca_emulator.settings import DEFAULT_DURATIONS
from aca_emulator.testing import running_emulator
from aca_inference.cli.reporter import CliReporter
from aca_inference.ops.context import OperationContext, TargetSettings
from aca_inference.ops.provision import ProvisionRequest, provision
from results_file import save_result

TEMPLATE = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "contentVersion": "1.0.0.0", "parameters": {"acaAppName": {"value": None}}}


def durations(scale: float) -> dict[str, float]:
    d = {k: v * scale for k, v in DEFAULT_DURATIONS.items()}
    steps = {"storage account": d["storage_account"], "file share": 0.0,
             "Log Analytics workspace": d["log_analytics_workspace"],
             "Container Apps environment": d["managed_environment"], "environment storage": 0.0,
             "container app": d["container_app"]}
    critical = (max(steps["Log Analytics workspace"] + steps["Container Apps environment"],
                    steps["storage account"] + steps["file share"])
                + steps["environment storage"] + steps["container app"])
    return {"sum": sum(steps.values()), "critical": critical, **steps}


async def one_provision(data_dir: Path, workspace: Path, group: str) -> float:
    reporter = CliReporter(assume_yes=True, json_mode=True)
    context = OperationContext(root=workspace, reporter=reporter,
                               target=TargetSettings(kind="local", emulator_data_dir=data_dir))
    started = time.perf_counter()
    await provision(context, ProvisionRequest(resource_group=group, location="westus3"))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    expected = durations(args.time_scale)
    walls = []
    with tempfile.TemporaryDirectory() as temp, running_emulator(Path(temp) / "emulator", time_scale=args.time_scale,
                                                                 run_apps=False) as emulator:
        for run in range(args.runs):
            workspace = Path(temp) / f"ws{run}"
            (workspace / "infra" / "provision").mkdir(parents=True)
            (workspace / "infra" / "provision" / "inference.parameters.json").write_text(json.dumps(TEMPLATE))
            walls.append(asyncio.run(one_provision(Path(emulator.data_dir), workspace, f"rg-bench-{run}")))
    wall = min(walls)
    result = {"time_scale": args.time_scale, "wall_s": round(wall, 2), "critical_path_s": round(expected["critical"], 2),
              "sequential_sum_s": round(expected["sum"], 2), "ratio_to_critical_path": round(wall / expected["critical"], 3),
              "ratio_to_sequential": round(wall / expected["sum"], 3), "runs": [round(w, 2) for w in walls]}
    print(f"provision wall time        {wall:6.2f} s  (best of {args.runs})")
    print(f"critical path              {expected['critical']:6.2f} s  -> ratio {wall / expected['critical']:.3f} (goal <= 1.1)")
    print(f"sum of durations (serial)  {expected['sum']:6.2f} s  -> ratio {wall / expected['sum']:.3f}")
    save_result("provision", result)


if __name__ == "__main__":
    main()
