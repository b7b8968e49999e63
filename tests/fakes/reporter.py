"""A Reporter that records what an operation tells the user (logs with their levels, progress, notifications)
and answers its questions from a script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType

from aca_inference.ops.reporter import LogLevel, PickItem, Progress, ProgressScope


@dataclass(frozen=True)
class Notification:
    message: str
    actions: tuple[str, ...]
    level: LogLevel


class RecordingProgress:
    """One progress scope's reports; `cancel()` is the user pressing Cancel."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.reports: list[tuple[str, int | None]] = []
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        self._cancelled = True

    def report(self, message: str, percentage: int | None = None) -> None:
        self.reports.append((message, percentage))


class _Scope:
    def __init__(self, progress: RecordingProgress) -> None:
        self._progress = progress

    async def __aenter__(self) -> Progress:
        return self._progress

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None


@dataclass
class RecordingReporter:
    """Scripted answers are taken in order; a question with no answer left fails the test (the operation asked
    something the test did not expect)."""

    interactive: bool = False
    pick_answers: list[str | None] = field(default_factory=list)  # the value of the item picked; None: dismissed
    ask_answers: list[str | None] = field(default_factory=list)
    confirm_answers: list[bool] = field(default_factory=list)
    notify_answers: list[str | None] = field(default_factory=list)  # the action clicked; none left: no click
    logs: list[tuple[str, LogLevel]] = field(default_factory=list)
    progresses: list[RecordingProgress] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    opened_urls: list[str] = field(default_factory=list)
    clipboard: list[str] = field(default_factory=list)

    def progress(self, title: str, *, cancellable: bool = True) -> ProgressScope:
        progress = RecordingProgress(title)
        self.progresses.append(progress)
        return _Scope(progress)

    def log(self, message: str, level: LogLevel = "info") -> None:
        self.logs.append((message, level))

    async def notify(self, message: str, *, actions: Sequence[str] = (), level: LogLevel = "info") -> str | None:
        self.notifications.append(Notification(message, tuple(actions), level))
        return self.notify_answers.pop(0) if self.notify_answers else None

    async def pick(self, title: str, items: Sequence[PickItem], *, placeholder: str = "") -> PickItem | None:
        assert self.pick_answers, f"unexpected pick: {title}"
        value = self.pick_answers.pop(0)
        if value is None:
            return None
        found = next((item for item in items if item.value == value), None)
        assert found is not None, f"{value!r} is not among the choices of {title!r}: {[i.value for i in items]}"
        return found

    async def ask(self, prompt: str, *, default: str | None = None, password: bool = False) -> str | None:
        assert self.ask_answers, f"unexpected question: {prompt}"
        return self.ask_answers.pop(0)

    async def confirm(self, message: str, *, action: str) -> bool:
        assert self.confirm_answers, f"unexpected confirmation: {message}"
        return self.confirm_answers.pop(0)

    async def open_url(self, url: str) -> None:
        self.opened_urls.append(url)

    async def copy_to_clipboard(self, text: str) -> None:
        self.clipboard.append(text)

    def messages(self, level: LogLevel | None = None) -> list[str]:
        """The log lines (of one level)."""
        return [message for message, at in self.logs if level is None or at == level]

    @property
    def reports(self) -> list[str]:
        """Every progress message, in order, across scopes."""
        return [message for progress in self.progresses for message, _ in progress.reports]
