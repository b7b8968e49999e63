"""Tokens/s and time to first token of the inference app at 1 and 16 concurrent streams.

Runs the real app (`python3 inference/app.py`) and drives it with the `openai` client, streaming, as users do.
Each configuration ("engine") is measured in the same run, so the ratios compare like with like:

- transformers  - the app's default: transformers `generate` per request behind the bounded queue
                  (one generation at a time on CPU, INFERENCE_CONCURRENCY on GPU).
- template      - the AI Toolkit template's approach: one `generate` thread per request, all at once, no queue
                  (the same app with an unbounded INFERENCE_CONCURRENCY). The baseline of the ratios.
- vllm          - vLLM with the adapter as a LoRA (needs vllm and a CUDA GPU; fails fast without them).

    python bench/inference_bench.py                       # demo model, engines transformers + template
    python bench/inference_bench.py --engine transformers --engine vllm --engine template \\
        --model-root /mount                               # a real model on a GPU machine
    python bench/inference_bench.py --url http://127.0.0.1:7860 --api-key KEY   # an app already running

Prints a table and writes bench/results/inference_bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results" / "inference_bench.json"
ENGINE_ENV = {
    "transformers": {"INFERENCE_ENGINE": "transformers"},
    "template": {"INFERENCE_ENGINE": "transformers", "INFERENCE_CONCURRENCY": "1024"},
    "vllm": {"INFERENCE_ENGINE": "vllm"},
}
PROMPTS = ["Where does the road over the pass go?", "Who built the bridge?", "What does the traveller write?",
           "How is an answer streamed?"]


@dataclass
class StreamResult:
    ttft: float  # seconds from sending the request to the first content
    duration: float
    completion_tokens: int


@dataclass
class Measurement:
    engine: str
    streams: int
    runs: int
    wall_seconds: float  # median over runs
    tokens_per_second: float  # all streams' completion tokens / wall time (median)
    per_stream_tokens_per_second: float  # median of completion tokens / (duration - ttft)
    ttft_p50: float
    ttft_p95: float
    latency_p50: float  # request to last token
    completion_tokens: int  # per run, all streams


async def one_stream(client, model: str, prompt: str, max_tokens: int) -> StreamResult:
    started = time.perf_counter()
    first = None
    tokens = 0
    stream = await client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0,
        stream=True, stream_options={"include_usage": True})
    async for chunk in stream:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter()
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
    ended = time.perf_counter()
    return StreamResult(ttft=(first or ended) - started, duration=ended - started, completion_tokens=tokens)


async def run_batch(client, models: list[str], streams: int, max_tokens: int) -> tuple[float, list[StreamResult]]:
    """`streams` requests at once; stream i asks for models[i % len(models)] (several adapters: mixed traffic)."""
    started = time.perf_counter()
    batch = await asyncio.gather(*(one_stream(client, models[i % len(models)], PROMPTS[i % len(PROMPTS)], max_tokens)
                                   for i in range(streams)))
    return time.perf_counter() - started, list(batch)


def summarize(engine: str, streams: int, batches: list[tuple[float, list[StreamResult]]]) -> Measurement:
    results = [r for _, batch in batches for r in batch]
    ttfts = sorted(r.ttft for r in results)
    decode = [r.completion_tokens / (r.duration - r.ttft) for r in results if r.duration > r.ttft]
    return Measurement(
        engine=engine, streams=streams, runs=len(batches), wall_seconds=statistics.median(w for w, _ in batches),
        tokens_per_second=statistics.median(sum(r.completion_tokens for r in b) / w for w, b in batches),
        per_stream_tokens_per_second=statistics.median(decode) if decode else 0.0,
        ttft_p50=statistics.median(ttfts), ttft_p95=ttfts[min(len(ttfts) - 1, int(0.95 * len(ttfts)))],
        latency_p50=statistics.median(r.duration for r in results),
        completion_tokens=sum(r.completion_tokens for r in results) // len(batches),
    )


async def served_models(client, mix_adapters: bool) -> list[str]:
    """The default model, or with `mix_adapters` every adapter the app serves (those with a parent)."""
    cards = (await client.models.list()).data
    adapters = [card.id for card in cards if getattr(card, "parent", None)]
    return adapters if mix_adapters and adapters else [cards[0].id]


async def measure_all(apps: dict[str, tuple[str, str]], stream_counts: list[int], runs: int,
                      max_tokens: int, mix_adapters: bool = False) -> list[Measurement]:
    """Runs alternate between the engines (A B A B ...), so load from elsewhere on the machine hits them alike."""
    import openai

    clients = {engine: openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=900)
               for engine, (url, key) in apps.items()}
    models = {engine: await served_models(client, mix_adapters) for engine, client in clients.items()}
    for engine, client in clients.items():  # warm-up: first calls pay for lazy initialisation
        for _ in range(2):
            await run_batch(client, models[engine], 1, max_tokens)
    batches: dict[tuple[str, int], list[tuple[float, list[StreamResult]]]] = {}
    for streams in stream_counts:
        for _ in range(runs):
            for engine, client in clients.items():
                batches.setdefault((engine, streams), []).append(
                    await run_batch(client, models[engine], streams, max_tokens))
    for client in clients.values():
        await client.close()
    return [summarize(engine, streams, batches[(engine, streams)])
            for engine in apps for streams in stream_counts]


def engine_env(engine: str, model_root: Path, max_tokens: int) -> dict[str, str]:
    return {"MODEL_ROOT": str(model_root), "INFERENCE_API_KEY": "bench", "INFERENCE_MAX_QUEUE": "1024",
            "INFERENCE_MAX_TOKENS_LIMIT": str(max(max_tokens, 2048)), **ENGINE_ENV[engine]}


def print_table(measurements: list[Measurement], baseline: str | None) -> None:
    base = {m.streams: m for m in measurements if m.engine == baseline}
    print(f"{'engine':<13}{'streams':>8}{'tok/s':>10}{'tok/s/stream':>14}{'TTFT p50':>11}{'TTFT p95':>11}"
          f"{'latency p50':>13}{'tokens':>8}{'tok/s x ' + (baseline or '-'):>18}")
    for m in measurements:
        ratio = f"{m.tokens_per_second / base[m.streams].tokens_per_second:.2f}" if m.streams in base else "-"
        print(f"{m.engine:<13}{m.streams:>8}{m.tokens_per_second:>10.1f}{m.per_stream_tokens_per_second:>14.1f}"
              f"{m.ttft_p50:>10.3f}s{m.ttft_p95:>10.3f}s{m.latency_p50:>12.3f}s{m.completion_tokens:>8}{ratio:>18}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", action="append", choices=sorted(ENGINE_ENV),
                        help="engine(s) to start the app with (default: transformers and template)")
    parser.add_argument("--model-root", type=Path, help="folder with model-cache/ and models/ (default: demo model)")
    parser.add_argument("--url", help="benchmark an app that is already running instead of starting one")
    parser.add_argument("--api-key", default=os.environ.get("INFERENCE_API_KEY", "unused"))
    parser.add_argument("--streams", type=int, action="append", help="concurrent streams (default: 1 and 16)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--name", default="inference_bench", help="results file: bench/results/<name>.json")
    parser.add_argument("--mix-adapters", action="store_true",
                        help="streams alternate between every adapter the app serves (default: the default model)")
    args = parser.parse_args()
    stream_counts = args.streams or [1, 16]
    if args.url:
        engines = ["running-app"]
        measurements = asyncio.run(measure_all({"running-app": (args.url.rstrip("/"), args.api_key)},
                                               stream_counts, args.runs, args.max_tokens, args.mix_adapters))
    else:
        from tests.inference_app.conftest import running_app

        engines = args.engine or ["transformers", "template"]
        with tempfile.TemporaryDirectory(prefix="inference-bench-") as temp, contextlib.ExitStack() as apps:
            model_root = args.model_root
            if model_root is None:
                from aca_inference.demo_model import make_demo_model

                model_root = make_demo_model(Path(temp) / "share").root
            urls = {engine: (apps.enter_context(running_app(Path(temp), env=engine_env(engine, model_root,
                                                                                         args.max_tokens))).url,
                             "bench") for engine in engines}
            measurements = asyncio.run(measure_all(urls, stream_counts, args.runs, args.max_tokens,
                                                   args.mix_adapters))
    baseline = "template" if "template" in engines else None
    print_table(measurements, baseline)
    results = RESULTS.with_name(f"{args.name}.json")
    results.parent.mkdir(parents=True, exist_ok=True)
    import torch

    results.write_text(json.dumps({
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None},
        "model": "demo (tiny Phi-3)" if not (args.model_root or args.url) else str(args.model_root or args.url),
        "max_tokens": args.max_tokens, "baseline": baseline, "mix_adapters": args.mix_adapters,
        "measurements": [asdict(m) for m in measurements],
    }, indent=2) + "\n")
    print(f"written {results.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
