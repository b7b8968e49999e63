"""The models this app serves: the base model and its adapters, their engine, and whether it is loading, ready or
failed.

The engine loads in the background after the server starts, so ACA's probes (and a person opening the page)
see "starting" instead of a refused connection while torch imports and the weights load. A reload rescans
`models/`: new adapters load while the others keep serving; a removed one stops taking requests at once and is
dropped from the engine when its last request has ended."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal

from .engine import ChatMessage, Generation, GenerationEngine, ModelNotFound, Prompt, RequestRejected, Sampling
from .model_files import AdapterFiles, ModelFiles, scan_adapters
from .settings import Settings
from .startup import StartupReport

log = logging.getLogger(__name__)

State = Literal["loading", "ready", "failed"]


@dataclass(frozen=True)
class ServedModel:
    id: str
    adapter: AdapterFiles | None  # None: the base model
    parent: str | None  # the base model's id, for an adapter


class NotReady(RequestRejected):
    status = 503
    code = "model_not_ready"
    error_type = "server_error"


@dataclass(frozen=True)
class Admitted:
    """A request that passed admission: its model, its rendered prompt; `release` once it has ended."""

    engine: GenerationEngine
    model: str
    prompt: Prompt
    sampling: Sampling
    release: Callable[[], None]

    def stream(self, generation: Generation) -> AsyncIterator[str]:
        return self.engine.stream(self.prompt, self.sampling, generation, self.model)

    def generation(self) -> Generation:
        return Generation(prompt_tokens=len(self.prompt.token_ids))


@dataclass
class ReloadResult:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # id -> why it could not be loaded
    unchanged: list[str] = field(default_factory=list)
    seconds: float = 0.0


def choose_engine(settings: Settings) -> Literal["transformers", "vllm"]:
    if settings.engine != "auto":
        return settings.engine
    if settings.device == "cpu" or importlib.util.find_spec("vllm") is None:
        return "transformers"
    import torch

    return "vllm" if torch.cuda.is_available() else "transformers"


def load_engine(settings: Settings, files: ModelFiles, report: StartupReport) -> GenerationEngine:
    kind = choose_engine(settings)
    if kind == "vllm":
        from .vllm_engine import VllmEngine

        return VllmEngine.load(settings, files, report)
    with report.phase("imports"):
        from .transformers_engine import TransformersEngine
    return TransformersEngine.load(settings, files, report)


class ModelService:
    def __init__(self, settings: Settings, files: ModelFiles, report: StartupReport | None = None) -> None:
        self.settings = settings
        self.files = files
        self.report = report or StartupReport()
        self.state: State = "loading"
        self.engine: GenerationEngine | None = None
        self.error: str | None = None
        self.load_seconds: float | None = None
        self.ready = asyncio.Event()
        self.models: dict[str, ServedModel] = {}
        self._set_adapters(files.adapters)
        self.default_id = files.default_id
        self._in_flight: dict[str, int] = {}
        self._idle: dict[str, asyncio.Event] = {}
        self._reload_lock = asyncio.Lock()

    @property
    def model_id(self) -> str:
        """The base model's id."""
        return self.files.model_id

    def _set_adapters(self, adapters: tuple[AdapterFiles, ...] | list[AdapterFiles]) -> None:
        base = ServedModel(self.model_id, None, None)
        self.models = {base.id: base, **{a.id: ServedModel(a.id, a, self.model_id) for a in adapters}}

    def served_ids(self) -> list[str]:
        """Every model id, the default first (clients that take `models.list().data[0]` get the fine-tuned one)."""
        return [self.default_id, *(ident for ident in self.models if ident != self.default_id)]

    def resolve(self, model: str | None) -> ServedModel:
        ident = model or self.default_id
        served = self.models.get(ident)
        if served is None:
            raise ModelNotFound(f"The model '{model}' does not exist. This server serves: "
                                f"{', '.join(self.served_ids())} (see GET /v1/models).")
        return served

    async def load(self) -> None:
        started = time.monotonic()
        try:
            self.engine = await asyncio.to_thread(load_engine, self.settings, self.files, self.report)
            if self.settings.warmup:
                with self.report.phase("first_token"):
                    await self._warm_up()
        except Exception as error:  # reported by /health and the log; the app then exits
            self.state, self.error = "failed", f"{type(error).__name__}: {error}"
            log.error("Loading the model failed: %s", self.error)
            raise
        self.load_seconds = time.monotonic() - started
        self.report.finish()
        self.state = "ready"
        self.ready.set()
        log.info("Models %s ready in %.1f s (%s)", ", ".join(self.served_ids()), self.load_seconds,
                 self.engine.description)

    async def _warm_up(self) -> None:
        """One short generation: the first one pays for lazy kernels and allocations, not a user's request."""
        assert self.engine is not None
        prompt = self.engine.render([ChatMessage(role="user", content="Hello")])
        sampling = Sampling(max_new_tokens=2, temperature=0.0)
        async for _ in self.engine.stream(prompt, sampling, Generation(len(prompt.token_ids)), self.default_id):
            pass

    def ready_engine(self) -> GenerationEngine:
        if self.state == "ready" and self.engine is not None:
            return self.engine
        if self.state == "failed":
            raise NotReady(f"The model failed to load: {self.error}")
        raise NotReady("The model is still loading; retry in a few seconds (GET /health says when it is ready).")

    def admit(self, model: str | None, messages: list[ChatMessage], sampling: Sampling) -> Admitted:
        """The one admission check, for the API and the page, whichever engine: the model is served, the prompt
        and the answer fit its context, and the queue has room (429 now rather than after the stream began).
        The request then counts as in flight on its model until `Admitted.release`."""
        engine = self.ready_engine()
        served = self.resolve(model)
        prompt = engine.render(messages)
        engine.check_fits(prompt, sampling)
        engine.admission.check_capacity()
        return Admitted(engine, served.id, prompt, sampling, self.hold(served.id))

    def hold(self, model: str) -> Callable[[], None]:
        """Count a request as in flight on `model` (taken in the same step as `resolve`, so no reload can drop the
        adapter in between); the returned release is safe to call more than once."""
        self._in_flight[model] = self._in_flight.get(model, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._in_flight[model] -= 1
            if self._in_flight[model] == 0 and model in self._idle:
                self._idle[model].set()

        return release

    async def reload(self) -> ReloadResult:
        """Rescan `models/` and make the engine serve exactly what is there now."""
        engine = self.engine
        if engine is None:
            raise RequestRejected("The model is still loading; reload once GET /health says ready.")
        async with self._reload_lock:
            started = time.perf_counter()
            result = ReloadResult()
            if self.settings.adapter_path is not None:
                found = tuple(self.files.adapters)  # pinned by ADAPTER_PATH: nothing to rescan
            else:
                found = await asyncio.to_thread(scan_adapters, self.settings, self.model_id)
            current = {m.adapter.path: m.id for m in self.models.values() if m.adapter is not None}
            wanted = {a.path: a for a in found}
            kept = [AdapterFiles(current[path], path) for path in current if path in wanted]
            taken = {self.model_id, *(a.id for a in kept)}
            new = [_unique(a, taken) for path, a in wanted.items() if path not in current]
            gone = [ident for path, ident in current.items() if path not in wanted]
            result.unchanged = [a.id for a in kept]
            self._set_adapters(kept)  # removed adapters take no new request from now on
            for adapter in new:
                try:
                    await engine.add_adapter(adapter)
                except Exception as error:
                    result.failed[adapter.id] = f"{type(error).__name__}: {error}"
                    log.error("Reload: adapter %s (%s) could not be loaded: %s", adapter.id, adapter.path, error)
                    continue
                kept.append(adapter)
                self._set_adapters(kept)
                result.added.append(adapter.id)
            for ident in gone:
                await self._drained(ident)
                await engine.remove_adapter(ident)
                result.removed.append(ident)
            # The default is what a restart would pick: the first adapter in scan order, else the base model.
            ids = {a.path: a.id for a in kept}
            self.default_id = next((ids[a.path] for a in found if a.path in ids), self.model_id)
            result.seconds = time.perf_counter() - started
            log.info("Reload in %.2f s: added %s, removed %s, failed %s", result.seconds, result.added or "none",
                     result.removed or "none", ", ".join(result.failed) or "none")
            return result

    async def _drained(self, model: str) -> None:
        while self._in_flight.get(model, 0) > 0:
            event = self._idle.setdefault(model, asyncio.Event())
            event.clear()
            await event.wait()
        self._idle.pop(model, None)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.close()


def _unique(adapter: AdapterFiles, taken: set[str]) -> AdapterFiles:
    ident, n = adapter.id, 2
    while ident in taken:
        ident, n = f"{adapter.id}-{n}", n + 1
    taken.add(ident)
    return AdapterFiles(ident, adapter.path)
