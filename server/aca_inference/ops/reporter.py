"""The one interface through which operations talk to the user.

Two implementations: the LSP one (work-done progress, window/logMessage, showMessageRequest, custom
requests for pick/input) and the CLI one (rich progress bars, prompts only on a TTY).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Protocol

LogLevel = Literal["debug", "info", "warning", "error"]


@dataclass(frozen=True)
class PickItem:
    """One choice in a quick pick. `value` is what the operation gets back."""

    label: str
    value: str
    description: str = ""
    detail: str = ""
    picked: bool = False


@dataclass
class ProgressState:
    """Shared by a progress scope and its front end: cancellation flows back through it."""

    cancelled: bool = False
    percentage: int = 0
    message: str = ""
    extra: dict[str, object] = field(default_factory=dict)


class Progress(Protocol):
    """A running unit of work. `cancelled` turns true when the user cancels (button or Ctrl-C)."""

    @property
    def cancelled(self) -> bool: ...

    def report(self, message: str, percentage: int | None = None) -> None: ...


class ProgressScope(Protocol):
    async def __aenter__(self) -> Progress: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...


class Reporter(Protocol):
    """What an operation may do to reach the user."""

    interactive: bool

    def progress(self, title: str, *, cancellable: bool = True) -> ProgressScope: ...

    def log(self, message: str, level: LogLevel = "info") -> None: ...

    async def notify(
        self, message: str, *, actions: Sequence[str] = (), level: LogLevel = "info"
    ) -> str | None:
        """Show a message; return the action the user chose, if any."""
        ...

    async def pick(
        self, title: str, items: Sequence[PickItem], *, placeholder: str = ""
    ) -> PickItem | None:
        """Ask the user to choose; None when dismissed. Non-interactive reporters raise InputError
        listing the choices."""
        ...

    async def ask(
        self, prompt: str, *, default: str | None = None, password: bool = False
    ) -> str | None:
        """Ask for a line of text; None when dismissed."""
        ...

    async def confirm(self, message: str, *, action: str) -> bool:
        """Ask before changing something; `action` is the button ("Provision", "Delete")."""
        ...

    async def open_url(self, url: str) -> None: ...

    async def copy_to_clipboard(self, text: str) -> None: ...
