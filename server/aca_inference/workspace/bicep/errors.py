"""Where a Bicep problem is (file:line:column), what the construct is, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InputError


@dataclass(frozen=True)
class Span:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class BicepError(InputError):
    """The template cannot be evaluated here; nothing was changed in Azure."""

    def __init__(self, span: Span, construct: str, fix: str) -> None:
        super().__init__(f"{span}: {construct}", fix=fix)
        self.span = span
        self.construct = construct

    def head(self) -> str:
        """One line, as compilers print their diagnostics: file:line:column: what: the fix."""
        return self.message + (f": {self.fix}" if self.fix else "")
