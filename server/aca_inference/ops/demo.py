"""`make-demo-model`: a tiny Phi-3-architecture model + LoRA adapter, offline, in the template's layout."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from .reporter import Reporter


async def make_demo(output: Path, reporter: Reporter) -> dict[str, Any]:
    import anyio

    from ..demo_model import make_demo_model

    async with reporter.progress("Creating the demo model", cancellable=False) as progress:
        progress.report("training tokenizer, writing base model and adapter")
        model = await anyio.to_thread.run_sync(lambda: make_demo_model(output))
    paths = asdict(model) if is_dataclass(model) else dict(vars(model))
    result = {key: str(value) for key, value in paths.items()}
    for key, value in result.items():
        reporter.log(f"{key}: {value}")
    result["summary"] = f"Demo model written under {output}"
    return result
