"""API-key auth for the OpenAI-compatible API and the operator's routes (`/admin/*`, `/auth/ticket`):
`Authorization: Bearer <key>` or `api-key: <key>` (Azure OpenAI's header). Checked before the request body is read,
compared in constant time, never logged. The chat page signs in with a session cookie instead (sign_in.py)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .openai_schema import error_body

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def key_matches(expected: str, given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def key_from_headers(headers: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("api-key", "").strip() or None


class ApiKeyMiddleware:
    """Answers 401 (OpenAI's shape) for requests under `protected` paths without the right key."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, api_key: str,
                 protected: tuple[str, ...] = ("/v1", "/admin/", "/auth/ticket")):
        self.app = app
        self.api_key = api_key
        self.protected = protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.protected) and scope["method"] != "OPTIONS":
            headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
            given = key_from_headers(headers)
            if not key_matches(self.api_key, given):
                message = ("Incorrect API key provided." if given else
                           "Missing API key: send it as 'Authorization: Bearer <key>' or in the 'api-key' header.")
                body = json.dumps(error_body(message, code="invalid_api_key")).encode()
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="inference"')]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
