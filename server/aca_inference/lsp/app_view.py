"""The app view's feed: what VS Code's Inference App tree and status bar item show, read through the status
operation (ops/status.py) and pushed to the client. LSP has nothing for this, so it is five custom messages
(their names in lsp/__init__.py, their handlers in server.py):

- `acaInference/appState` (request, client -> daemon): reads the app now; answers with the state.
- `acaInference/watchApp` (notification, client -> daemon, `{"watch": bool, "everySeconds"?: number}`): true
  while the view is visible in a focused window. Only then does the daemon poll (every POLL_SECONDS unless the
  client says otherwise); false stops it at once.
- `acaInference/appStateChanged` (notification, daemon -> client): the state, pushed after every operation that
  changes something, on a poll when it changed, and while such an operation reports progress.
- `acaInference/openEndpoint`, `acaInference/copyApiKey` (requests, client -> daemon): the tree's and the status
  bar's actions; the key comes from the status operation (`show_api_key`), as `status --show-api-key` gives it.

Reads are quiet (a poll must not repeat status's log lines and toast) and silent (never a sign-in prompt: without
a session VS Code already has, the state says to sign in).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import InputError, UserFacingError
from ..workspace.paths import INFERENCE_BICEP, INFERENCE_CONFIG, INFERENCE_PARAMETERS
from . import APP_STATE_CHANGED

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from .reporter import ProgressListener

logger = logging.getLogger(__name__)


# One status read per poll: 4 ARM requests with one active revision (app, revisions, replicas, storage key) and
# 1 + kept releases on the share (README, VS Code section); a replica starting or scaling to zero shows within it.
POLL_SECONDS = 30.0
MIN_POLL_SECONDS = 0.2  # what a client may ask for (`everySeconds`; tests use short ones)

WorkspaceKind = Literal["none", "unprovisioned", "provisioned"]


def workspace_kind(root: Path | None) -> WorkspaceKind:
    """provisioned: infra/inference.config.json names the app; unprovisioned: the infra templates, no config yet
    (the view says Provision); none: not an inference workspace (no view, no status bar item)."""
    if root is None:
        return "none"
    if (root / INFERENCE_CONFIG).is_file():
        return "provisioned"
    if (root / INFERENCE_PARAMETERS).is_file() or (root / INFERENCE_BICEP).is_file():
        return "unprovisioned"
    return "none"


@dataclass
class Activity:
    """A changing operation in flight: the status bar says "Deploying 45 %"."""

    operation: str
    title: str = ""
    message: str = ""
    percentage: int = 0


@dataclass
class AppState:
    workspace: WorkspaceKind
    status: dict[str, Any] | None = None  # the status operation's result (no API key ever)
    error: str | None = None  # why the app could not be read (sign-in, app missing, ...)
    activity: Activity | None = None
    read_at: float = 0.0  # epoch seconds of the read

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _without_secret(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key != "api_key"}


class AppFeed:
    """One per daemon: reads the app (one read at a time; callers in the meantime share it) and pushes changes."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server
        self._reading: asyncio.Task[AppState] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._state: AppState | None = None
        self._pushed: str | None = None
        self._activity: Activity | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.reads = 0  # status reads so far (the poll's cost, for tests)

    # --- reading ------------------------------------------------------------------------------------------
    async def read(self, *, fresh: bool = False) -> AppState:
        """The app now; `fresh`: a read that starts after this call (an operation just changed the app), not
        one already in flight."""
        if fresh and self._reading is not None and not self._reading.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._reading)
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self._read_now())
        state = await asyncio.shield(self._reading)
        state.activity = self._activity
        return state

    async def _read_now(self) -> AppState:
        from .operation_context import run_quietly, workspace_root

        kind = workspace_kind(workspace_root(self._server))
        if kind != "provisioned":
            state = AppState(kind, read_at=time.time())
        else:
            self.reads += 1
            try:
                result = await run_quietly(self._server, "status", {"show_api_key": False}, silent=True)
                state = AppState(kind, status=_without_secret(result), read_at=time.time())
            except UserFacingError as error:
                state = AppState(kind, error=str(error), read_at=time.time())
            except Exception as error:  # noqa: BLE001 - the view shows why, the daemon keeps running
                logger.warning("reading the app for the view failed", exc_info=True)
                state = AppState(kind, error=f"Unexpected error ({type(error).__name__}): {error}", read_at=time.time())
        self._state = state
        return state

    async def refresh(self, *, fresh: bool = False) -> AppState:
        state = await self.read(fresh=fresh)
        self.push(state)
        return state

    def refresh_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self.refresh(fresh=True))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def push(self, state: AppState) -> None:
        """Sends the state when it differs from the last one sent (the read time aside)."""
        payload = state.as_json()
        key = json.dumps({k: v for k, v in payload.items() if k != "read_at"}, sort_keys=True, default=str)
        if key == self._pushed:
            return
        self._pushed = key
        self._server.protocol.notify(APP_STATE_CHANGED, payload)

    # --- what the palette commands report ---------------------------------------------------------------
    def status_read(self, result: dict[str, Any]) -> None:
        """The status command just read the app: the view takes that instead of reading again."""
        from .operation_context import workspace_root

        state = AppState(workspace_kind(workspace_root(self._server)), status=_without_secret(result),
                         activity=self._activity, read_at=time.time())
        self._state = state
        self.push(state)

    def operation_started(self, operation: str) -> ProgressListener:
        self._activity = Activity(operation)
        self._push_activity()

        def listen(title: str, message: str, percentage: int) -> None:
            activity = self._activity
            if activity is None or (activity.title, activity.percentage) == (title, percentage):
                return
            activity.title, activity.message, activity.percentage = title, message, percentage
            self._push_activity()

        return listen

    def operation_ended(self) -> None:
        self._activity = None
        self.refresh_soon()

    def _push_activity(self) -> None:
        from .operation_context import workspace_root

        state = self._state or AppState(workspace_kind(workspace_root(self._server)))
        self.push(AppState(state.workspace, status=state.status, error=state.error,
                           activity=Activity(**asdict(self._activity)) if self._activity else None,
                           read_at=state.read_at))

    # --- polling --------------------------------------------------------------------------------------------
    def watch(self, on: bool, every: float = POLL_SECONDS) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        if on:
            self._poller = asyncio.get_running_loop().create_task(self._poll(max(every, MIN_POLL_SECONDS)))

    @property
    def watching(self) -> bool:
        return self._poller is not None and not self._poller.done()

    async def _poll(self, every: float) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(every)

    # --- the view's actions -----------------------------------------------------------------------------------
    async def open_endpoint(self) -> None:
        from .reporter import LspReporter

        endpoint, api_key = await self._endpoint_and_key()
        await LspReporter(self._server).open_url(await _signed_in_url(endpoint, api_key))

    async def copy_api_key(self) -> None:
        from .reporter import LspReporter

        _, api_key = await self._endpoint_and_key()
        reporter = LspReporter(self._server)
        if not api_key:
            await reporter.notify("The app has no API key: its endpoint is public (no authentication).",
                                  level="warning")
            return
        await reporter.copy_to_clipboard(api_key)
        await reporter.notify("The inference endpoint's API key is on the clipboard.")

    async def _endpoint_and_key(self) -> tuple[str, str | None]:
        from .operation_context import run_quietly

        # Asked for by a click: signing in may be offered (not silent).
        result = await run_quietly(self._server, "status", {"show_api_key": True}, silent=False)
        endpoint = result.get("endpoint")
        if not endpoint:
            raise InputError(f"Container app {result.get('app')} has no ingress: enable external ingress on the "
                             "target port.")
        return str(endpoint), result.get("api_key")


