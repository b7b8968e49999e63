"""The portable engine: transformers + PEFT on CPU or GPU, with or without 4-bit. Generations share one running
batch (`batcher.ContinuousBatcher`): each joins and leaves at a token boundary, with its own sampling, stops,
`max_tokens` and adapter. `INFERENCE_BATCHING=off` runs one `generate` per request in its own thread instead
(the AI Toolkit template's way; kept as the benchmark's baseline and for models whose cache cannot be batched).
Imported by the background loader only (torch and transformers take seconds to import)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

import torch
from peft import PeftModel
from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

from .adapter_gate import EXCLUSIVE, AdapterGate
from .batcher import ContinuousBatcher, Row
from .engine import Admission, Generation, GenerationEngine, Prompt, Sampling, StopMatcher
from .loading import Placement, choose_placement, context_length, load_base_model, load_tokenizer, prefetch_weights
from .model_files import AdapterFiles, ModelFiles
from .settings import Settings
from .startup import StartupReport

log = logging.getLogger(__name__)

_END = object()
_BASE = "__base__"  # PEFT's name for "no adapter" in a mixed batch
_UNSET = object()


class TransformersEngine(GenerationEngine):
    """The base model with every adapter attached through PEFT (never merged: the base model is served too)."""

    name = "transformers"

    def __init__(self, model: Any, tokenizer: Any, files: ModelFiles, placement: Placement,
                 admission: Admission, generation_timeout: float, peft_names: dict[str, str],
                 batching: bool = True) -> None:
        super().__init__(tokenizer, admission)
        self.model = model
        self.base_id = files.model_id
        self.placement = placement
        self.max_context = context_length(model, tokenizer)
        self.generation_timeout = generation_timeout
        self.eos_token_ids = _eos_token_ids(model, tokenizer)
        # PEFT adapter names live in module dicts (no "." allowed): served ids map onto safe internal names.
        self.peft_names = peft_names
        self._next_name = len(peft_names)
        self._active: object = _UNSET  # the adapter the PEFT layers are switched to (None: disabled)
        self.batcher = (ContinuousBatcher(lambda: self.model, self._adapter_args, self.eos_token_ids,
                                          admission.slots) if batching else None)
        self.gate = AdapterGate(self._switch_to)  # one generate per request: the gate switches adapters
        mode = f"continuous batching of up to {admission.slots}" if batching else "one generate per request"
        self.description = f"transformers on {placement.describe()}, {mode}"

    @classmethod
    def load(cls, settings: Settings, files: ModelFiles, report: StartupReport) -> TransformersEngine:
        with report.phase("imports"):
            import peft  # noqa: F401 - timed here rather than inside the first adapter load
        placement = choose_placement(settings)
        log.info("Loading %s with transformers on %s", files.describe(), placement.describe())
        with report.phase("model_files_read") as details:
            tokenizer = load_tokenizer(files)
            details["bytes"] = prefetch_weights(files.base_model)
        with report.phase("weights_to_device", device=placement.describe()):
            model = load_base_model(files.base_model, placement, tokenizer)
        peft_names: dict[str, str] = {}
        for index, adapter in enumerate(files.adapters):
            with report.phase("adapters"):
                model = _attach(model, adapter, f"a{index}")
            peft_names[adapter.id] = f"a{index}"
        if files.adapters:
            report.details["adapters"] = {"count": len(files.adapters)}
        slots = settings.concurrency or (64 if placement.device == "cuda" else 16)
        return cls(model, tokenizer, files, placement, Admission(slots, settings.max_queue, settings.queue_timeout),
                   settings.generation_timeout, peft_names, batching=settings.batching)

    def _adapter_args(self, models: list[str]) -> dict[str, Any]:
        """Forward arguments for rows of these served models. One model for all: PEFT's plain path with that
        adapter switched on (the fastest). Several: `adapter_names`, PEFT's mixed batch (one LoRA pass per
        adapter's rows). Runs on the thread that runs the model, between forward passes."""
        if not isinstance(self.model, PeftModel):
            return {}  # a plain model: only the base model is served
        names = [None if m == self.base_id else self.peft_names[m] for m in models]
        if len(set(names)) > 1:
            self._switch(_BASE)
            return {"adapter_names": [name or _BASE for name in names]}
        self._switch(names[0] if names else None)
        return {}

    def _switch_to(self, model: str) -> None:
        if isinstance(self.model, PeftModel):
            self._switch(None if model == self.base_id else self.peft_names[model])

    def _switch(self, name: str | None) -> None:
        if self._active == name:
            return
        lora = self.model.base_model
        if name is None:
            lora.disable_adapter_layers()
        else:
            lora.enable_adapter_layers()
            if name != _BASE:
                self.model.set_adapter(name, inference_mode=True)
        self._active = name

    async def _changing_model(self, change: Any) -> Any:
        """Run `change` (it alters the model's modules) where no forward pass can see it half-done."""
        if self.batcher is not None:
            return await asyncio.wrap_future(self.batcher.between_steps(change))

        leave = await self.gate.enter(EXCLUSIVE)
        try:
            return await asyncio.to_thread(change)
        finally:
            leave()

    async def add_adapter(self, adapter: AdapterFiles) -> None:
        # Read the files into the page cache while others generate; attach between two steps, which takes
        # milliseconds once the bytes are in memory.
        await asyncio.to_thread(prefetch_weights, adapter.path)
        name = f"a{self._next_name}"
        self._next_name += 1

        def attach() -> None:
            self.model = _attach(self.model, adapter, name)
            self.peft_names[adapter.id] = name
            self._active = _UNSET  # a new PeftModel, or load_adapter may have changed the active one

        await self._changing_model(attach)

    async def remove_adapter(self, adapter_id: str) -> None:
        name = self.peft_names.get(adapter_id)
        if name is None:
            return

        def detach() -> None:
            del self.peft_names[adapter_id]
            self.model = _detach(self.model, name, not self.peft_names)
            self._active = _UNSET

        await self._changing_model(detach)

    async def _stream(self, prompt: Prompt, sampling: Sampling, generation: Generation,
                      model: str) -> AsyncGenerator[str, None]:
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[Any] = asyncio.Queue()
        streamer = _LoopStreamer(self.tokenizer, loop, pieces)
        stops = StopMatcher(sampling.stop)
        stop = await self._start(prompt, sampling, model, streamer, lambda item: loop.call_soon_threadsafe(
            pieces.put_nowait, item))
        try:
            while True:
                piece = await pieces.get()
                if piece is _END:
                    break
                if isinstance(piece, BaseException):
                    raise piece
                if generation.first_token_at is None:
                    generation.first_token_at = time.monotonic()
                text = stops.feed(piece)
                if text:
                    yield text
                if stops.stopped:
                    break
            if not stops.stopped:
                tail = stops.flush()
                if tail:
                    yield tail
        finally:
            stop()  # client gone, stop sequence hit or error: the generation ends at its next token
            generation.completion_tokens = streamer.generated
            if stops.stopped or streamer.last_token in self.eos_token_ids:
                generation.finish_reason = "stop"
            else:
                generation.finish_reason = "length"

    async def _start(self, prompt: Prompt, sampling: Sampling, model: str, streamer: _LoopStreamer,
                     post: Callable[[object], None]) -> Callable[[], None]:
        """Start the generation; returns the function that stops it."""
        def end(error: BaseException | None) -> None:
            streamer.end()
            post(_END if error is None else error)

        if self.batcher is not None:
            generator = None
            if not sampling.greedy:
                generator = torch.Generator(self.model.device)
                generator.manual_seed(sampling.seed if sampling.seed is not None else secrets.randbits(63))
            streamer.put(torch.tensor([prompt.token_ids]))  # as `generate` does: the prompt first (not streamed)
            row = Row(prompt.token_ids, sampling, model, lambda token: streamer.put(torch.tensor([token])), end,
                      deadline=time.monotonic() + self.generation_timeout, generator=generator)
            self.batcher.submit(row)
            return row.cancel
        cancelled = threading.Event()
        leave = await self.gate.enter(model)

        def run() -> None:
            try:
                self._generate(prompt, sampling, streamer, cancelled)
            except BaseException as error:  # surfaced to the request, not lost in the thread
                end(error)
            else:
                end(None)
            finally:
                leave()

        try:
            threading.Thread(target=run, name="generate", daemon=True).start()
        except BaseException:
            leave()
            raise
        return cancelled.set

    def _generate(self, prompt: Prompt, sampling: Sampling, streamer: _LoopStreamer,
                  cancelled: threading.Event) -> None:
        """One `generate` call for one request (INFERENCE_BATCHING=off)."""
        device = self.model.device
        input_ids = torch.tensor([prompt.token_ids], dtype=torch.long, device=device)
        kwargs: dict[str, Any] = dict(
            input_ids=input_ids, attention_mask=torch.ones_like(input_ids), streamer=streamer,
            max_new_tokens=sampling.max_new_tokens, max_time=self.generation_timeout,
            stopping_criteria=StoppingCriteriaList([_Cancelled(cancelled)]), eos_token_id=self.eos_token_ids,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        if sampling.greedy:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p,
                          top_k=sampling.top_k or 0)
        if sampling.seed is not None:
            torch.manual_seed(sampling.seed)
        with torch.inference_mode():
            self.model.generate(**kwargs)

    async def close(self) -> None:
        if self.batcher is not None:
            await asyncio.to_thread(self.batcher.close)


