"""The deployed app's OpenAI-compatible API, driven by the `openai` package against a real app process."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from .conftest import API_KEY, LONG_ANSWER, AppProcess

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "Where does the road over the pass go?"}]


def demo_prompt_tokens(model_root: Path, messages: list[dict[str, str]]) -> int:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(next((model_root / "model-cache").glob("*/*"))))
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_models_lists_the_adapter_first_then_the_base_model_named_after_its_folder(app: AppProcess) -> None:
    models = app.openai().models.list()
    assert [m.id for m in models.data] == ["qlora", "tiny-phi-3-demo"]


def test_non_streaming_answer_reports_usage_of_the_chat_template_prompt(app: AppProcess,
                                                                        demo_model_root: Path) -> None:
    completion = app.openai().chat.completions.create(model="tiny-phi-3-demo", messages=QUESTION, max_tokens=12,
                                                      temperature=0)
    choice = completion.choices[0]
    assert completion.object == "chat.completion"
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert completion.usage.prompt_tokens == demo_prompt_tokens(demo_model_root, QUESTION)
    if choice.finish_reason == "length":
        assert completion.usage.completion_tokens == 12
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_streaming_answer_arrives_in_chunks_and_equals_the_non_streaming_one(app: AppProcess) -> None:
    client = app.openai()
    whole = client.chat.completions.create(model="tiny-phi-3-demo", messages=QUESTION, max_tokens=24,
                                           temperature=0)
    chunks = list(client.chat.completions.create(model="tiny-phi-3-demo", messages=QUESTION, max_tokens=24,
                                                 temperature=0, stream=True, stream_options={"include_usage": True}))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content) > 1, "the answer came in one piece, not streamed"
    assert "".join(content) == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == whole.usage.total_tokens


def test_server_sent_events_are_data_lines_ending_with_done(app: AppProcess) -> None:
    body = {"messages": QUESTION, "max_tokens": 4, "stream": True}
    with httpx.stream("POST", f"{app.api_url}/chat/completions", json=body, headers=app.headers(),
                      timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    last = json.loads(events[-2].removeprefix("data: "))
    assert last["choices"][0]["finish_reason"] and last["choices"][0]["delta"] == {}


def test_a_stop_sequence_cuts_the_answer_where_it_appears(app: AppProcess) -> None:
    client = app.openai()
    full = client.chat.completions.create(model="tiny-phi-3-demo", messages=QUESTION, max_tokens=40,
                                          temperature=0).choices[0].message.content
    stop = full[len(full) // 2:len(full) // 2 + 3]
    cut = client.chat.completions.create(model="tiny-phi-3-demo", messages=QUESTION, max_tokens=40,
                                         temperature=0, stop=[stop]).choices[0]
    assert cut.message.content == full[:full.index(stop)]
    assert cut.finish_reason == "stop"


@pytest.mark.parametrize(("request_fields", "param", "message"), [
    ({"messages": [{"role": "system", "content": "be brief"}]}, "messages", "role 'user'"),
    ({"messages": []}, "messages", "messages"),
    ({"messages": QUESTION, "max_tokens": "ten"}, "max_tokens", "integer"),
    ({"messages": [{"role": "user", "content": 42}]}, "messages.0.content", "content"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role", "role"),
    ({"messages": QUESTION, "max_tokens": 100_000}, "max_tokens", "limit of 2048"),
    ({"messages": QUESTION, "temperature": 3}, "temperature", "temperature"),
    ({"messages": QUESTION, "n": 2}, "n", "'n'"),
])
def test_bad_requests_get_400_in_openai_error_shape(app: AppProcess, request_fields: dict, param: str,
                                                    message: str) -> None:
    fields = {"model": "tiny-phi-3-demo", **request_fields}
    with pytest.raises(openai.BadRequestError) as caught:
        app.openai(max_retries=0).chat.completions.create(**fields)
    error = caught.value.body
    assert caught.value.status_code == 400
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert message in error["message"]


def test_a_prompt_longer_than_the_context_is_rejected_before_generating(app: AppProcess) -> None:
    long_question = [{"role": "user", "content": "river " * 5000}]
    with pytest.raises(openai.BadRequestError) as caught:
        app.openai(max_retries=0).chat.completions.create(model="tiny-phi-3-demo", messages=long_question,
                                                          max_tokens=10)
    assert caught.value.body["code"] == "context_length_exceeded"
    assert "4096" in caught.value.body["message"]


def test_requests_without_the_api_key_get_401(app: AppProcess) -> None:
    for key in ("", "wrong-key"):
        response = httpx.post(f"{app.api_url}/chat/completions", json={"messages": QUESTION},
                              headers={"Authorization": f"Bearer {key}"} if key else {})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=app.api_url, api_key="wrong-key", max_retries=0).models.list()


def test_the_azure_style_api_key_header_is_accepted(app: AppProcess) -> None:
    response = httpx.get(f"{app.api_url}/models", headers={"api-key": API_KEY})
    assert response.status_code == 200


def test_health_and_the_chat_page_need_no_key(app: AppProcess) -> None:
    assert httpx.get(f"{app.url}/health").status_code == 200
    page = httpx.get(f"{app.url}/")
    assert page.status_code == 200 and "gradio" in page.text.lower()


def test_the_api_key_never_reaches_the_log(app: AppProcess) -> None:
    httpx.post(f"{app.api_url}/chat/completions", headers={"api-key": "not-the-key"}, json={})
    app.openai().chat.completions.create(model="tiny-phi-3-demo", messages=QUESTION, max_tokens=2)
    log = app.log()
    assert "API key auth: on" in log
    assert API_KEY not in log and "not-the-key" not in log


def test_health_says_loading_until_the_model_is_ready(app: AppProcess) -> None:
    assert app.health_seen[-1] == (200, "ready")
    assert app.health_seen[0] == (503, "loading"), f"health never reported loading: {app.health_seen}"
    if app.chat_status_while_loading is not None:
        assert app.chat_status_while_loading == 503


def test_base_only_serves_the_base_model_alone_and_the_adapter_answers_differently(app: AppProcess,
                                                                                   base_app: AppProcess) -> None:
    def answer(process: AppProcess, model: str) -> str:
        return process.openai().chat.completions.create(
            model=model, messages=QUESTION, max_tokens=16, temperature=0).choices[0].message.content

    assert httpx.get(f"{base_app.url}/health").json()["adapter"] is False
    assert [m.id for m in base_app.openai().models.list().data] == ["tiny-phi-3-demo"]
    assert httpx.get(f"{app.url}/health").json()["adapter"] is True
    assert answer(app, "tiny-phi-3-demo") == answer(base_app, "tiny-phi-3-demo")
    assert answer(app, "qlora") != answer(base_app, "tiny-phi-3-demo")


def test_without_an_api_key_configured_no_key_is_needed(base_app: AppProcess) -> None:
    response = httpx.post(f"{base_app.api_url}/chat/completions", json={"messages": QUESTION, "max_tokens": 2})
    assert response.status_code == 200


def test_sixteen_parallel_streams_are_queued_and_all_complete(app: AppProcess) -> None:
    client = openai.AsyncOpenAI(base_url=app.api_url, api_key=API_KEY, max_retries=0, timeout=300)

    async def one(index: int) -> tuple[str, str | None]:
        stream = await client.chat.completions.create(
            model="tiny-phi-3-demo", messages=[{"role": "user", "content": f"Question number {index}?"}],
            max_tokens=16, stream=True)
        text, finish = "", None
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                finish = chunk.choices[0].finish_reason or finish
        return text, finish

    async def all_of_them() -> list[tuple[str, str | None]]:
        async with client:
            return await asyncio.gather(*(one(i) for i in range(16)))

    results = asyncio.run(all_of_them())
    assert len(results) == 16
    assert all(finish in ("stop", "length") for _, finish in results)
    assert sum(1 for text, _ in results if text) >= 15  # a sampled answer may end at once on <|end|>
    assert httpx.get(f"{app.url}/health").json()["running"] == 0


def _slot_state(process: AppProcess) -> tuple[int, int]:
    health = httpx.get(f"{process.url}/health").json()
    return health["running"], health["waiting"]


def _wait_for_slots(process: AppProcess, wanted: tuple[int, int], within: float) -> float:
    started = time.monotonic()
    while (state := _slot_state(process)) != wanted:
        if time.monotonic() - started > within:
            pytest.fail(f"(running, waiting) stayed {state}, not {wanted}, for {within} s")
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_dropped_stream_stops_generating_and_frees_its_slot(base_app: AppProcess) -> None:
    body = {"messages": QUESTION, "max_tokens": LONG_ANSWER, "temperature": 0, "stream": True}
    started = time.monotonic()
    with httpx.stream("POST", f"{base_app.api_url}/chat/completions", json=body, timeout=60) as response:
        lines = response.iter_lines()
        for _ in range(6):
            next(lines)
        assert _slot_state(base_app) == (1, 0)
    # Generating all the tokens takes several seconds; the slot comes back at the next token.
    freed_after = _wait_for_slots(base_app, (0, 0), within=30)
    full = time.monotonic()
    httpx.post(f"{base_app.api_url}/chat/completions", timeout=120, json={**body, "stream": False})
    full_generation = time.monotonic() - full
    assert freed_after < full_generation / 2, (freed_after, full_generation, started)


def test_a_full_queue_answers_429_instead_of_piling_up(base_app: AppProcess) -> None:
    body = {"messages": QUESTION, "max_tokens": LONG_ANSWER, "temperature": 0, "stream": True}
    done = threading.Event()

    def hold_stream() -> None:
        with httpx.stream("POST", f"{base_app.api_url}/chat/completions", json=body, timeout=120) as response:
            for _ in response.iter_lines():
                if done.is_set():
                    return

    holders = [threading.Thread(target=hold_stream) for _ in range(2)]
    try:
        holders[0].start()
        _wait_for_slots(base_app, (1, 0), within=30)
        holders[1].start()
        _wait_for_slots(base_app, (1, 1), within=30)  # one generating, one waiting: the queue (1) is full
        response = httpx.post(f"{base_app.api_url}/chat/completions", json={"messages": QUESTION})
        assert response.status_code == 429
        assert response.headers["retry-after"]
        assert response.json()["error"]["code"] == "rate_limit_exceeded"
    finally:
        done.set()
        for holder in holders:
            holder.join(timeout=120)
    _wait_for_slots(base_app, (0, 0), within=30)
