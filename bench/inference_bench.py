"""Tokens/s and time to first token of the inference app at 1 and 16 concurrent streams.

Runs the real app (`python3 inference/app.py`) and drives it with the `openai` client, streaming, as users do.
Each configuration ("engine") is measured in the same run, so the ratios compare like with like:

- transformers  - the app's default: continuous batching (requests join and leave one running batch at token
                  boundaries, adapters mixed in it), up to INFERENCE_CONCURRENCY (16 on CPU) at once.
- previous      - the engine before continuous batching: one `generate` per request behind the bounded queue,
                  one at a time on CPU (INFERENCE_BATCHING=false, INFERENCE_CONCURRENCY=1). Measured at 1 stream
                  only: at 16 its queue is what continuous batching replaces (minutes per run on a busy machine).
- template      - the AI Toolkit template's approach: one `generate` thread per request, all at once, no queue
                  (INFERENCE_BATCHING=false with an unbounded INFERENCE_CONCURRENCY). The baseline of the ratios.
- transformers-bf16 / transformers-4bit - the default on a GPU without / with 4-bit quantization.
- vllm          - vLLM with the adapter as a LoRA (needs vllm and a CUDA GPU; fails fast without them).

With --mix-adapters each batching engine is also measured with mixed traffic ("<engine> mixed"): stream i asks for
model i mod N of every model served (the base model and each adapter).

    python bench/inference_bench.py --mix-adapters        # demo model (+ a second adapter): the three engines
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
    "transformers-bf16": {"INFERENCE_ENGINE": "transformers", "INFERENCE_QUANTIZATION": "none"},
    "transformers-4bit": {"INFERENCE_ENGINE": "transformers", "INFERENCE_QUANTIZATION": "4bit"},
    "previous": {"INFERENCE_ENGINE": "transformers", "INFERENCE_BATCHING": "false", "INFERENCE_CONCURRENCY": "1"},
    "template": {"INFERENCE_ENGINE": "transformers", "INFERENCE_BATCHING": "false", "INFERENCE_CONCURRENCY": "1024"},
    "vllm": {"INFERENCE_ENGINE": "vllm"},
}
SINGLE_STREAM = {"previous"}
UNBATCHED = {"previous", "template"}  # baselines: one generate per request; mixed traffic is not their question
SECOND_ADAPTER = "run-2/adapter"  # the demo model's second adapter, for mixed traffic
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


async def served_models(client) -> list[str]:
    """Every model the app serves, the default first."""
    return [card.id for card in (await client.models.list()).data]


async def measure_all(apps: dict[str, tuple[str, str]], stream_counts: list[int], runs: int,
                      max_tokens: int, mix_adapters: bool = False) -> list[Measurement]:
    """Runs alternate between the configurations (A B A B ...), so load from elsewhere on the machine hits them
    alike. A configuration is an engine with traffic for its default model, or (mixed) for all its models."""
    import openai

    clients = {engine: openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=900)
               for engine, (url, key) in apps.items()}
    plans: dict[str, tuple[str, list[str]]] = {}
    for engine, client in clients.items():
        models = await served_models(client)
        plans[engine] = (engine, models[:1])
        if mix_adapters and len(models) > 1 and engine not in UNBATCHED:
            plans[f"{engine} mixed"] = (engine, models)
    for engine, models in plans.values():  # warm-up: first calls pay for lazy initialisation
        for model in models:
            await run_batch(clients[engine], [model], 1, max_tokens)
    batches: dict[tuple[str, int], list[tuple[float, list[StreamResult]]]] = {}
    for streams in stream_counts:
        for _ in range(runs):
            for label, (engine, models) in plans.items():
                if streams > 1 and engine in SINGLE_STREAM:
                    continue
                batches.setdefault((label, streams), []).append(
                    await run_batch(clients[engine], models, streams, max_tokens))
    for client in clients.values():
        await client.close()
    return [summarize(label, streams, batches[(label, streams)])
            for label in plans for streams in stream_counts if (label, streams) in batches]


def engine_env(engine: str, model_root: Path, max_tokens: int) -> dict[str, str]:
    return {"MODEL_ROOT": str(model_root), "INFERENCE_API_KEY": "bench", "INFERENCE_MAX_QUEUE": "1024",
            "INFERENCE_QUEUE_TIMEOUT": "3600",
            "INFERENCE_MAX_TOKENS_LIMIT": str(max(max_tokens, 2048)), **ENGINE_ENV[engine]}


def print_table(measurements: list[Measurement], baseline: str | None) -> None:
    base = {m.streams: m for m in measurements if m.engine == baseline}
    load = os.getloadavg()
    print(f"load average before the table: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    print(f"{'engine':<22}{'streams':>8}{'tok/s':>10}{'tok/s/stream':>14}{'TTFT p50':>11}{'TTFT p95':>11}"
          f"{'latency p50':>13}{'tokens':>8}{'tok/s x ' + (baseline or '-'):>18}")
    for m in measurements:
        ratio = f"{m.tokens_per_second / base[m.streams].tokens_per_second:.2f}" if m.streams in base else "-"
        print(f"{m.engine:<22}{m.streams:>8}{m.tokens_per_second:>10.1f}{m.per_stream_tokens_per_second:>14.1f}"
              f"{m.ttft_p50:>10.3f}s{m.ttft_p95:>10.3f}s{m.latency_p50:>12.3f}s{m.completion_tokens:>8}{ratio:>18}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", action="append", choices=sorted(ENGINE_ENV),
                        help="engine(s) to start the app with (default: transformers, previous and template)")
    parser.add_argument("--model-root", type=Path, help="folder with model-cache/ and models/ (default: demo model)")
    parser.add_argument("--url", help="benchmark an app that is already running instead of starting one")
    parser.add_argument("--api-key", default=os.environ.get("INFERENCE_API_KEY", "unused"))
    parser.add_argument("--streams", type=int, action="append", help="concurrent streams (default: 1 and 16)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--name", default="inference_bench", help="results file: bench/results/<name>.json")
    parser.add_argument("--mix-adapters", action="store_true",
                        help="also measure each engine with streams alternating over every model it serves "
                             "(the demo model gets a second adapter for it)")
    args = parser.parse_args()
    stream_counts = args.streams or [1, 16]
    print("load average at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.url:
        engines = ["running-app"]
        measurements = asyncio.run(measure_all({"running-app": (args.url.rstrip("/"), args.api_key)},
                                               stream_counts, args.runs, args.max_tokens, args.mix_adapters))
    else:
        from tests.inference_app.conftest import running_app

        engines = args.engine or ["transformers", "previous", "template"]
        with tempfile.TemporaryDirectory(prefix="inference-bench-") as temp, contextlib.ExitStack() as apps:
            model_root = args.model_root
            if model_root is None:
                from aca_inference.demo_model import add_demo_adapter, make_demo_model

                model_root = make_demo_model(Path(temp) / "share").root
                if args.mix_adapters:
                    add_demo_adapter(model_root, SECOND_ADAPTER, seed=7)
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
        "load_average": os.getloadavg(),
        "measurements": [asdict(m) for m in measurements],
    }, indent=2) + "\n")
    print(f"written {results.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
