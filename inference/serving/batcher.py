"""Continuous batching for transformers models: one thread runs a step loop over every running generation.

Each step is one forward pass of the whole batch (one new token per row) over a shared KV cache. Rows have
different lengths, so the cache is left-padded and the attention mask hides the padding; every row keeps its own
position ids. Between steps, rows that finished (end token, `max_tokens`, deadline, cancelled) leave - their cache
rows are dropped - and requests that arrived are prefilled together (left-padded) and spliced in. So a request
starts at the next token boundary instead of waiting for the generations before it, and a short answer leaves
while a long one goes on.

Each row names its LoRA adapter (or None for the base model); the engine turns those into PEFT's `adapter_names`,
so requests for different adapters share a step. Each row samples with its own settings and its own
`torch.Generator` (a seeded request gives the same answer whatever else is in the batch).

Work that changes the model (attaching or deleting an adapter) runs on the loop thread between two steps
(`between_steps`), so no forward pass ever sees the modules half-changed. With nothing to do the thread sleeps on
a condition variable: an idle app uses no CPU.

Why not transformers' own continuous batching (`init_continuous_batching`): it packs every request into one
row of a paged cache, so PEFT's per-row `adapter_names` cannot mix adapters in a step, and `do_sample`/seeds are
fixed for the whole manager (see the README, inference section)."""

from __future__ import annotations

import concurrent.futures
import inspect
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import DynamicCache

from .engine import FinishReason, Sampling

log = logging.getLogger(__name__)

AdapterArgs = Callable[[list[str]], dict[str, Any]]  # the rows' models -> extra forward() arguments (adapters)


@dataclass(eq=False)
class Row:
    """One generation. `on_token` and `on_end` are called on the loop thread; `cancel` from any thread."""

    prompt: list[int]
    sampling: Sampling
    model: str  # the served model (the base model's id or an adapter's): the engine maps it to an adapter
    on_token: Callable[[int], None]
    on_end: Callable[[BaseException | None], None]
    deadline: float
    generated: int = 0
    finish_reason: FinishReason | None = None
    cancelled: bool = False
    generator: torch.Generator | None = field(default=None, repr=False)

    def cancel(self) -> None:
        self.cancelled = True  # read by the loop at the next token boundary


