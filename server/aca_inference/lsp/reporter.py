"""The LSP Reporter: work-done progress, window/logMessage, showMessageRequest, showDocument, and our
custom requests for quick picks, input boxes and the clipboard (LSP has nothing for those). QuietReporter: the
one the app view's background reads run with.

pygls 2.x does not route cancellation of workspace/executeCommand to the handler, so cancel arrives
through the progress token (window/workDoneProgress/cancel).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..errors import InputError
from ..ops.reporter import LogLevel, PickItem

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

_LOG_TYPES = {"debug": lsp.MessageType.Log, "info": lsp.MessageType.Info,
              "warning": lsp.MessageType.Warning, "error": lsp.MessageType.Error}

SHOW_QUICK_PICK = "acaInference/showQuickPick"
SHOW_INPUT_BOX = "acaInference/showInputBox"
GET_ACCESS_TOKEN = "acaInference/getAccessToken"
COPY_TO_CLIPBOARD = "acaInference/copyToClipboard"


_RANKS = {"debug": 0, "info": 1, "warning": 2, "error": 3}


# Told of every progress report (title, message, percentage): the app view's feed shows "Deploying 45 %".
ProgressListener = Callable[[str, str, int], None]


class _LspProgress:
    def __init__(self, server: LanguageServer, title: str, cancellable: bool, log: Callable[[str, LogLevel], None],
                 listener: ProgressListener | None = None) -> None:
        self._server = server
        self._listener = listener
        self._log = log
        self._title = title
        self._cancellable = cancellable
        self._token = f"aca-inference-{uuid.uuid4()}"
        self._percentage = 0
        self._created = False

    @property
    def cancelled(self) -> bool:
        future = self._server.work_done_progress.tokens.get(self._token)
        return bool(future is not None and future.cancelled())

    def report(self, message: str, percentage: int | None = None) -> None:
        if percentage is not None:
            self._percentage = max(self._percentage, min(100, percentage))
        if self._created:
            self._server.work_done_progress.report(
                self._token, lsp.WorkDoneProgressReport(message=message, percentage=self._percentage,
                                                        cancellable=self._cancellable))
        self._log(f"{self._title}: {message}", "info")
        if self._listener is not None:
            self._listener(self._title, message, self._percentage)

    async def __aenter__(self) -> _LspProgress:
        capabilities = self._server.client_capabilities
        if capabilities.window is not None and capabilities.window.work_done_progress:
            await self._server.work_done_progress.create_async(self._token)
            self._created = True
            self._server.work_done_progress.begin(
                self._token, lsp.WorkDoneProgressBegin(title=self._title, cancellable=self._cancellable, percentage=0))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._created:
            self._server.work_done_progress.end(self._token, lsp.WorkDoneProgressEnd())
            self._server.work_done_progress.tokens.pop(self._token, None)


class LspReporter:
    interactive = True

    def __init__(self, server: LanguageServer, *, log_level: LogLevel = "debug") -> None:
        self._server = server
        # The acaInference.logLevel setting: lines below it never reach the output panel.
        self.log_level: LogLevel = log_level
        self.progress_listener: ProgressListener | None = None

    def progress(self, title: str, *, cancellable: bool = True) -> _LspProgress:
        return _LspProgress(self._server, title, cancellable, self.log, self.progress_listener)

    def log(self, message: str, level: LogLevel = "info") -> None:
        if _RANKS[level] >= _RANKS[self.log_level]:
            self._server.window_log_message(lsp.LogMessageParams(type=_LOG_TYPES[level], message=message))

    async def notify(self, message: str, *, actions: Sequence[str] = (), level: LogLevel = "info") -> str | None:
        kind = _LOG_TYPES[level] if level != "debug" else lsp.MessageType.Info
        if not actions:
            self._server.window_show_message(lsp.ShowMessageParams(type=kind, message=message))
            return None
        chosen = await self._server.window_show_message_request_async(
            lsp.ShowMessageRequestParams(type=kind, message=message,
                                         actions=[lsp.MessageActionItem(title=a) for a in actions]))
        return chosen.title if chosen is not None else None

    async def _request(self, method: str, params: dict[str, Any]) -> Any:
        return await self._server.protocol.send_request_async(method, params)

    async def pick(self, title: str, items: Sequence[PickItem], *, placeholder: str = "") -> PickItem | None:
        answer = await self._request(SHOW_QUICK_PICK, {
            "title": title, "placeHolder": placeholder,
            "items": [{"label": i.label, "description": i.description, "detail": i.detail,
                       "picked": i.picked, "value": i.value} for i in items]})
        value = _field(answer, "value")
        return next((i for i in items if i.value == value), None) if value is not None else None

    async def ask(self, prompt: str, *, default: str | None = None, password: bool = False) -> str | None:
        answer = await self._request(SHOW_INPUT_BOX, {"prompt": prompt, "value": default or "", "password": password})
        return answer if isinstance(answer, str) and answer else None

    async def confirm(self, message: str, *, action: str) -> bool:
        return await self.notify(message, actions=[action, "Cancel"], level="warning") == action

    async def open_url(self, url: str) -> None:
        await self._server.window_show_document_async(lsp.ShowDocumentParams(uri=url, external=True))

    async def copy_to_clipboard(self, text: str) -> None:
        await self._request(COPY_TO_CLIPBOARD, {"text": text})


class _QuietProgress:
    cancelled = False

    def report(self, message: str, percentage: int | None = None) -> None:
        return None

    async def __aenter__(self) -> _QuietProgress:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None


class QuietReporter:
    """For reads the user did not ask for: keeps nothing, shows nothing, asks nothing."""

    interactive = False

    def progress(self, title: str, *, cancellable: bool = True) -> _QuietProgress:
        return _QuietProgress()

    def log(self, message: str, level: LogLevel = "info") -> None:
        return None

    async def notify(self, message: str, *, actions: Sequence[str] = (), level: LogLevel = "info") -> str | None:
        return None

    async def pick(self, title: str, items: Sequence[PickItem], *, placeholder: str = "") -> PickItem | None:
        raise InputError(f"{title}: a background read of the app asks nothing; run the command instead.")

    async def ask(self, prompt: str, *, default: str | None = None, password: bool = False) -> str | None:
        raise InputError(f"{prompt}: a background read of the app asks nothing; run the command instead.")

    async def confirm(self, message: str, *, action: str) -> bool:
        return False

    async def open_url(self, url: str) -> None:
        return None

    async def copy_to_clipboard(self, text: str) -> None:
        return None


def _field(answer: Any, name: str) -> Any:
    if answer is None:
        return None
    if isinstance(answer, dict):
        return answer.get(name)
    return getattr(answer, name, None)
