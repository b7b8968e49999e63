"""Go to Inference Endpoint: a one-time ticket opens the chat page signed in (in headless Chromium), and the
compare view streams two models' answers side by side."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import AppProcess
from .test_chat_page import ARTIFACTS, WATCH_ANSWER, wait_until_answered

pytestmark = pytest.mark.slow


def mint_link(app: AppProcess) -> tuple[str, str]:
    response = httpx.post(f"{app.url}/auth/ticket", headers=app.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["url"] == f"{app.url}/auth/redeem?ticket={body['ticket']}"
    assert body["expires_at"] - time.time() <= 61
    return body["url"], body["ticket"]


def test_a_ticket_opens_the_page_signed_in_once_and_never_reaches_the_log(app: AppProcess, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert httpx.post(f"{app.url}/auth/ticket").status_code == 401  # minting needs the API key
    link, ticket = mint_link(app)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(link, wait_until="domcontentloaded")
    assert page.url == f"{app.url}/", "the address bar still shows the ticket"
    page.locator("#sign-in-status", has_text="Signed in").wait_for(timeout=60_000)
    assert not page.get_by_label("API key", exact=True).is_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "aca_inference_session")
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Lax")
    assert ticket not in cookie["value"]

    # Signed in: the chat answers without the key.
    page.evaluate(WATCH_ANSWER)
    question = page.locator("textarea").first
    question.fill("Where does the river start?")
    question.press("Enter")
    page.wait_for_function("() => window.__answers.length > 0", timeout=60_000)
    wait_until_answered(app, page)
    page.screenshot(path=str(ARTIFACTS / "signed-in-answer.png"), full_page=True)
    answers = page.evaluate("() => window.__answers")
    assert answers[-1] and "API key" not in answers[-1]

    # The same link again, from another browser: refused.
    other = browser.new_context()
    again = other.new_page()
    response = again.goto(link)
    assert response is not None and response.status == 401
    assert "already used" in again.content()
    assert not any(c["name"] == "aca_inference_session" for c in other.cookies())
    other.close()
    context.close()
    log = app.log()
    assert ticket not in log and ticket.split(".")[2] not in log
    assert "/auth/redeem?ticket=[redacted]" in log


def test_a_forged_ticket_is_refused_and_sets_no_cookie(app: AppProcess) -> None:
    _, ticket = mint_link(app)
    forged = ticket[:-3] + ("AAA" if not ticket.endswith("AAA") else "BBB")
    response = httpx.get(f"{app.url}/auth/redeem", params={"ticket": forged}, follow_redirects=False)
    assert response.status_code == 401 and "set-cookie" not in response.headers
    good = httpx.get(f"{app.url}/auth/redeem", params={"ticket": ticket}, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "../"  # the root, behind any path prefix
    assert "HttpOnly" in good.headers["set-cookie"] and "SameSite=Lax" in good.headers["set-cookie"]


READ_ANSWERS = """() => [...document.querySelectorAll('#compare-answer-a textarea, #compare-answer-b textarea')]
  .map(t => t.value)"""
# Records every pair of answers the page shows, looking every 5 ms in the page itself: the demo model streams an
# answer in tens of milliseconds, quicker than a test polling from outside (~100 ms a look on a busy machine) sees.
WATCH_ANSWERS = ("""() => {
  window.__answers = [];
  const read = """ + READ_ANSWERS + """;
  setInterval(() => {
    const values = read();
    const last = window.__answers[window.__answers.length - 1];
    if (!last || values[0] !== last[0] || values[1] !== last[1]) window.__answers.push(values);
  }, 5);
}""")


def test_compare_streams_two_models_side_by_side(adapters_app: AppProcess, browser) -> None:
    link, _ = mint_link(adapters_app)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(link, wait_until="domcontentloaded")
    page.locator("#sign-in-status", has_text="Signed in").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-prompt textarea").fill("Where does the road over the pass go?")
    page.evaluate(WATCH_ANSWERS)
    page.locator("#compare-run").click()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        values = page.evaluate(READ_ANSWERS)
        if all(values) and httpx.get(f"{adapters_app.url}/health").json()["running"] == 0 and \
                page.evaluate(READ_ANSWERS) == values:
            break
        time.sleep(0.05)
    seen: list[list[str]] = page.evaluate("() => window.__answers")
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    final = seen[-1]
    assert all(final) and final[0] != final[1], final
    streamed = []
    for side in (0, 1):
        growing = {values[side] for values in seen if values[side] and final[side].startswith(values[side])}
        # The tiny demo model may end an answer after a token or two (CI once got " flou"): such an answer has
        # nothing to stream. Any longer one must be seen growing, and at least one side always is.
        if len(final[side].split()) >= 3:
            assert len(growing) >= 3, f"answer {'AB'[side]} did not stream: {[v[side] for v in seen]}"
        streamed.append(len(growing) >= 3)
    assert any(streamed), f"neither answer streamed: {seen}"
    a, b = (page.locator(f"#compare-answer-{x}").bounding_box() for x in "ab")
    assert a and b and a["x"] + a["width"] <= b["x"] and abs(a["y"] - b["y"]) < 5  # side by side
    page.close()
