"""A problem found in a workspace file: where (file, JSON path), what was expected, what was found."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import InputError


@dataclass(frozen=True)
class Problem:
    file: str
    json_path: str
    expected: str
    found: str | None = None
    line: int | None = None
    column: int | None = None
    code: str | None = None  # what kind of problem, for code that decides by it (never by the words)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        if self.json_path:
            where += f": {self.json_path}"
        text = f"{where}: {self.expected}"
        if self.found is not None:
            text += f"; found {self.found}"
        return text


def describe(value: Any) -> str:
    """How a found value is shown in a message: JSON, shortened."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


class WorkspaceInvalid(InputError):
    """One or more problems in the workspace files; the message lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [str(p) for p in problems]
        head = "The workspace has a problem:" if len(lines) == 1 else f"The workspace has {len(lines)} problems:"
        super().__init__("\n".join([head, *(f"  - {line}" for line in lines)]))