class ContinuousBatcher:
    def __init__(self, model: Callable[[], Any], adapter_args: AdapterArgs, eos_token_ids: list[int],
                 max_rows: int) -> None:
        self._model = model  # the current model: attaching the first adapter wraps it in a PeftModel
        self._adapter_args = adapter_args
        self._eos = set(eos_token_ids)
        self.max_rows = max_rows
        self._wake = threading.Condition()
        self._arrived: list[Row] = []
        self._jobs: list[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = []
        self._closed = False
        self._rows: list[Row] = []
        self._cache: DynamicCache | None = None
        self._mask = torch.zeros(0, 0, dtype=torch.long)  # 1 where the cache holds a real token
        self._lengths = torch.zeros(0, dtype=torch.long)  # real tokens per row: the next position id
        self._last = torch.zeros(0, 1, dtype=torch.long)  # each row's newest token, the next step's input
        self._thread = threading.Thread(target=self._loop, name="batcher", daemon=True)
        self._thread.start()

    def submit(self, row: Row) -> None:
        with self._wake:
            if self._closed:
                raise RuntimeError("the engine is shut down")
            self._arrived.append(row)
            self._wake.notify()

    def between_steps(self, job: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        """Run `job` on the loop thread before the next step (rows keep their place and their cache)."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._wake:
            self._jobs.append((job, future))
            self._wake.notify()
        return future

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        if torch.device(self._model().device).type == "cpu" and "OMP_NUM_THREADS" not in os.environ:
            # Measured on the 2-core CI machine (demo model, in-process, CPU time): with torch's default of 2
            # intra-op threads this thread's OpenMP workers cost ~14x the CPU per token of `generate`; with one,
            # 1 row matches `generate` and 16 rows give 12x 16 `generate` threads. OMP_NUM_THREADS overrides.
            torch.set_num_threads(1)
        while True:
            with self._wake:
                while not (self._closed or self._arrived or self._jobs or self._rows):
                    self._wake.wait()
                if self._closed:
                    break
                jobs, self._jobs = self._jobs, []
                room = max(0, self.max_rows - len(self._rows))
                arrived, self._arrived = self._arrived[:room], self._arrived[room:]
            for job, future in jobs:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(job())
                    except BaseException as error:
                        future.set_exception(error)
            try:
                with torch.inference_mode():
                    self._join([row for row in arrived if not self._cancelled(row)])
                    self._leave()  # cancelled rows, and answers that ended at their first token
                    if self._rows:
                        self._step()
                        self._leave()
            except Exception as error:  # e.g. out of memory: fail these generations, keep serving
                log.exception("Batch step failed")
                for row in [*self._rows, *arrived]:
                    if row.finish_reason is None and not row.cancelled:
                        row.finish_reason = "length"
                    _end(row, error)
                self._reset()
        for row in [*self._rows, *self._arrived]:
            _end(row, RuntimeError("the engine is shut down"))

    def _cancelled(self, row: Row) -> bool:
        if row.cancelled:
            _end(row, None)
        return row.cancelled

    def _reset(self) -> None:
        self._rows, self._cache = [], None
        self._mask, self._lengths = self._mask[:0, :0], self._lengths[:0]
        self._last = self._last[:0]

    def _forward(self, input_ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, cache: DynamicCache,
                 rows: list[Row]) -> torch.Tensor:
        """Logits of each row's last position."""
        model = self._model()
        device = torch.device(model.device)
        out = model(input_ids=input_ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                    use_cache=True, logits_to_keep=1, **{_cache_argument(model): cache},
                    **self._adapter_args([row.model for row in rows]))
        return out.logits[:, -1, :]

    def _join(self, rows: list[Row]) -> None:
        """Prefill the newcomers together (left-padded to the longest prompt) and splice them into the batch."""
        if not rows:
            return
        width = max(len(row.prompt) for row in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, width - len(row.prompt):] = torch.tensor(row.prompt, dtype=torch.long)
            mask[i, width - len(row.prompt):] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache()
        logits = self._forward(ids, mask, positions, cache, rows)
        lengths = mask.sum(-1)
        if self._cache is None:
            self._cache, self._mask, self._lengths = cache, mask, lengths
        else:
            self._splice(cache, mask, lengths)
        self._rows.extend(rows)
        self._last = torch.cat([self._last, torch.zeros(len(rows), 1, dtype=torch.long)])
        self._emit(logits, rows, offset=len(self._rows) - len(rows))

    def _splice(self, cache: DynamicCache, mask: torch.Tensor, lengths: torch.Tensor) -> None:
        assert self._cache is not None
        old, new = self._mask.shape[1], mask.shape[1]
        width = max(old, new)
        for mine, theirs in zip(self._cache.layers, cache.layers, strict=True):
            mine.keys = torch.cat([_pad_left(mine.keys, width), _pad_left(theirs.keys, width)])
            mine.values = torch.cat([_pad_left(mine.values, width), _pad_left(theirs.values, width)])
        self._mask = torch.cat([_pad_left(self._mask, width, dim=1), _pad_left(mask, width, dim=1)])
        self._lengths = torch.cat([self._lengths, lengths])

    def _step(self) -> None:
        assert self._cache is not None
        self._mask = torch.cat([self._mask, torch.ones(len(self._rows), 1, dtype=torch.long)], dim=1)
        logits = self._forward(self._last, self._mask, self._lengths[:, None], self._cache, self._rows)
        self._lengths = self._lengths + 1
        self._emit(logits, self._rows, offset=0)

    def _emit(self, logits: torch.Tensor, rows: list[Row], offset: int) -> None:
        """Choose each row's next token, hand it over and note whether the row is done."""
        tokens = _choose(logits, rows).cpu()
        self._last[offset:offset + len(rows), 0] = tokens
        now = time.monotonic()
        for row, token in zip(rows, tokens.tolist(), strict=True):
            row.generated += 1
            row.on_token(token)
            if token in self._eos:
                row.finish_reason = "stop"
            elif row.generated >= row.sampling.max_new_tokens or now > row.deadline:
                row.finish_reason = "length"

    def _leave(self) -> None:
        """Drop finished and cancelled rows, then the cache columns only padding is left in."""
        keep = [i for i, row in enumerate(self._rows) if row.finish_reason is None and not row.cancelled]
        if len(keep) == len(self._rows):
            return
        for i, row in enumerate(self._rows):
            if i not in keep:
                _end(row, None)
        if not keep:
            self._reset()
            return
        assert self._cache is not None
        index = torch.tensor(keep, dtype=torch.long)
        mask = self._mask[index]
        start = int((mask.sum(0) > 0).nonzero()[0])
        device_index = index.to(self._cache.layers[0].keys.device)
        for layer in self._cache.layers:
            layer.keys = layer.keys[device_index, :, start:]
            layer.values = layer.values[device_index, :, start:]
        self._mask = mask[:, start:]
        self._lengths, self._last = self._lengths[index], self._last[index]
        self._rows = [self._rows[i] for i in keep]


def _cache_argument(model: Any) -> str:
    """transformers 5 renamed `past_key_values` to `cache` (the old name is deprecated); older ones lack it."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    kind = type(inner)
    if kind not in _CACHE_ARGUMENT:
        _CACHE_ARGUMENT[kind] = "cache" if "cache" in inspect.signature(kind.forward).parameters else "past_key_values"
    return _CACHE_ARGUMENT[kind]


_CACHE_ARGUMENT: dict[type, str] = {}


def _end(row: Row, error: BaseException | None) -> None:
    try:
        row.on_end(error)
    except Exception:  # a callback's failure must not stop the loop
        log.exception("Ending a generation failed")


def _pad_left(tensor: torch.Tensor, width: int, dim: int = 2) -> torch.Tensor:
    missing = width - tensor.shape[dim]
    if missing == 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


def _choose(logits: torch.Tensor, rows: list[Row]) -> torch.Tensor:
    """Greedy rows take the argmax; sampled rows apply their own temperature, top-k and top-p and draw with their
    own generator."""
    tokens = logits.argmax(-1)
    for i, row in enumerate(rows):
        if not row.sampling.greedy:
            tokens[i] = _sample(logits[i].float(), row.sampling, row.generator)
    return tokens


def _sample(scores: torch.Tensor, sampling: Sampling, generator: torch.Generator | None) -> torch.Tensor:
    scores = scores / sampling.temperature
    if sampling.top_k and sampling.top_k < scores.numel():
        kth = torch.topk(scores, sampling.top_k).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if sampling.top_p < 1.0:
        ordered, order = torch.sort(scores, descending=True)
        cumulative = ordered.softmax(-1).cumsum(-1)
        drop = cumulative - ordered.softmax(-1) >= sampling.top_p  # keep the smallest set reaching top_p
        scores = scores.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    return torch.multinomial(scores.softmax(-1), 1, generator=generator)[0]
