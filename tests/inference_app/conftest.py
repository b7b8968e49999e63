"""The inference app as a real process (`python3 app.py`, as the container runs it) on a demo model made in a
temporary folder. App processes are shared per session: starting one costs seconds (gradio, torch)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "inference"
API_KEY = "test-key-0123456789abcdef"
START_TIMEOUT = 180
LONG_ANSWER = 4000  # tokens; the demo model needs several seconds for them on CPU


@dataclass
class AppProcess:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    api_key: str | None
    # /health answers seen while the app started, in order (status code, "status" field), without repeats.
    health_seen: list[tuple[int, str]] = field(default_factory=list)
    # The status a chat request got while the model was still loading (None if loading was too quick to see).
    chat_status_while_loading: int | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def openai(self, **options: object):  # -> openai.OpenAI
        import openai

        return openai.OpenAI(base_url=self.api_url, api_key=self.api_key or "unused", **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(log_dir: Path, *, env: dict[str, str], args: tuple[str, ...] = (),
                wait_ready: bool = True) -> Iterator[AppProcess]:
    port = free_port()
    log_path = log_dir / f"app-{port}.log"
    full_env = {key: value for key, value in os.environ.items() if key not in ("INFERENCE_API_KEY", "MODEL_ROOT")}
    full_env.update({"PORT": str(port), "HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1", **env})
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "app.py", *args], cwd=APP_DIR, env=full_env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    app = AppProcess(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path,
                     api_key=env.get("INFERENCE_API_KEY"))
    try:
        if wait_ready:
            _wait_until_ready(app)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(app: AppProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=10) as client:
        while time.monotonic() < deadline:
            if app.process.poll() is not None:
                raise AssertionError(f"the app exited with {app.process.returncode}:\n{app.log()[-4000:]}")
            try:
                response = client.get(f"{app.url}/health")
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            seen = (response.status_code, response.json().get("status", ""))
            if not app.health_seen or app.health_seen[-1] != seen:
                app.health_seen.append(seen)
            if response.status_code == 200:
                return
            if app.chat_status_while_loading is None:
                chat = client.post(f"{app.api_url}/chat/completions", headers=app.headers(),
                                   json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})
                if client.get(f"{app.url}/health").status_code == 503:  # still loading after the request
                    app.chat_status_while_loading = chat.status_code
            time.sleep(0.05)
    raise AssertionError(f"the app was not ready within {START_TIMEOUT} s:\n{app.log()[-4000:]}")


@pytest.fixture(scope="session")
def demo_model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from aca_inference.demo_model import make_demo_model

    root = tmp_path_factory.mktemp("share")
    make_demo_model(root)
    return root


@pytest.fixture(scope="session")
def app(demo_model_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """Base model + adapter, API key auth on - the deployed configuration."""
    with running_app(tmp_path_factory.mktemp("app-logs"),
                     env={"MODEL_ROOT": str(demo_model_root), "INFERENCE_API_KEY": API_KEY}) as process:
        yield process


@pytest.fixture(scope="session")
def base_app(demo_model_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """`--baseonly`, no auth, one generation at a time and a one-request queue (to see it overflow), answers up to
    4000 tokens (long enough to hold the one generation slot for seconds)."""
    with running_app(tmp_path_factory.mktemp("base-app-logs"), args=("--baseonly",),
                     env={"MODEL_ROOT": str(demo_model_root), "INFERENCE_MAX_QUEUE": "1", "INFERENCE_CONCURRENCY": "1",
                          "INFERENCE_MAX_TOKENS_LIMIT": str(LONG_ANSWER)}) as process:
        yield process


SECOND_ADAPTER = "run-2/adapter"  # a second fine-tuning run's output, next to the template's qlora/


@pytest.fixture(scope="session")
def two_adapter_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo base model with two adapters: the template's (`qlora`) and a second run's (`run-2`), plus a
    training checkpoint that must not be served."""
    from aca_inference.demo_model import add_demo_adapter, make_demo_model

    root = tmp_path_factory.mktemp("two-adapter-share")
    make_demo_model(root)
    add_demo_adapter(root, SECOND_ADAPTER, seed=7)
    add_demo_adapter(root, "qlora/checkpoints/checkpoint-40", seed=11)
    return root


@pytest.fixture(scope="session")
def adapters_app(two_adapter_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """Base model + two adapters, API key auth on; requests for different adapters share the running batch."""
    with running_app(tmp_path_factory.mktemp("adapters-app-logs"),
                     env={"MODEL_ROOT": str(two_adapter_root), "INFERENCE_API_KEY": API_KEY}) as process:
        yield process


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
