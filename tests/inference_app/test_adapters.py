"""Every adapter under models/ served side by side on one base model, each under its own id, through the API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import openai
import pytest

from .conftest import API_KEY, AppProcess

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "Where does the road over the pass go?"}]
MODELS = ["qlora", "tiny-phi-3-demo", "run-2"]


def answer(app: AppProcess, model: str | None, tokens: int = 16) -> str:
    body: dict[str, object] = {"messages": QUESTION, "max_tokens": tokens, "temperature": 0}
    if model is not None:
        body["model"] = model
    response = httpx.post(f"{app.api_url}/chat/completions", json=body, headers=app.headers(), timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["model"] == (model or "qlora")
    return response.json()["choices"][0]["message"]["content"]


def test_models_lists_the_base_model_and_every_finished_adapter_with_its_parent(adapters_app: AppProcess,
                                                                               two_adapter_root: Path) -> None:
    cards = httpx.get(f"{adapters_app.api_url}/models", headers=adapters_app.headers()).json()["data"]
    assert [c["id"] for c in cards] == MODELS  # the template's adapter first: the default model
    by_id = {c["id"]: c for c in cards}
    assert by_id["tiny-phi-3-demo"]["parent"] is None
    assert by_id["qlora"]["parent"] == by_id["run-2"]["parent"] == "tiny-phi-3-demo"
    assert by_id["run-2"]["root"] == str(two_adapter_root / "models" / "run-2" / "adapter")
    assert not any("checkpoint" in c["id"] for c in cards)


def test_each_model_answers_with_its_own_weights_and_no_model_means_the_default(adapters_app: AppProcess) -> None:
    answers = {model: answer(adapters_app, model) for model in MODELS}
    assert len(set(answers.values())) == 3, answers
    assert answer(adapters_app, None) == answers["qlora"]
    # Switching back and forth does not leak one adapter into another.
    assert [answer(adapters_app, m) for m in reversed(MODELS)] == [answers[m] for m in reversed(MODELS)]


def test_concurrent_requests_for_different_adapters_each_get_their_own_answer(adapters_app: AppProcess) -> None:
    expected = {model: answer(adapters_app, model, tokens=24) for model in MODELS}
    client = openai.AsyncOpenAI(base_url=adapters_app.api_url, api_key=API_KEY, max_retries=0, timeout=300)

    async def one(model: str) -> tuple[str, str]:
        stream = await client.chat.completions.create(model=model, messages=QUESTION, max_tokens=24,
                                                      temperature=0, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        return model, text

    async def all_of_them() -> list[tuple[str, str]]:
        async with client:
            return await asyncio.gather(*(one(MODELS[i % 3]) for i in range(12)))

    results = asyncio.run(all_of_them())
    assert [text == expected[model] for model, text in results] == [True] * 12


def test_an_unknown_model_is_a_404_in_openai_shape_listing_what_is_served(adapters_app: AppProcess) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        adapters_app.openai(max_retries=0).chat.completions.create(model="gpt-4o", messages=QUESTION)
    error = caught.value.body
    assert caught.value.status_code == 404
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", "model", "model_not_found")
    assert "gpt-4o" in error["message"] and all(model in error["message"] for model in MODELS)


def test_health_lists_the_models_and_where_the_start_went(adapters_app: AppProcess) -> None:
    health = httpx.get(f"{adapters_app.url}/health").json()
    assert health["models"] == MODELS
    phases = health["startup"]["phases"]
    assert {"imports", "model_files_read", "weights_to_device", "adapters", "first_token"} <= set(phases)
    assert all(seconds >= 0 for seconds in phases.values())
    # Phases run one after another inside the start, so they cannot add up to more than it took.
    assert health["startup"]["total_seconds"] >= sum(phases.values()) - 0.01
    assert health["startup"]["details"]["adapters"] == {"count": 2}
