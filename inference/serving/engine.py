"""The generation engine interface the API and the UI share, and the pieces every engine uses: the chat prompt,
sampling settings, admission control (a bounded queue in front of a fixed number of generation slots) and
stop-sequence matching."""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .model_files import AdapterFiles
from .waiters import Waiters, once_from_any_thread

FinishReason = Literal["stop", "length"]


class RequestRejected(Exception):
    """A request the engine will not run; `status`/`code` map it onto an OpenAI-style error."""

    status = 400
    code: str | None = None
    param: str | None = None
    error_type = "invalid_request_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        if param is not None:
            self.param = param
        if code is not None:
            self.code = code


class ModelNotFound(RequestRejected):
    status = 404
    code = "model_not_found"
    param = "model"


class PromptTooLong(RequestRejected):
    code = "context_length_exceeded"
    param = "messages"


class ServerBusy(RequestRejected):
    status = 429
    code = "rate_limit_exceeded"
    error_type = "rate_limit_error"


class QueueTimeout(RequestRejected):
    status = 503
    code = "queue_timeout"
    error_type = "server_error"


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True)
class Prompt:
    """A conversation rendered with the model's chat template and tokenized."""

    text: str
    token_ids: list[int]


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature <= 1e-5


@dataclass
class Generation:
    """Running totals of one generation; final once the stream ends."""

    prompt_tokens: int
    completion_tokens: int = 0
    finish_reason: FinishReason | None = None
    first_token_at: float | None = None
    started_at: float = field(default_factory=time.monotonic)


class GenerationEngine(ABC):
    """One loaded base model with any number of LoRA adapters. `stream` yields text pieces of the model (the base
    model's id or an adapter's) as they are generated and fills in `generation`."""

    name: str
    max_context: int
    description: str

    def __init__(self, tokenizer: Any, admission: Admission) -> None:
        self.tokenizer = tokenizer
        self.admission = admission

    def render(self, messages: Sequence[ChatMessage]) -> Prompt:
        """Apply the model's chat template (the Phi-3 format when the tokenizer has none) and tokenize."""
        conversation = [{"role": m.role, "content": m.content} for m in messages]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        else:
            text = "".join(f"<|{m['role']}|>\n{m['content']}<|end|>\n" for m in conversation) + "<|assistant|>\n"
        # The template already wrote the special tokens it wants (e.g. <s>); do not add them twice.
        token_ids = list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        return Prompt(text=text, token_ids=token_ids)

    def check_fits(self, prompt: Prompt, sampling: Sampling) -> None:
        needed = len(prompt.token_ids) + sampling.max_new_tokens
        if needed > self.max_context:
            raise PromptTooLong(
                f"This model's maximum context length is {self.max_context} tokens. However, you requested "
                f"{needed} tokens ({len(prompt.token_ids)} in the messages, {sampling.max_new_tokens} in the "
                "completion). Please reduce the length of the messages or the completion.")

    async def stream(self, prompt: Prompt, sampling: Sampling, generation: Generation,
                     model: str) -> AsyncIterator[str]:
        """Yield text as it is generated, once a generation slot is free (may raise ServerBusy/QueueTimeout).
        The request was admitted by `ModelService.admit` (model, length, capacity); the slot is held until the
        stream ends, however it ends."""
        release = await self.admission.acquire()
        try:
            # aclosing: when this stream is closed (client gone), the engine's generator is closed at once too.
            async with contextlib.aclosing(self._stream(prompt, sampling, generation, model)) as pieces:
                async for piece in pieces:
                    yield piece
        finally:
            release()

    @abstractmethod
    def _stream(self, prompt: Prompt, sampling: Sampling, generation: Generation,
                model: str) -> AsyncGenerator[str, None]:
        """The engine's generation; it stops generating when the iterator is closed (client gone, stop hit)."""

    @abstractmethod
    async def add_adapter(self, adapter: AdapterFiles) -> None:
        """Load one more adapter while the others keep serving."""

    @abstractmethod
    async def remove_adapter(self, adapter_id: str) -> None:
        """Drop an adapter once the generations using it have ended (new requests are no longer routed to it)."""

    async def close(self) -> None:  # noqa: B027 - engines without resources need nothing
        pass


class Admission:
    """At most `slots` generations at once, at most `max_waiting` requests waiting for one, served in arrival
    order. (The transformers engine's batcher also never runs more than `slots` rows: a request whose slot was
    freed by a cancelled one joins once that row has left the batch.)"""

    def __init__(self, slots: int, max_waiting: int, wait_timeout: float) -> None:
        self.slots = slots
        self.max_waiting = max_waiting
        self.wait_timeout = wait_timeout
        self._free = slots
        self._waiters: Waiters[None] = Waiters(self._release_in_loop)

    @property
    def running(self) -> int:
        return self.slots - self._free

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def check_capacity(self) -> None:
        """Reject now (before a streaming response starts) when even the queue is full."""
        if self._free == 0 and len(self._waiters) >= self.max_waiting:
            raise ServerBusy(f"The server is busy: {self.running} generations running and {self.waiting} waiting. "
                             "Retry shortly.")

    async def acquire(self) -> Callable[[], None]:
        """Wait for a slot; returns a release function that is safe to call once, from any thread."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            self.check_capacity()
            try:
                await self._waiters.wait(None, self.wait_timeout)
            except TimeoutError:
                raise QueueTimeout(f"Waited {self.wait_timeout:.0f} s for a free generation slot; the server "
                                   "is overloaded. Retry later.") from None
        return once_from_any_thread(asyncio.get_running_loop(), self._release_in_loop)

    def _release_in_loop(self) -> None:
        if not self._waiters.grant_next(lambda _: True):  # the slot moves straight to the next waiter
            self._free += 1


class StopMatcher:
    """Cuts the text at the first stop sequence, holding back a tail that could be the start of one."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """Text that is safe to send now."""
        if not self.stops:
            return text
        self.pending += text
        cut = min((i for i in (self.pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            out, self.pending = self.pending[:cut], ""
            return out
        safe = len(self.pending) - self.hold
        if safe <= 0:
            return ""
        out, self.pending = self.pending[:safe], self.pending[safe:]
        return out

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out