async def _signed_in_url(url: str, api_key: str | None) -> str:
    """As Go to Inference Endpoint after a deploy: a one-time ticket (60 s, never logged) opens our app signed in;
    the key itself never goes into a URL. An app without a key (or that cannot mint one) opens as is."""
    if not api_key:
        return url
    from ..ops.deploy.app_admin import AppAdminError, mint_sign_in_link

    with contextlib.suppress(AppAdminError):
        return await mint_sign_in_link(url, api_key)
    return url


def feed_of(server: LanguageServer) -> AppFeed:
    feed = getattr(server, "app_feed", None)
    if feed is None:
        feed = AppFeed(server)
        server.app_feed = feed  # type: ignore[attr-defined]
    return feed


async def user_action(server: LanguageServer, action: Any) -> dict[str, Any]:
    """A click's errors as the commands show theirs: one message, the details in the output panel."""
    from lsprotocol import types as lsp

    try:
        await action
        return {"ok": True}
    except UserFacingError as error:
        message = str(error)
    except Exception as error:  # noqa: BLE001 - never a traceback as the answer
        logger.warning("app view action failed", exc_info=True)
        message = f"Unexpected error ({type(error).__name__}): {error}"
    server.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Error, message=message))
    server.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=message.splitlines()[0]))
    return {"ok": False, "error": message}
