"""The one model this app serves: its files, its engine, and whether it is loading, ready or failed.

The engine loads in the background after the server starts, so ACA's probes (and a person opening the page)
see "starting" instead of a refused connection while torch imports and the weights load."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from typing import Literal

from .engine import GenerationEngine
from .model_files import ModelFiles
from .settings import Settings

log = logging.getLogger(__name__)

State = Literal["loading", "ready", "failed"]


def choose_engine(settings: Settings) -> Literal["transformers", "vllm"]:
    if settings.engine != "auto":
        return settings.engine
    if settings.device == "cpu" or importlib.util.find_spec("vllm") is None:
        return "transformers"
    import torch

    return "vllm" if torch.cuda.is_available() else "transformers"


def load_engine(settings: Settings, files: ModelFiles) -> GenerationEngine:
    kind = choose_engine(settings)
    if kind == "vllm":
        from .vllm_engine import VllmEngine

        return VllmEngine.load(settings, files)
    from .transformers_engine import TransformersEngine

    return TransformersEngine.load(settings, files)


class ModelService:
    def __init__(self, settings: Settings, files: ModelFiles) -> None:
        self.settings = settings
        self.files = files
        self.state: State = "loading"
        self.engine: GenerationEngine | None = None
        self.error: str | None = None
        self.load_seconds: float | None = None
        self.ready = asyncio.Event()

    @property
    def model_id(self) -> str:
        return self.files.model_id

    async def load(self) -> None:
        started = time.monotonic()
        try:
            self.engine = await asyncio.to_thread(load_engine, self.settings, self.files)
        except Exception as error:  # reported by /health and the log; the app then exits
            self.state, self.error = "failed", f"{type(error).__name__}: {error}"
            log.error("Loading the model failed: %s", self.error)
            raise
        self.load_seconds = time.monotonic() - started
        self.state = "ready"
        self.ready.set()
        log.info("Model %s ready in %.1f s (%s)", self.model_id, self.load_seconds, self.engine.description)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.close()
