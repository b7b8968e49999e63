"""The sign-in ticket and session rules, without a server: once, 60 s, signed with the API key."""

from __future__ import annotations

import logging
import sys

import pytest

from .conftest import APP_DIR

sys.path.insert(0, str(APP_DIR))

from serving.sign_in import SESSION_SECONDS, RedactTickets, SignIn, TicketRefused  # noqa: E402


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_ticket_works_once_and_gives_a_session() -> None:
    sign_in = SignIn("key")
    ticket, _ = sign_in.mint_ticket()
    assert sign_in.session_valid(sign_in.redeem(ticket))
    with pytest.raises(TicketRefused, match="already used"):
        sign_in.redeem(ticket)


def test_a_ticket_expires_after_sixty_seconds_and_a_session_after_twelve_hours() -> None:
    clock = Clock()
    sign_in = SignIn("key", clock=clock)
    late, _ = sign_in.mint_ticket()
    on_time, _ = sign_in.mint_ticket()
    clock.now += 59
    session = sign_in.redeem(on_time)
    clock.now += 2
    with pytest.raises(TicketRefused, match="expired"):
        sign_in.redeem(late)
    assert sign_in.session_valid(session)
    clock.now += SESSION_SECONDS
    assert not sign_in.session_valid(session)


def test_tickets_and_sessions_are_bound_to_the_api_key() -> None:
    ticket, _ = SignIn("key").mint_ticket()
    with pytest.raises(TicketRefused, match="not valid"):
        SignIn("other key").redeem(ticket)
    assert SignIn("key").redeem(ticket)  # another replica with the same key accepts it
    assert not SignIn("other key").session_valid(SignIn("key").mint_session())
    for junk in ("", "t1", "t1.x.y.z", "s1.1.abc"):
        with pytest.raises(TicketRefused):
            SignIn("key").redeem(junk)


def test_the_access_log_shows_no_ticket() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", "/auth/redeem?ticket=t1.9.abc.def&x=1", "1.1", 303), None)
    RedactTickets().filter(record)
    assert record.getMessage() == '127.0.0.1:1 - "GET /auth/redeem?ticket=[redacted]&x=1 HTTP/1.1" 303'
