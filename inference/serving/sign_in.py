"""Open the chat page signed in: a one-time ticket, exchanged for a session cookie.

"Go to Inference Endpoint" must not put the API key in a URL (browser history, screenshots, proxies' logs).
Deploy asks `POST /auth/ticket` (bearer API key) for a ticket that lives 60 s and works once, and opens
`/auth/redeem?ticket=...`; that answers 303 to the app root (`../`, which keeps a proxy prefix) with the session cookie set, so the URL bar never keeps the
ticket. Tickets and sessions are signed with a key derived from the API key, so any replica accepts them (ACA may
run several) and rotating the API key ends every session; "once" is enforced per replica, within the 60 s.

The cookie is HttpOnly (no script reads it), Secure (Chromium and Firefox also treat http://localhost and
127.0.0.1 as secure, so local runs work) and SameSite=Lax: Strict would drop it on the redirect when the link is
opened from another site (a portal, a chat message), leaving the page signed out; Lax still keeps it off
cross-site POSTs and sub-requests, which is all the chat page's calls are. The API itself keeps the bearer key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping

SESSION_COOKIE = "aca_inference_session"
TICKET_SECONDS = 60
SESSION_SECONDS = 12 * 3600
_TICKET = re.compile(r"ticket=[^&\s\"']*")


class TicketRefused(ValueError):
    """The ticket is malformed, forged, expired or already used (the message says which, never the ticket)."""


class SignIn:
    def __init__(self, api_key: str | None, *, clock: Callable[[], float] = time.time) -> None:
        # Without an API key there is nothing to derive from: a per-process key (sessions end with the process).
        material = api_key.encode() if api_key else secrets.token_bytes(32)
        self._key = hmac.new(material, b"aca-inference sign-in v1", hashlib.sha256).digest()
        self._clock = clock
        self._used: dict[str, float] = {}  # nonce -> expiry, for one-time use on this replica
        self._lock = threading.Lock()

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def mint_ticket(self, seconds: int = TICKET_SECONDS) -> tuple[str, int]:
        expires = int(self._clock()) + seconds
        payload = f"t1.{expires}.{secrets.token_urlsafe(18)}"
        return f"{payload}.{self._sign(payload)}", expires

    def redeem(self, ticket: str) -> str:
        """The session cookie value for a valid, unused ticket; TicketRefused otherwise."""
        payload, _, signature = ticket.rpartition(".")
        parts = payload.split(".")
        if len(parts) != 3 or parts[0] != "t1" or not hmac.compare_digest(self._sign(payload), signature):
            raise TicketRefused("This sign-in link is not valid.")
        expires, nonce = int(parts[1]) if parts[1].isdigit() else 0, parts[2]
        now = self._clock()
        if expires < now:
            raise TicketRefused("This sign-in link has expired (links work for 60 seconds).")
        with self._lock:
            self._used = {n: e for n, e in self._used.items() if e >= now}
            if nonce in self._used:
                raise TicketRefused("This sign-in link was already used (links work once).")
            self._used[nonce] = expires
        return self.mint_session()

    def mint_session(self) -> str:
        payload = f"s1.{int(self._clock()) + SESSION_SECONDS}"
        return f"{payload}.{self._sign(payload)}"

    def session_valid(self, value: str | None) -> bool:
        if not value:
            return False
        payload, _, signature = value.rpartition(".")
        parts = payload.split(".")
        if len(parts) != 2 or parts[0] != "s1" or not parts[1].isdigit():
            return False
        return hmac.compare_digest(self._sign(payload), signature) and int(parts[1]) >= self._clock()

    def signed_in(self, cookies: Mapping[str, str]) -> bool:
        return self.session_valid(cookies.get(SESSION_COOKIE))


def cookie_header(value: str) -> str:
    return (f"{SESSION_COOKIE}={value}; Max-Age={SESSION_SECONDS}; Path=/; HttpOnly; Secure; SameSite=Lax")


class RedactTickets(logging.Filter):
    """Keeps tickets out of uvicorn's access log ("GET /auth/redeem?ticket=... 303")."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, str) and "ticket=" in a for a in args):
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(record.msg, str) and "ticket=" in record.msg:
            record.msg = _redact(record.msg)
        return True


def _redact(text: str) -> str:
    return _TICKET.sub("ticket=[redacted]", text)
