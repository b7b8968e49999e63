"""The Gradio chat page at `/`: streaming answers, the template's sampling sliders, and an API-key field when the
endpoint has auth on. It calls the same engine (and waits in the same queue) as the API."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from .auth import key_matches
from .engine import ChatMessage, Generation, RequestRejected, Sampling
from .model_service import ModelService
from .settings import Settings

LOADING_WAIT_SECONDS = 600


def build_ui(service: ModelService, settings: Settings) -> gr.Blocks:
    limit = settings.max_tokens_limit
    kind = "base model + fine-tuned adapter" if service.files.adapter else "base model only"

    async def respond(message: Any, history: list[Any], max_new_tokens: float, temperature: float, top_p: float,
                      top_k: float, api_key: str | None = None) -> AsyncIterator[str]:
        # Problems are answered in the chat (and as a toast) rather than raised: the page stays usable.
        if settings.api_key is not None and not key_matches(settings.api_key.get_secret_value(), api_key):
            yield _problem("Enter this endpoint's API key in the field above "
                           "(aca-inference status --show-api-key prints it).")
            return
        if service.state == "loading":
            yield "_Loading the model, the answer starts as soon as it is ready…_"
            try:
                await asyncio.wait_for(service.ready.wait(), LOADING_WAIT_SECONDS)
            except TimeoutError:
                yield _problem("The model is still loading; try again in a minute.")
                return
        engine = service.engine
        if engine is None:
            yield _problem(f"The model failed to load: {service.error}")
            return
        messages = [*_history_messages(history), ChatMessage(role="user", content=_text(message))]
        sampling = Sampling(max_new_tokens=max(1, min(int(max_new_tokens), limit)), temperature=float(temperature),
                            top_p=float(top_p), top_k=int(top_k) or None)
        try:
            prompt = engine.render(messages)
            generation = Generation(prompt_tokens=len(prompt.token_ids))
            answer = ""
            async for piece in engine.stream(prompt, sampling, generation):
                answer += piece
                yield answer
        except RequestRejected as error:
            yield _problem(str(error))
            return
        if not answer:
            yield "_(the model ended its answer without any text)_"

    with gr.Blocks(title=f"{service.model_id} - ACA Inference") as page:
        gr.Markdown(f"## {service.model_id}\n{kind} · also served as an OpenAI-compatible API at "
                    "`/v1/chat/completions`")
        inputs: list[Any] = [
            gr.Slider(1, limit, value=min(256, limit), step=1, label="Max new tokens", render=False),
            gr.Slider(0.0, 2.0, value=0.8, step=0.05, label="Temperature", info="0 = greedy", render=False),
            gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p (nucleus sampling)", render=False),
            gr.Slider(0, 100, value=50, step=1, label="Top-k", info="0 = off", render=False),
        ]
        if settings.auth_enabled:
            inputs.append(gr.Textbox(label="API key", type="password", elem_id="api-key",
                                     placeholder="this endpoint's API key (aca-inference status --show-api-key)"))
        options: dict[str, Any] = dict(
            additional_inputs=inputs, additional_inputs_accordion=gr.Accordion("Generation settings", open=True, render=False),
            concurrency_limit=None,  # the engine's queue decides what runs
            fill_height=True,
        )
        if "type" in inspect.signature(gr.ChatInterface.__init__).parameters:
            options["type"] = "messages"  # Gradio 5; Gradio 6 only has messages
        gr.ChatInterface(respond, **options)
    return page


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
