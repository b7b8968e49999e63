"""The terminal Reporter: rich progress bars on stderr, prompts only on a TTY, Ctrl-C as cancel."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.prompt import Confirm, Prompt

from ..errors import InputError
from ..ops.reporter import LogLevel, PickItem, ProgressState

_STYLES = {"debug": "dim", "info": "", "warning": "yellow", "error": "bold red"}


class _CliProgress:
    def __init__(self, reporter: CliReporter, title: str, cancellable: bool) -> None:
        self._reporter = reporter
        self._title = title
        self._cancellable = cancellable
        self.state = ProgressState()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    @property
    def cancelled(self) -> bool:
        return self.state.cancelled

    def report(self, message: str, percentage: int | None = None) -> None:
        self.state.message = message
        if percentage is not None:
            self.state.percentage = max(self.state.percentage, min(100, percentage))
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=f"{self._title}: {message}", completed=self.state.percentage)
        else:
            self._reporter.log(f"{self._title}: {message}", "debug")

    def _on_sigint(self) -> None:
        if self.state.cancelled:
            raise KeyboardInterrupt
        self.state.cancelled = True
        self._reporter.log("Cancelling: nothing new starts; operations in flight finish. Ctrl-C again to abort.", "warning")

    async def __aenter__(self) -> _CliProgress:
        if self._reporter.show_bars:
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                 console=self._reporter.console, transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self._title, total=100)
        if self._cancellable:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._on_sigint)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._cancellable:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
        if self._bar is not None:
            if exc is None and not self.state.cancelled and self._task is not None:
                self._bar.update(self._task, completed=100)
            self._bar.stop()


class CliReporter:
    """Human lines go to stderr so that stdout carries only results (and the --json line)."""

    def __init__(self, *, assume_yes: bool = False, json_mode: bool = False, verbose: bool = False) -> None:
        self.console = Console(stderr=True, highlight=False)
        self.assume_yes = assume_yes
        self.verbose = verbose
        self.interactive = sys.stdin.isatty() and self.console.is_terminal
        self.show_bars = self.console.is_terminal and not json_mode
        self.notified: list[str] = []

    def progress(self, title: str, *, cancellable: bool = True) -> _CliProgress:
        return _CliProgress(self, title, cancellable)

    def log(self, message: str, level: LogLevel = "info") -> None:
        if level == "debug" and not self.verbose:
            return
        self.console.print(message, style=_STYLES[level], markup=False, soft_wrap=True)

    async def notify(self, message: str, *, actions: Sequence[str] = (), level: LogLevel = "info") -> str | None:
        self.log(message, level)
        self.notified.append(message)
        return None

    def _require_tty(self, what: str, choices: Sequence[str] = (), flag: str = "") -> None:
        if not self.interactive:
            listed = "".join(f"\n  - {c}" for c in choices)
            hint = f" Pass {flag}." if flag else ""
            raise InputError(f"{what} needs an answer, and this is not an interactive terminal.{hint}{listed}")

    async def pick(self, title: str, items: Sequence[PickItem], *, placeholder: str = "") -> PickItem | None:
        choices = [f"{i.label}" + (f"  ({i.description})" if i.description else "") for i in items]
        self._require_tty(title, choices)
        self.console.print(title)
        for number, text in enumerate(choices, 1):
            self.console.print(f"  {number}. {text}", markup=False)
        default = next((str(n) for n, i in enumerate(items, 1) if i.picked), "1")
        answer = await asyncio.to_thread(Prompt.ask, "Choose", console=self.console,
                                         choices=[str(n) for n in range(1, len(items) + 1)], default=default)
        return items[int(answer) - 1]

    async def ask(self, prompt: str, *, default: str | None = None, password: bool = False) -> str | None:
        self._require_tty(prompt)
        answer = await asyncio.to_thread(Prompt.ask, prompt, console=self.console, password=password,
                                         default=default)
        return answer or None

    async def confirm(self, message: str, *, action: str) -> bool:
        if self.assume_yes:
            return True
        self._require_tty(message, flag="--yes to confirm")
        return bool(await asyncio.to_thread(Confirm.ask, f"{message} {action}?", console=self.console, default=False))

    async def open_url(self, url: str) -> None:
        self.console.print(f"Open {url}", markup=False)

    async def copy_to_clipboard(self, text: str) -> None:
        return None
