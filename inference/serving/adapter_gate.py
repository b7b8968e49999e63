"""Which adapter the shared model has switched on, and who is generating with it - for one `generate` per request
(INFERENCE_BATCHING=off); the continuous batcher mixes adapters in one batch instead.

transformers + PEFT keep one set of weights with every adapter attached; `set_adapter` switches them all at once,
for every thread. So generations may run together only when they want the same adapter (or the base model);
a request for another one waits until those have finished, then switches. Reloads (adding or deleting adapters
changes the model's modules) hold the gate alone. Waiters are served in arrival order, so a stream of requests
for one adapter cannot starve a request for another."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .waiters import Waiters, once_from_any_thread

EXCLUSIVE = "\0exclusive"  # no model id can contain NUL


class AdapterGate:
    def __init__(self, switch: Callable[[str], None]) -> None:
        """`switch(key)` makes `key` the active adapter; it runs only while nobody is generating."""
        self._switch = switch
        self.active: str | None = None
        self.running = 0
        self._waiters: Waiters[str] = Waiters(self._leave_in_loop)

    def forget(self) -> None:
        """The model's adapter state changed underneath (e.g. the active adapter was deleted): switch next time."""
        self.active = None

    async def enter(self, key: str) -> Callable[[], None]:
        """Wait until `key` may generate; returns a leave function that is safe to call once, from any thread."""
        if not self._waiters and self._may_run(key):
            self._admit(key)
        else:
            await self._waiters.wait(key)
        return once_from_any_thread(asyncio.get_running_loop(), self._leave_in_loop)

    def _may_run(self, key: str) -> bool:
        if self.running == 0:
            return True
        return key != EXCLUSIVE and self.active == key

    def _admit(self, key: str) -> None:
        if key != EXCLUSIVE and self.active != key:
            self.active = None  # unknown until the switch has finished
            self._switch(key)
        self.active = key
        self.running += 1

    def _leave_in_loop(self) -> None:
        self.running -= 1
        if self.running == 0 and self.active == EXCLUSIVE:
            self.active = None  # the exclusive holder may have changed the adapters: switch again next time
        while self._waiters.grant_next(self._may_run, self._admit):  # a failed switch fails that request only
            pass
