"""Which adapter the shared model has switched on, and who is generating with it.

transformers + PEFT keep one set of weights with every adapter attached; `set_adapter` switches them all at once,
for every thread. So generations may run together only when they want the same adapter (or the base model);
a request for another one waits until those have finished, then switches. Reloads (adding or deleting adapters
changes the model's modules) hold the gate alone. Waiters are served in arrival order, so a stream of requests
for one adapter cannot starve a request for another."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

EXCLUSIVE = "\0exclusive"  # no model id can contain NUL


@dataclass
class _Waiter:
    key: str
    future: asyncio.Future[None]


class AdapterGate:
    def __init__(self, switch: Callable[[str], None]) -> None:
        """`switch(key)` makes `key` the active adapter; it runs only while nobody is generating."""
        self._switch = switch
        self.active: str | None = None
        self.running = 0
        self._waiters: deque[_Waiter] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    def forget(self) -> None:
        """The model's adapter state changed underneath (e.g. the active adapter was deleted): switch next time."""
        self.active = None

    async def enter(self, key: str) -> Callable[[], None]:
        """Wait until `key` may generate; returns a leave function that is safe to call once, from any thread."""
        self._loop = asyncio.get_running_loop()
        if not self._waiters and self._may_run(key):
            self._admit(key)
        else:
            waiter = _Waiter(key, self._loop.create_future())
            self._waiters.append(waiter)
            try:
                await waiter.future
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.future.done() and not waiter.future.cancelled():
                    self._leave_in_loop()  # admitted as we gave up: hand the place on
                raise
        left = threading.Event()
        loop = self._loop

        def leave() -> None:
            if left.is_set():
                return
            left.set()
            loop.call_soon_threadsafe(self._leave_in_loop)

        return leave

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
        while self._waiters and self._may_run(self._waiters[0].key):
            waiter = self._waiters.popleft()
            if waiter.future.done():
                continue
            try:
                self._admit(waiter.key)
            except BaseException as error:  # a failed switch fails that request, not the gate
                waiter.future.set_exception(error)
                continue
            waiter.future.set_result(None)
