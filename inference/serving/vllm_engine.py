"""The high-throughput engine: vLLM's AsyncLLMEngine with every adapter served as a LoRA (a `LoRARequest` per
request, so requests for different adapters share one batch), used
automatically when vllm is installed and a GPU is present (INFERENCE_ENGINE=auto). Continuous batching means
many requests share the GPU at once, so its admission allows far more concurrent generations than the
transformers engine. Same prompt rendering, same API, same stop/usage semantics.

Not exercised by this project's CI (no GPU there); `bench/inference_bench.py --engine vllm` measures it on a
GPU machine."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from .engine import Admission, Generation, GenerationEngine, Prompt, Sampling
from .model_files import AdapterFiles, ModelFiles
from .settings import Settings
from .startup import StartupReport

log = logging.getLogger(__name__)

_background: set[asyncio.Task[None]] = set()
# LoRA ranks vLLM's kernels are compiled for; the engine's max_lora_rank must be one of them.
_VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)


class VllmEngine(GenerationEngine):
    name = "vllm"

    def __init__(self, engine: Any, tokenizer: Any, files: ModelFiles, max_context: int, max_lora_rank: int,
                 admission: Admission, generation_timeout: float) -> None:
        super().__init__(tokenizer, admission)
        self.engine = engine
        self.base_id = files.model_id
        self.max_context = max_context
        self.max_lora_rank = max_lora_rank
        self.generation_timeout = generation_timeout
        self.loras: dict[str, Any] = {}  # served id -> LoRARequest; vLLM loads each on first use, per request
        self._next_lora_id = 1
        self.description = "vLLM on cuda" + (" + LoRA" if max_lora_rank else "")
        for adapter in files.adapters:
            self._register(adapter)

    @classmethod
    def load(cls, settings: Settings, files: ModelFiles, report: StartupReport) -> VllmEngine:
        with report.phase("imports"):
            from transformers import AutoConfig, AutoTokenizer
            from vllm import AsyncEngineArgs, AsyncLLMEngine

        log.info("Loading %s with vLLM", files.describe())
        options: dict[str, Any] = dict(model=str(files.base_model), tokenizer=str(files.base_model), dtype="auto",
                                       gpu_memory_utilization=settings.vllm_gpu_memory_utilization)
        max_rank = 0
        if not settings.base_only:
            # LoRA on even when no adapter exists yet, so a reload can add one; the largest rank is fixed at start.
            ranks = [_rank(adapter.path) for adapter in files.adapters] or [64]
            max_rank = next((r for r in _VLLM_LORA_RANKS if r >= max(ranks)), _VLLM_LORA_RANKS[-1])
            options.update(enable_lora=True, max_loras=max(4, len(files.adapters)), max_lora_rank=max_rank)
        with report.phase("weights_to_device", device="cuda (vLLM)"):
            engine = AsyncLLMEngine.from_engine_args(AsyncEngineArgs(**options))
        with report.phase("model_files_read"):
            tokenizer = AutoTokenizer.from_pretrained(str(files.base_model))
            config = AutoConfig.from_pretrained(str(files.base_model))
        max_context = int(getattr(config, "max_position_embeddings", 0) or 4096)
        slots = settings.concurrency or 64  # vLLM batches these together
        return cls(engine, tokenizer, files, max_context, max_rank,
                   Admission(slots, settings.max_queue, settings.queue_timeout), settings.generation_timeout)

    def _register(self, adapter: AdapterFiles) -> None:
        from vllm.lora.request import LoRARequest

        rank = _rank(adapter.path)
        if rank > self.max_lora_rank:
            raise RuntimeError(f"adapter {adapter.id} has rank {rank}, above the {self.max_lora_rank} this engine "
                               "was started with: restart the app to serve it")
        self.loras[adapter.id] = LoRARequest(adapter.id, self._next_lora_id, str(adapter.path))
        self._next_lora_id += 1

    async def add_adapter(self, adapter: AdapterFiles) -> None:
        self._register(adapter)
        add = getattr(self.engine, "add_lora", None)
        if callable(add):  # load it now rather than on its first request
            await add(self.loras[adapter.id])

    async def remove_adapter(self, adapter_id: str) -> None:
        lora = self.loras.pop(adapter_id, None)
        remove = getattr(self.engine, "remove_lora", None)
        if lora is not None and callable(remove):
            # The service calls this once the adapter's requests have ended; vLLM would otherwise evict it by LRU.
            try:
                await remove(lora.lora_int_id)
            except Exception:  # not loaded on the GPU (never requested): nothing to free
                log.debug("remove_lora(%s) failed", lora.lora_int_id, exc_info=True)

    async def _stream(self, prompt: Prompt, sampling: Sampling, generation: Generation,
                      model: str) -> AsyncGenerator[str, None]:
        from vllm import SamplingParams

        lora = self.loras.get(model)
        params = SamplingParams(
            max_tokens=sampling.max_new_tokens, temperature=0.0 if sampling.greedy else sampling.temperature,
            top_p=1.0 if sampling.greedy else sampling.top_p, top_k=sampling.top_k or -1,
            stop=list(sampling.stop) or None, seed=sampling.seed)
        request_id = uuid.uuid4().hex
        deadline = time.monotonic() + self.generation_timeout
        sent = 0
        finished = False
        try:
            outputs = self.engine.generate({"prompt_token_ids": prompt.token_ids}, params, request_id,
                                           lora_request=lora)
            async for output in outputs:
                completion = output.outputs[0]
                if generation.first_token_at is None and completion.token_ids:
                    generation.first_token_at = time.monotonic()
                generation.completion_tokens = len(completion.token_ids)
                if len(completion.text) > sent:
                    piece, sent = completion.text[sent:], len(completion.text)
                    yield piece
                if output.finished:
                    finished = True
                    generation.finish_reason = "length" if completion.finish_reason == "length" else "stop"
                    break
                if time.monotonic() > deadline:
                    break
        finally:
            if not finished:
                generation.finish_reason = generation.finish_reason or "length"
                # Not awaited: this block may run inside a cancelled scope (client gone), where awaits fail.
                task = asyncio.get_running_loop().create_task(_abort(self.engine, request_id))
                _background.add(task)
                task.add_done_callback(_background.discard)

    async def close(self) -> None:
        shutdown = getattr(self.engine, "shutdown", None)
        if callable(shutdown):
            shutdown()


def _rank(adapter: Path) -> int:
    return int(json.loads((adapter / "adapter_config.json").read_text()).get("r", 64))


async def _abort(engine: Any, request_id: str) -> None:
    try:
        await engine.abort(request_id)
    except Exception:  # the request may already be gone
        log.debug("abort of %s failed", request_id, exc_info=True)
