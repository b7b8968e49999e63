"""`POST /admin/reload`: adapters added to models/ are served without a restart, removed ones go once their
requests have ended, and requests keep being answered throughout."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import API_KEY, AppProcess, running_app

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "Who built the bridge?"}]


@pytest.fixture()
def share(tmp_path: Path) -> Path:
    from aca_inference.demo_model import make_demo_model

    return make_demo_model(tmp_path / "share").root


@pytest.fixture()
def reload_app(share: Path, tmp_path: Path) -> Iterator[AppProcess]:
    with running_app(tmp_path, env={"MODEL_ROOT": str(share), "INFERENCE_API_KEY": API_KEY,
                                    "INFERENCE_CONCURRENCY": "2", "INFERENCE_MAX_TOKENS_LIMIT": "4000"}) as app:
        yield app


class Traffic:
    """Requests one after another on the given models until stopped; counts answers and failures."""

    def __init__(self, app: AppProcess, models: list[str]) -> None:
        self.app, self.models = app, models
        self.served, self.failures = 0, []  # type: tuple[int, list[str]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        with httpx.Client(timeout=120, headers=self.app.headers()) as client:
            while not self._stop.is_set():
                model = self.models[self.served % len(self.models)]
                response = client.post(f"{self.app.api_url}/chat/completions", json={
                    "model": model, "messages": QUESTION, "max_tokens": 8, "stream": True})
                body = response.text
                if response.status_code != 200 or '"error"' in body or not body.rstrip().endswith("[DONE]"):
                    self.failures.append(f"{model}: {response.status_code} {body[-300:]}")
                self.served += 1

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)


def reload(app: AppProcess) -> dict:
    response = httpx.post(f"{app.url}/admin/reload", headers=app.headers(), timeout=300)
    assert response.status_code == 200, response.text
    return response.json()


def model_ids(app: AppProcess) -> list[str]:
    return [m["id"] for m in httpx.get(f"{app.api_url}/models", headers=app.headers()).json()["data"]]


def test_reload_needs_the_api_key(reload_app: AppProcess) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = httpx.post(f"{reload_app.url}/admin/reload", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"


def test_a_new_adapter_is_served_after_a_reload_while_requests_keep_being_answered(reload_app: AppProcess,
                                                                                  share: Path) -> None:
    from aca_inference.demo_model import add_demo_adapter

    assert model_ids(reload_app) == ["qlora", "tiny-phi-3-demo"]
    with Traffic(reload_app, ["qlora", "tiny-phi-3-demo"]) as traffic:
        time.sleep(1)
        add_demo_adapter(share, "run-3/adapter", seed=3)
        result = reload(reload_app)
        time.sleep(1)
    assert (result["added"], result["removed"], result["failed"]) == (["run-3"], [], {})
    assert result["unchanged"] == ["qlora"] and 0 < result["seconds"] < 30
    assert model_ids(reload_app) == ["qlora", "tiny-phi-3-demo", "run-3"]
    assert traffic.failures == [] and traffic.served >= 3
    new = httpx.post(f"{reload_app.api_url}/chat/completions", headers=reload_app.headers(), timeout=60,
                     json={"model": "run-3", "messages": QUESTION, "max_tokens": 8, "temperature": 0})
    old = httpx.post(f"{reload_app.api_url}/chat/completions", headers=reload_app.headers(), timeout=60,
                     json={"model": "qlora", "messages": QUESTION, "max_tokens": 8, "temperature": 0})
    assert new.status_code == 200 and new.json()["choices"][0]["message"]["content"] != \
        old.json()["choices"][0]["message"]["content"]


def test_a_removed_adapter_finishes_its_requests_then_is_gone(reload_app: AppProcess, share: Path) -> None:
    from aca_inference.demo_model import add_demo_adapter

    add_demo_adapter(share, "run-4/adapter", seed=4)
    assert reload(reload_app)["added"] == ["run-4"]
    long_answer: dict[str, object] = {}

    def stream_long() -> None:
        body = {"model": "run-4", "messages": QUESTION, "max_tokens": 1500, "temperature": 0,
                "stream": True, "stream_options": {"include_usage": True}}
        with httpx.stream("POST", f"{reload_app.api_url}/chat/completions", json=body,
                          headers=reload_app.headers(), timeout=300) as response:
            long_answer["status"] = response.status_code
            long_answer["lines"] = [line for line in response.iter_lines() if line]

    holder = threading.Thread(target=stream_long)
    holder.start()
    while httpx.get(f"{reload_app.url}/health").json()["running"] == 0:
        time.sleep(0.02)
    shutil.rmtree(share / "models" / "run-4")
    result = reload(reload_app)
    holder.join(timeout=300)
    assert result["removed"] == ["run-4"] and result["added"] == []
    # It waited for the answer in flight, which ran to its end.
    assert long_answer["status"] == 200 and long_answer["lines"][-1] == "data: [DONE]"
    assert '"completion_tokens":1500' in long_answer["lines"][-2] or '"finish_reason":"stop"' in \
        "".join(long_answer["lines"][-3:])
    gone = httpx.post(f"{reload_app.api_url}/chat/completions", headers=reload_app.headers(), timeout=60,
                      json={"model": "run-4", "messages": QUESTION, "max_tokens": 4})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "model_not_found"
    assert model_ids(reload_app) == ["qlora", "tiny-phi-3-demo"]


def test_an_app_that_started_without_adapters_takes_one_and_gives_it_back(share: Path, tmp_path: Path) -> None:
    from aca_inference.demo_model import add_demo_adapter

    shutil.rmtree(share / "models")
    with running_app(tmp_path, env={"MODEL_ROOT": str(share), "INFERENCE_API_KEY": API_KEY}) as app:
        def answer(model: str) -> str:
            response = httpx.post(f"{app.api_url}/chat/completions", headers=app.headers(), timeout=60,
                                  json={"model": model, "messages": QUESTION, "max_tokens": 12, "temperature": 0})
            assert response.status_code == 200, response.text
            return response.json()["choices"][0]["message"]["content"]

        assert model_ids(app) == ["tiny-phi-3-demo"]
        base = answer("tiny-phi-3-demo")
        add_demo_adapter(share, "first/adapter", seed=9)
        assert reload(app)["added"] == ["first"]
        assert model_ids(app) == ["first", "tiny-phi-3-demo"]  # the only adapter is the default now
        assert answer("first") != base and answer("tiny-phi-3-demo") == base
        shutil.rmtree(share / "models" / "first")
        assert reload(app)["removed"] == ["first"]
        assert model_ids(app) == ["tiny-phi-3-demo"] and answer("tiny-phi-3-demo") == base
