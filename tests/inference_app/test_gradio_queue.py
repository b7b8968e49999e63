"""The page's queue polls slowly while nobody uses it and quickly for a while after each message (the idle CPU of
a replica against how soon a page's answer starts: serving/gradio_queue.py). A real Gradio queue, no model."""

from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace

import pytest

from .conftest import APP_DIR

sys.path.insert(0, str(APP_DIR))

from serving import gradio_queue  # noqa: E402


def echo_page():  # noqa: ANN201 - a gradio.Blocks, imported lazily
    import gradio as gr

    with gr.Blocks() as page:
        question, answer = gr.Textbox(), gr.Textbox()
        question.submit(lambda text: text, question, answer)
    page.queue()
    return page


async def test_a_message_wakes_the_queue_and_a_quiet_spell_puts_it_back_to_sleep(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gradio_queue, "ASLEEP_AFTER_SECONDS", 1.5)
    page = echo_page()
    gradio_queue.calm_gradio_queue(page)
    queue = page._queue
    assert queue.sleep_when_free == gradio_queue.ASLEEP_POLL_SECONDS, "asleep from the start"
    assert queue.progress_update_sleep_when_free >= 1.0

    # Gradio's own answer still comes back (here: its refusal of a body without a function index).
    answer = await queue.push(SimpleNamespace(fn_index=None), None, None)
    assert answer[0] is False and answer[-1] == "error"
    assert queue.sleep_when_free == gradio_queue.IN_USE_POLL_SECONDS, "a message wakes it"

    await asyncio.sleep(1.0)
    await queue.push(SimpleNamespace(fn_index=None), None, None)  # another message restarts the quiet spell
    await asyncio.sleep(0.8)  # 1.8 s after the first message, 0.8 s after the second
    assert queue.sleep_when_free == gradio_queue.IN_USE_POLL_SECONDS
    deadline = asyncio.get_running_loop().time() + 5
    while queue.sleep_when_free != gradio_queue.ASLEEP_POLL_SECONDS:
        assert asyncio.get_running_loop().time() < deadline, "it never went back to sleep"
        await asyncio.sleep(0.05)
