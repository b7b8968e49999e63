"""Requests waiting their turn, in arrival order: the one waiter that admission (a generation slot) and the
adapter gate (an adapter switch) are built on."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Waiters(Generic[T]):
    """Waiting requests, each with a tag (what it waits for). The owner grants them in order with `grant_next`;
    a request that gives up (cancelled, timed out) leaves the line, and one granted just as it gave up hands
    its turn on through `hand_on`, so nothing is lost."""

    def __init__(self, hand_on: Callable[[], None]) -> None:
        self._hand_on = hand_on
        self._line: deque[tuple[T, asyncio.Future[None]]] = deque()

    def __len__(self) -> int:
        return len(self._line)

    async def wait(self, tag: T, timeout: float | None = None) -> None:
        """Wait until granted; TimeoutError after `timeout` seconds."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (tag, future)
        self._line.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except BaseException:
            if entry in self._line:
                self._line.remove(entry)
            elif future.done() and future.exception() is None:
                self._hand_on()  # granted as we gave up: the turn goes to the next one
            raise

    def grant_next(self, ready: Callable[[T], bool], admit: Callable[[T], None] = lambda tag: None) -> bool:
        """Grant the first waiter if `ready(its tag)`, running `admit(tag)` first (its exception goes to that
        waiter instead). False when nobody was granted."""
        while self._line:
            tag, future = self._line[0]
            if not ready(tag):
                return False
            self._line.popleft()
            try:
                admit(tag)
            except Exception as error:
                future.set_exception(error)
                continue
            future.set_result(None)
            return True
        return False


def once_from_any_thread(loop: asyncio.AbstractEventLoop, action: Callable[[], None]) -> Callable[[], None]:
    """A function that runs `action` on `loop` the first time it is called, from whichever thread; later calls
    do nothing (a generation may end on its own thread and be closed by its request too)."""
    done = threading.Event()

    def call() -> None:
        if done.is_set():
            return
        done.set()
        if _in_loop(loop):
            action()
        else:
            loop.call_soon_threadsafe(action)

    return call


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
