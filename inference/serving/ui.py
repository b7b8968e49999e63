"""The Gradio page at `/`: a chat with a model picker (the base model or any adapter), a compare view (one prompt,
two models, both answers streamed side by side) and the template's sampling sliders. With auth on, the page is
signed in by the session cookie ("Go to Inference Endpoint"), or takes the API key in a field. It calls the same
engine (and waits in the same queue) as the API."""

# No `from __future__ import annotations`: Gradio finds the `gr.Request` parameter by its real annotation.

import asyncio
import inspect
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from .auth import key_matches
from .engine import ChatMessage, RequestRejected, Sampling
from .model_service import ModelService
from .settings import Settings
from .sign_in import SignIn

LOADING_WAIT_SECONDS = 600
SIGNED_IN = "Signed in ✓"


def build_ui(service: ModelService, settings: Settings, sign_in: SignIn) -> gr.Blocks:
    limit = settings.max_tokens_limit

    def allowed(request: gr.Request | None, api_key: str | None) -> bool:
        if settings.api_key is None:
            return True
        return sign_in.signed_in(_cookies(request)) or key_matches(settings.api_key.get_secret_value(), api_key)

    async def answer(model: str, messages: list[ChatMessage], sampling: Sampling) -> AsyncIterator[str]:
        """The growing answer of `model`; problems come back as the text (the page stays usable)."""
        if service.state == "loading":
            yield "_Loading the model, the answer starts as soon as it is ready…_"
            try:
                await asyncio.wait_for(service.ready.wait(), LOADING_WAIT_SECONDS)
            except TimeoutError:
                yield _problem("The model is still loading; try again in a minute.")
                return
        text = ""
        try:
            admitted = service.admit(model, messages, sampling)
            try:
                async for piece in admitted.stream(admitted.generation()):
                    text += piece
                    yield text
            finally:
                admitted.release()
        except RequestRejected as error:
            yield _problem(str(error))
            return
        if not text:
            yield "_(the model ended its answer without any text)_"

    def sampling_of(max_new_tokens: float, temperature: float, top_p: float, top_k: float) -> Sampling:
        return Sampling(max_new_tokens=max(1, min(int(max_new_tokens), limit)), temperature=float(temperature),
                        top_p=float(top_p), top_k=int(top_k) or None)

    async def respond(message: Any, history: list[Any], model: str, max_new_tokens: float, temperature: float,
                      top_p: float, top_k: float, api_key: str | None = None,
                      request: gr.Request = None) -> AsyncIterator[str]:  # type: ignore[assignment]
        if not allowed(request, api_key):
            yield _problem(_KEY_HINT)
            return
        messages = [*_history_messages(history), ChatMessage(role="user", content=_text(message))]
        async for text in answer(model, messages, sampling_of(max_new_tokens, temperature, top_p, top_k)):
            yield text

    async def compare(prompt: str, left: str, right: str, max_new_tokens: float, temperature: float, top_p: float,
                      top_k: float, api_key: str | None = None,
                      request: gr.Request = None) -> AsyncIterator[tuple[str, str]]:  # type: ignore[assignment]
        if not allowed(request, api_key):
            yield _problem(_KEY_HINT), ""
            return
        messages = [ChatMessage(role="user", content=prompt or "")]
        sampling = sampling_of(max_new_tokens, temperature, top_p, top_k)
        texts = ["", ""]
        updates: asyncio.Queue[int | None] = asyncio.Queue()

        async def run(side: int, model: str) -> None:
            try:
                async for text in answer(model, messages, sampling):
                    texts[side] = text
                    updates.put_nowait(side)
            finally:
                updates.put_nowait(None)

        # Both start at once and run in the same batch (each with its own adapter), each side streaming as its
        # tokens come.
        tasks = [asyncio.create_task(run(0, left)), asyncio.create_task(run(1, right))]
        try:
            finished = 0
            while finished < 2:
                if await updates.get() is None:
                    finished += 1
                yield texts[0], texts[1]
        finally:
            for task in tasks:
                task.cancel()

    def refresh(request: gr.Request) -> tuple[Any, ...]:
        """On each page load: the models served now (a reload may have changed them) and the sign-in state."""
        ids = service.served_ids()
        signed_in = settings.api_key is None or sign_in.signed_in(_cookies(request))
        second = ids[1] if len(ids) > 1 else ids[0]
        return (gr.Dropdown(choices=ids, value=service.default_id), gr.Dropdown(choices=ids, value=ids[0]),
                gr.Dropdown(choices=ids, value=second), gr.Textbox(visible=not signed_in),
                gr.Markdown(SIGNED_IN if signed_in and settings.api_key is not None else ""))

    ids = service.served_ids()
    with gr.Blocks(title=f"{service.default_id} - ACA Inference") as page:
        gr.Markdown(f"## {service.model_id}\nthe base model and the fine-tuned adapters found under `models/` · "
                    "also served as an OpenAI-compatible API at `/v1/chat/completions`")
        with gr.Row():
            key = gr.Textbox(label="API key", type="password", elem_id="api-key", visible=settings.auth_enabled,
                             placeholder="this endpoint's API key (aca-inference status --show-api-key)")
            status = gr.Markdown("", elem_id="sign-in-status")
        sliders: list[Any] = [
            gr.Slider(1, limit, value=min(256, limit), step=1, label="Max new tokens", render=False),
            gr.Slider(0.0, 2.0, value=0.8, step=0.05, label="Temperature", info="0 = greedy", render=False),
            gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p (nucleus sampling)", render=False),
            gr.Slider(0, 100, value=50, step=1, label="Top-k", info="0 = off", render=False),
        ]
        with gr.Tab("Chat"):
            model = gr.Dropdown(choices=ids, value=service.default_id, label="Model", elem_id="model-picker")
            options: dict[str, Any] = dict(
                additional_inputs=[model, *sliders, key],
                additional_inputs_accordion=gr.Accordion("Generation settings", open=True, render=False),
                concurrency_limit=None,  # the engine's queue decides what runs
                fill_height=True,
            )
            if "type" in inspect.signature(gr.ChatInterface.__init__).parameters:
                options["type"] = "messages"  # Gradio 5; Gradio 6 only has messages
            gr.ChatInterface(respond, **options)
        with gr.Tab("Compare"):
            with gr.Row():
                left = gr.Dropdown(choices=ids, value=ids[0], label="Model A", elem_id="compare-model-a")
                right = gr.Dropdown(choices=ids, value=ids[-1], label="Model B", elem_id="compare-model-b")
            prompt = gr.Textbox(label="Prompt", elem_id="compare-prompt", lines=2)
            run_button = gr.Button("Compare", variant="primary", elem_id="compare-run")
            with gr.Row():
                left_answer = gr.Textbox(label="Answer A", elem_id="compare-answer-a", lines=8, interactive=False)
                right_answer = gr.Textbox(label="Answer B", elem_id="compare-answer-b", lines=8, interactive=False)
            run_button.click(compare, inputs=[prompt, left, right, *_copies(sliders), key],
                             outputs=[left_answer, right_answer], concurrency_limit=None)
        page.load(refresh, inputs=None, outputs=[model, left, right, key, status])
    return page


