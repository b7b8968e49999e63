"""Errors that reach the user as one clear message - never as a traceback.

An error is data: its kind (bad input, the operation failed, cancelled), a code (Azure's own where Azure gave
one), the message, the fix and notes. Hints are added to an error on its way up (`hint`) without building a
new one. Front ends catch `UserFacingError` and show `str(error)`; the CLI's exit code and the VS Code
message's severity follow the kind (`exit_code`, `severity`), nothing else.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar, Self


class ErrorKind(Enum):
    """What the user is to do about it, which decides the exit code and how VS Code shows it."""

    INPUT = "input"  # correct a file, a flag or a name: exit code 2
    FAILED = "failed"  # the operation ran and failed (Azure said no, the app did not start...): exit code 1
    CANCELLED = "cancelled"  # the user stopped it; what exists is reported: exit code 1

    @property
    def exit_code(self) -> int:
        return 2 if self is ErrorKind.INPUT else 1

    @property
    def severity(self) -> str:
        """The LSP message type's name for it: a cancel is the user's own choice, not an error."""
        return "Warning" if self is ErrorKind.CANCELLED else "Error"


class UserFacingError(Exception):
    """An error whose message is written for the user: what went wrong and how to fix it."""

    kind: ClassVar[ErrorKind] = ErrorKind.FAILED

    def __init__(self, message: str, *, code: str | None = None, fix: str = "", notes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # Azure's error code (e.g. StorageAccountAlreadyTaken) where Azure gave one
        self.fix = fix
        self.notes = list(notes)

    def hint(self, note: str) -> Self:
        """Add a line the user reads after the message (what was done before the failure, what to run next)."""
        self.notes.append(note)
        return self

    def head(self) -> str:
        """The message and its fix."""
        return self.message + (f"\n  Fix: {self.fix}" if self.fix else "")

    def render(self) -> str:
        """The message as shown: the message, then the fix, then each note on its own line."""
        return self.head() + "".join(f"\n  {note}" for note in self.notes)

    def __str__(self) -> str:
        return self.render()

    @property
    def exit_code(self) -> int:
        return self.kind.exit_code

    def as_json(self) -> dict[str, str | None]:
        """What a front end's JSON answer carries besides the message: the kind and the code."""
        return {"kind": self.kind.value, "code": self.code}

    @property
    def summary(self) -> str:
        """The first line: what a notification shows."""
        return str(self).splitlines()[0] if str(self) else type(self).__name__


class InputError(UserFacingError):
    """Bad input or usage: a workspace file, a flag, a name. Exit code 2."""

    kind = ErrorKind.INPUT


class OperationFailed(UserFacingError):
    """The operation ran and failed (Azure said no, the app did not start...). Exit code 1."""

    kind = ErrorKind.FAILED


class Cancelled(UserFacingError):
    """The user cancelled; what exists is reported by the operation."""

    kind = ErrorKind.CANCELLED
