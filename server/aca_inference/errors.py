"""Errors that reach the user as one clear message - never as a traceback.

Front ends catch `UserFacingError` and print `str(error)`; the exit code follows the kind.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is written for the user: what went wrong and how to fix it."""

    exit_code = 1


class InputError(UserFacingError):
    """Bad input or usage: a workspace file, a flag, a name. Exit code 2."""

    exit_code = 2


class OperationFailed(UserFacingError):
    """The operation ran and failed (Azure said no, the app did not start...). Exit code 1."""

    exit_code = 1


class Cancelled(UserFacingError):
    """The user cancelled; what exists is reported by the operation."""

    exit_code = 1
