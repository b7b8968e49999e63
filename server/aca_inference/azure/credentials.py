"""Credentials as azure-core async TokenCredentials: from VS Code's sign-in (tokens handed over by the
client), DefaultAzureCredential for the CLI, and the emulator's (any well-formed bearer token)."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .target import TokenProvider

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken

SIGN_IN_HELP = ("No Azure credential is available. In VS Code, sign in with a Microsoft account (Accounts menu); "
                "in a terminal run `az login` (or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET), then run "
                "the command again. To work offline, use the local target (--target local).")


def _unsigned_jwt() -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return ".".join([part({"alg": "none", "typ": "JWT"}),
                     part({"aud": "https://management.azure.com/", "iss": "aca-inference-emulator", "oid": "local-user"}),
                     "local"])


class _AsyncCredential:
    """What azure-core's async clients expect of a credential besides get_token."""

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> _AsyncCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class EmulatorCredential(_AsyncCredential):
    """The emulator accepts any well-formed bearer token; this one never expires."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        return AccessToken(_unsigned_jwt(), int(time.time()) + 24 * 3600)


class ClientTokenCredential(_AsyncCredential):
    """Tokens from the VS Code client's Microsoft authentication provider, cached per scope set."""

    def __init__(self, provider: TokenProvider) -> None:
        self._provider = provider
        self._cache: dict[tuple[str, ...], AccessToken] = {}

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        key = tuple(sorted(scopes))
        cached = self._cache.get(key)
        if cached is not None and cached.expires_on > time.time() + 300:
            return cached
        token, expires_on = await self._provider(list(scopes))
        fresh = AccessToken(token, expires_on or int(time.time()) + 3000)
        self._cache[key] = fresh
        return fresh


async def check_signed_in(credential: Any, scope: str) -> None:
    """Fail early with one message when there is no credential, instead of mid-way through a plan."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        await credential.get_token(scope)
    except ClientAuthenticationError:
        raise InputError(SIGN_IN_HELP) from None
