"""Continuous batching, seen from the API: generations join and leave one running batch at token boundaries,
each with its own sampling, stops, length and adapter; a client that goes away frees its place at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import LONG_ANSWER, AppProcess, running_app

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "Where does the road over the pass go?"}]
OTHER = [{"role": "user", "content": "Who built the bridge?"}]


@pytest.fixture(scope="module")
def batch_app(two_adapter_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """Base model + two adapters, no auth, a batch of at most 2 generations and 1 request waiting."""
    with running_app(tmp_path_factory.mktemp("batch-app-logs"),
                     env={"MODEL_ROOT": str(two_adapter_root), "INFERENCE_CONCURRENCY": "2",
                          "INFERENCE_MAX_QUEUE": "1", "INFERENCE_MAX_TOKENS_LIMIT": str(LONG_ANSWER)}) as process:
        yield process


class LongStream:
    """A streaming request for a long answer, read on a thread until closed; counts its content chunks."""

    def __init__(self, app: AppProcess, model: str = "tiny-phi-3-demo", max_tokens: int = LONG_ANSWER) -> None:
        self.app, self.model, self.max_tokens = app, model, max_tokens
        self.chunks = 0
        self.finished_at: float | None = None
        self.first_chunk = threading.Event()
        self._close = threading.Event()
        self._thread = threading.Thread(target=self._read)

    def _read(self) -> None:
        body = {"model": self.model, "messages": QUESTION, "max_tokens": self.max_tokens, "temperature": 0,
                "stream": True}
        with httpx.stream("POST", f"{self.app.api_url}/chat/completions", json=body, headers=self.app.headers(),
                          timeout=300) as response:
            for line in response.iter_lines():
                if self._close.is_set():
                    return  # leaving the block drops the connection: the client is gone
                if line.startswith("data: {") and json.loads(line[6:])["choices"][0]["delta"].get("content"):
                    self.chunks += 1
                    self.first_chunk.set()
        self.finished_at = time.monotonic()

    def __enter__(self) -> LongStream:
        self._thread.start()
        assert self.first_chunk.wait(120), "the long answer never started"
        return self

    def __exit__(self, *exc: object) -> None:
        self._close.set()
        self._thread.join(timeout=120)


def complete(app: AppProcess, messages: list[dict[str, str]], **fields: object) -> dict:
    body = {"model": "tiny-phi-3-demo", "messages": messages, **fields}
    response = httpx.post(f"{app.api_url}/chat/completions", json=body, headers=app.headers(), timeout=300)
    assert response.status_code == 200, response.text
    return response.json()


def health(app: AppProcess) -> dict:
    return httpx.get(f"{app.url}/health").json()


def wait_until(condition, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {within} s")
        time.sleep(0.02)


def in_parallel(*calls) -> list:
    """Run the calls at once on threads; their results in order."""
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_a_short_request_started_after_a_long_one_finishes_first_while_the_long_one_keeps_streaming(
        batch_app: AppProcess) -> None:
    with LongStream(batch_app) as long:
        before = long.chunks
        short = complete(batch_app, OTHER, max_tokens=8, temperature=0)
        after = long.chunks
        assert long.finished_at is None, "the long answer ended before the short one"
        assert health(batch_app)["running"] == 1  # the short one has left the batch; the long one goes on
        wait_until(lambda: long.chunks > after, 60, "the long answer streaming on after the short one")
    assert short["choices"][0]["message"]["content"]
    assert short["usage"]["completion_tokens"] <= 8
    assert after >= before  # it streamed while the short one ran, not queued behind it


def test_a_client_that_disconnects_frees_its_place_in_the_batch_at_the_next_token(batch_app: AppProcess) -> None:
    with LongStream(batch_app) as kept:
        with LongStream(batch_app):
            wait_until(lambda: health(batch_app)["running"] == 2, 60, "both long answers running")
        wait_until(lambda: health(batch_app)["running"] == 1, 30, "the dropped stream's place being freed")
        still = kept.chunks
        wait_until(lambda: kept.chunks > still, 60, "the other answer streaming on")
        # The freed place takes a new request at once.
        assert complete(batch_app, OTHER, max_tokens=4, temperature=0)["choices"][0]["finish_reason"]
    wait_until(lambda: health(batch_app)["running"] == 0, 30, "the batch emptying")


def test_a_full_batch_and_queue_answer_429_with_retry_after_in_openai_error_shape(batch_app: AppProcess) -> None:
    with LongStream(batch_app), LongStream(batch_app):
        waiting = threading.Thread(target=complete, args=(batch_app, OTHER), kwargs={"max_tokens": 4})
        waiting.start()
        wait_until(lambda: health(batch_app)["waiting"] == 1, 60, "a request waiting for a place")
        response = httpx.post(f"{batch_app.api_url}/chat/completions", json={"messages": OTHER})
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")
    waiting.join(timeout=120)  # the waiting one got the first place freed
    assert not waiting.is_alive()


def test_each_request_in_a_batch_keeps_its_own_sampling_stop_and_length(app: AppProcess) -> None:
    sampled = {"temperature": 1.0, "top_p": 0.9, "seed": 1234, "max_tokens": 24}
    greedy_alone = complete(app, QUESTION, max_tokens=24, temperature=0)["choices"][0]["message"]["content"]
    sampled_alone = complete(app, QUESTION, **sampled)["choices"][0]["message"]["content"]
    stop = greedy_alone[len(greedy_alone) // 2:len(greedy_alone) // 2 + 3]
    with LongStream(app, max_tokens=2048) as long:
        greedy, seeded, stopped, short = in_parallel(
            lambda: complete(app, QUESTION, max_tokens=24, temperature=0),
            lambda: complete(app, QUESTION, **sampled),
            lambda: complete(app, QUESTION, max_tokens=24, temperature=0, stop=[stop]),
            lambda: complete(app, OTHER, max_tokens=3, temperature=0.7, top_k=5))
        assert long.finished_at is None  # they all ran beside it, in its batch
    assert greedy["choices"][0]["message"]["content"] == greedy_alone
    assert seeded["choices"][0]["message"]["content"] == sampled_alone  # its own generator, whatever ran beside
    assert sampled_alone != greedy_alone
    assert stopped["choices"][0]["message"]["content"] == greedy_alone[:greedy_alone.index(stop)]
    assert stopped["choices"][0]["finish_reason"] == "stop"
    assert short["usage"]["completion_tokens"] <= 3
    if short["choices"][0]["finish_reason"] == "length":
        assert short["usage"]["completion_tokens"] == 3


def test_requests_for_different_adapters_in_one_batch_answer_as_each_adapter_alone(
        adapters_app: AppProcess) -> None:
    models = ["tiny-phi-3-demo", "qlora", "run-2"]
    alone = {m: complete(adapters_app, OTHER, model=m, max_tokens=24, temperature=0)["choices"][0]["message"]["content"]
             for m in models}
    assert len(set(alone.values())) == 3, alone
    with LongStream(adapters_app, max_tokens=2048) as long:  # the base model's long answer runs in the batch
        together = in_parallel(*(lambda m=m: complete(adapters_app, OTHER, model=m, max_tokens=24, temperature=0)
                                 for m in models * 2))
        assert long.finished_at is None  # they all ran beside it, in one batch
    assert [answer["choices"][0]["message"]["content"] for answer in together] == [alone[m] for m in models * 2]


def test_health_says_the_engine_batches_up_to_sixteen_generations_on_cpu(app: AppProcess) -> None:
    assert health(app)["engine"] == "transformers on cpu, float32, continuous batching of up to 16"