class _Cancelled(StoppingCriteria):
    """Ends `generate` at the next token once the request is gone or hit a stop sequence."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)


class _LoopStreamer(TextIteratorStreamer):
    """TextIteratorStreamer's incremental decoding, delivering pieces into an asyncio queue (no thread blocks on
    a queue.get) and counting the generated tokens."""

    def __init__(self, tokenizer: Any, loop: asyncio.AbstractEventLoop, pieces: asyncio.Queue[Any]) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.loop = loop
        self.pieces = pieces
        self.generated = 0
        self.last_token: int | None = None

    def put(self, value: Any) -> None:
        if not (self.skip_prompt and self.next_tokens_are_prompt):
            flat = value.reshape(-1)
            self.generated += int(flat.numel())
            if flat.numel():
                self.last_token = int(flat[-1])
        super().put(value)

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.loop.call_soon_threadsafe(self.pieces.put_nowait, text)


def _attach(model: Any, adapter: AdapterFiles, name: str) -> Any:
    """`model` with one more LoRA adapter (wrapped in a PeftModel on the first one), in eval mode."""
    if isinstance(model, PeftModel):
        model.load_adapter(str(adapter.path), adapter_name=name, is_trainable=False)
    else:
        model = PeftModel.from_pretrained(model, str(adapter.path), adapter_name=name, is_trainable=False)
    model.eval()  # new LoRA dropout modules start in training mode
    return model


def _detach(model: Any, name: str, last: bool) -> Any:
    """`model` without adapter `name`; the plain base model again when it was the last one."""
    if last:
        return model.unload()  # the LoRA layers go, the original modules come back
    model.delete_adapter(name)
    return model


def _eos_token_ids(model: Any, tokenizer: Any) -> list[int]:
    ids: set[int] = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (configured, tokenizer.eos_token_id):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list | tuple):
            ids.update(v for v in value if isinstance(v, int))
    # Phi-3 chat models end a turn with <|end|>; stop there even if the config does not say so.
    end = tokenizer.convert_tokens_to_ids("<|end|>") if "<|end|>" in tokenizer.get_vocab() else None
    if isinstance(end, int):
        ids.add(end)
    return sorted(ids)