_KEY_HINT = ("Open this page from VS Code (Go to Inference Endpoint) to be signed in, or enter this endpoint's "
             "API key in the field above (aca-inference status --show-api-key prints it).")


def _copies(sliders: list[Any]) -> list[Any]:
    """The compare view's own sampling sliders, with the chat's settings as defaults."""
    with gr.Accordion("Generation settings", open=False):
        return [gr.Slider(s.minimum, s.maximum, value=s.value, step=s.step, label=s.label, info=s.info)
                for s in sliders]


def _cookies(request: gr.Request | None) -> dict[str, str]:
    if request is None:
        return {}
    inner = request.request  # the starlette request, or None when Gradio rebuilt it from its queue
    if inner is not None:
        return dict(inner.cookies)
    cookies = request.kwargs.get("cookies") or {}
    return dict(cookies) if isinstance(cookies, dict) else {}


def _problem(message: str) -> str:
    gr.Warning(message)
    return f"⚠️ {message}"


def _text(content: Any) -> str:
    """A message's text, whatever shape this Gradio version gives it (str, dict, list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        if "text" in content:
            return _text(content["text"])
        return _text(content.get("content"))
    if isinstance(content, list | tuple):
        return "".join(_text(part) for part in content)
    return str(content)


def _history_messages(history: list[Any]) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for entry in history or []:
        if isinstance(entry, dict) and entry.get("role") in ("user", "assistant", "system"):
            messages.append(ChatMessage(role=entry["role"], content=_text(entry.get("content"))))
        elif isinstance(entry, list | tuple) and len(entry) == 2:  # Gradio's older (user, assistant) pairs
            messages.append(ChatMessage(role="user", content=_text(entry[0])))
            if entry[1] is not None:
                messages.append(ChatMessage(role="assistant", content=_text(entry[1])))
    return messages
