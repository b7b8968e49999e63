"""Talk to the deployed inference app itself (not to Azure): the signed-in page link for "Go to Inference
Endpoint", adapter reloads without a restart, and where the app's start went.

The app's side is `inference/serving/admin.py` (routes) and `sign_in.py` (tickets). Every call takes the
endpoint as deploy knows it (`ACA_APP_ENDPOINT`, with or without https://) and, where the route needs it, the
API key; pass `session` to reuse a client (e.g. one that trusts the local emulator's CA)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from ...errors import OperationFailed

DEFAULT_TIMEOUT = 30.0
RELOAD_TIMEOUT = 900.0  # a reload waits for the removed adapters' answers in flight


class AppAdminError(OperationFailed):
    """The app refused or failed a call; `status` and `code` are the app's (OpenAI-style error body)."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class ReloadResult:
    added: list[str]
    removed: list[str]
    failed: dict[str, str]  # adapter id -> why it could not be loaded
    unchanged: list[str]
    models: list[str]  # every model id served after the reload, the default first
    seconds: float


@dataclass(frozen=True)
class StartupReport:
    status: str  # "loading" | "ready" | "failed"
    total_seconds: float | None  # from the container's start (start.py) to ready; None while loading
    phases: dict[str, float]  # dependencies, imports, model_files_read, weights_to_device, adapters, first_token...
    details: dict[str, Any] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    error: str | None = None


def base_url(endpoint: str) -> str:
    endpoint = endpoint.strip().rstrip("/")
    return endpoint if "://" in endpoint else f"https://{endpoint}"


def sign_in_url(endpoint: str, ticket: str) -> str:
    """The link that opens the chat page signed in (the app redirects it to `/` and drops the ticket)."""
    return f"{base_url(endpoint)}/auth/redeem?{urlencode({'ticket': ticket})}"


def describe_startup(report: StartupReport) -> str:
    """One line for the output panel: "ready in 41.2 s: dependencies 0.0 s (stamp), imports 6.1 s, ..."."""
    if report.status != "ready":
        return f"{report.status}" + (f": {report.error}" if report.error else "")
    skipped = (report.details.get("dependencies") or {}).get("skipped")
    parts = []
    for name, seconds in report.phases.items():
        note = " (stamp)" if name == "dependencies" and skipped else ""
        parts.append(f"{name.replace('_', ' ')} {seconds:.1f} s{note}")
    total = f" in {report.total_seconds:.1f} s" if report.total_seconds is not None else ""
    return f"ready{total}: " + ", ".join(parts)


async def mint_sign_in_link(endpoint: str, api_key: str | None, *,
                            session: aiohttp.ClientSession | None = None) -> str:
    """A one-time link (60 s) that opens the page signed in. Built on `endpoint`, the public URL deploy knows,
    rather than the address the app saw (behind ACA's ingress that is plain http)."""
    body = await _call("POST", endpoint, "/auth/ticket", api_key, session, DEFAULT_TIMEOUT)
    return sign_in_url(endpoint, str(body["ticket"]))


async def reload_adapters(endpoint: str, api_key: str | None, *, session: aiohttp.ClientSession | None = None,
                          timeout: float = RELOAD_TIMEOUT) -> ReloadResult:
    """Have the app rescan models/ on the share: new adapters are served, removed ones dropped."""
    body = await _call("POST", endpoint, "/admin/reload", api_key, session, timeout)
    return ReloadResult(added=list(body["added"]), removed=list(body["removed"]), failed=dict(body["failed"]),
                        unchanged=list(body["unchanged"]), models=list(body["models"]),
                        seconds=float(body["seconds"]))


async def startup_report(endpoint: str, *, session: aiohttp.ClientSession | None = None) -> StartupReport:
    """What /health says about the start (no key needed; answers while loading too)."""
    body = await _call("GET", endpoint, "/health", None, session, DEFAULT_TIMEOUT, ok=(200, 503))
    startup = body.get("startup") or {}
    return StartupReport(status=str(body.get("status", "unknown")), total_seconds=startup.get("total_seconds"),
                         phases=dict(startup.get("phases") or {}), details=dict(startup.get("details") or {}),
                         models=list(body.get("models") or []), error=body.get("error"))


async def _call(method: str, endpoint: str, path: str, api_key: str | None,
                session: aiohttp.ClientSession | None, timeout: float,
                ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = base_url(endpoint) + path
    async with _session(session) as http:
        try:
            async with http.request(method, url, headers=headers, allow_redirects=False,
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                if response.status not in ok or not isinstance(body, dict):
                    error = (body or {}).get("error") if isinstance(body, dict) else None
                    message = error.get("message") if isinstance(error, dict) else None
                    code = error.get("code") if isinstance(error, dict) else None
                    raise AppAdminError(f"{method} {path} answered HTTP {response.status}"
                                        + (f": {message}" if message else ""), status=response.status, code=code)
                return body
        except (aiohttp.ClientError, TimeoutError) as error:
            raise AppAdminError(f"{method} {url} failed: {type(error).__name__}: {error}") from None


@contextlib.asynccontextmanager
async def _session(session: aiohttp.ClientSession | None) -> AsyncIterator[aiohttp.ClientSession]:
    if session is not None:
        yield session
        return
    async with aiohttp.ClientSession() as owned:
        yield owned
