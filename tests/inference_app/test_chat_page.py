"""The Gradio chat page in headless Chromium: it loads offline, asks for the API key, streams an answer."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import API_KEY, REPO, AppProcess

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "test-artifacts" / "inference-app"

# Records every text the last bot message shows, so the test can tell a streamed answer from one that
# appeared at once.
WATCH_ANSWER = """() => {
  window.__answers = [];
  const before = document.querySelectorAll('[data-testid="bot"]').length;
  const record = () => {
    const bots = document.querySelectorAll('[data-testid="bot"]');
    const text = bots.length > before ? bots[bots.length - 1].innerText.trim() : '';
    if (text && window.__answers[window.__answers.length - 1] !== text) window.__answers.push(text);
  };
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def wait_until_answered(app: AppProcess, page, timeout: float = 120) -> None:
    """The server has finished generating and the page shows the same answer for a second."""
    deadline = time.monotonic() + timeout
    while httpx.get(f"{app.url}/health").json()["running"]:
        assert time.monotonic() < deadline, "the answer never finished"
        time.sleep(0.1)
    seen, stable_since = None, time.monotonic()
    while time.monotonic() - stable_since < 1:
        assert time.monotonic() < deadline, "the page never settled"
        answers = page.evaluate("() => window.__answers")
        if answers != seen:
            seen, stable_since = answers, time.monotonic()
        time.sleep(0.1)


def test_chat_page_asks_for_the_key_then_streams_an_answer(app: AppProcess, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    outside: list[str] = []
    # The page must work with no internet (an ACA replica's users may have it, the test machine does not).
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(app.url)
               else (outside.append(route.request.url), route.abort()))
    page.goto(app.url + "/", wait_until="domcontentloaded")
    question = page.locator("textarea").first  # the chat input (its placeholder goes once the chat has messages)
    question.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)

    question.fill("Where does the road over the pass go?")
    question.press("Enter")
    page.locator('[data-testid="bot"]', has_text="Enter this endpoint's API key").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "chat-page-without-key.png"), full_page=True)

    page.get_by_label("API key", exact=True).fill(API_KEY)
    max_tokens = page.get_by_label("number input for Max new tokens")
    max_tokens.fill("600")
    max_tokens.press("Enter")
    temperature = page.get_by_label("number input for Temperature")
    temperature.fill("0")  # greedy: the same long answer every run
    temperature.press("Enter")
    page.evaluate(WATCH_ANSWER)
    question.fill("Where does the river start?")
    question.press("Enter")
    page.wait_for_function("() => window.__answers.length > 0", timeout=60_000)
    wait_until_answered(app, page)
    page.screenshot(path=str(ARTIFACTS / "chat-page-answer.png"), full_page=True)

    answers = page.evaluate("() => window.__answers")
    final = answers[-1]
    assert final and "API key" not in final
    growing = [a for a in answers if final.startswith(a)]
    assert len(growing) >= 3, f"the answer did not stream (texts seen: {answers})"
    assert outside == [], f"the page tried to reach the internet: {outside}"
