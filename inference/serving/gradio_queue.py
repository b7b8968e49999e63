"""Gradio's queue, made quiet while nobody uses the page.

Its dispatcher looks at an empty queue every `sleep_when_free` seconds (1 ms by default; Windows 50 ms) and its
progress loop every 10 ms: an idle replica spent ~6 % of a core on that alone (measured per thread from /proc, all
of it on the event loop's thread). A look can't be woken early (it is a plain `asyncio.sleep`), so the interval is
a trade between idle CPU and how soon a page's message starts:

- in use (a message came in the last minute): every 0.1 s - at most 100 ms before an answer starts;
- asleep (a minute without one, and from the start): every second - the first message after a quiet minute may
  wait up to a second, against seconds of answer. Opening the page wakes it: the page's load event (the model
  list, the sign-in state) is a message too, so a visitor's first question a little later starts at once. Idle, the event loop then wakes once a second (this look and
  uvicorn's tick fall together): 0.05-0.13 % of a core on a quiet machine, against 0.28-0.32 % polling every
  0.1 s throughout (alternate runs, per thread from /proc; tests/inference_app/test_idle_cpu.py: 0.10 %).

The page shows no progress bars, so their loop looks once a second. Requests to /v1 never go through the queue.
"""

from __future__ import annotations

import asyncio
from typing import Any

IN_USE_POLL_SECONDS = 0.1
ASLEEP_POLL_SECONDS = 1.0
ASLEEP_AFTER_SECONDS = 60.0


def calm_gradio_queue(page: object) -> None:
    """Poll slowly until a message comes, quickly for a minute after each one. A Gradio without these attributes
    (a future version) keeps its own behaviour."""
    queue = getattr(page, "_queue", None)
    if queue is None:
        return
    if hasattr(queue, "progress_update_sleep_when_free"):
        queue.progress_update_sleep_when_free = max(queue.progress_update_sleep_when_free, 1.0)
    if not hasattr(queue, "sleep_when_free") or not hasattr(queue, "push"):
        return
    queue.sleep_when_free = max(queue.sleep_when_free, ASLEEP_POLL_SECONDS)
    push = queue.push
    fall_asleep: list[asyncio.TimerHandle] = []

    async def push_while_awake(*args: Any, **kwargs: Any) -> Any:
        queue.sleep_when_free = IN_USE_POLL_SECONDS
        if fall_asleep:
            fall_asleep.pop().cancel()
        fall_asleep.append(asyncio.get_running_loop().call_later(
            ASLEEP_AFTER_SECONDS, setattr, queue, "sleep_when_free", ASLEEP_POLL_SECONDS))
        return await push(*args, **kwargs)

    queue.push = push_while_awake
