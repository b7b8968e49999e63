"""`make-demo-model`: a tiny Phi-3-architecture model + LoRA adapter, offline, in the template's layout."""

from __future__ import annotations

from pathlib import Path

from .reporter import Reporter
from .results import DemoModelResult


async def make_demo(output: Path, reporter: Reporter) -> DemoModelResult:
    import anyio

    from ..demo_model import make_demo_model

    async with reporter.progress("Creating the demo model", cancellable=False) as progress:
        progress.report("training tokenizer, writing base model and adapter")
        model = await anyio.to_thread.run_sync(lambda: make_demo_model(output))
    result = DemoModelResult(summary=f"Demo model written under {output}", root=str(model.root),
                             base_model_path=str(model.base_model_path), adapter_path=str(model.adapter_path))
    reporter.log(f"root: {result.root}")
    reporter.log(f"base_model_path: {result.base_model_path}")
    reporter.log(f"adapter_path: {result.adapter_path}")
    return result
