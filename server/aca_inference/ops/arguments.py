"""An operation's arguments, described once: the CLI builds its flags from them, the daemon checks the
arguments of `acaInference.server.<name>` against them.

Each `parse` turns text (a flag's value, or a JSON string) into the value, or raises ValueError with words
that say what a good value looks like; front ends word the error their way (argparse: exit 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

Parse = Callable[[str], Any]
# Where the value goes: to the handler as a keyword argument, or onto the OperationContext's field of that name
# (settings every operation shares, which the daemon otherwise takes from VS Code's settings).
Destination = Literal["handler", "context"]


@dataclass(frozen=True)
class Argument:
    name: str                       # the handler's keyword; the CLI flag is --name-with-dashes
    help: str
    parse: Parse = str              # text -> value; bool arguments are switches and take no text
    kind: type = str                # str, int, float, bool, Path, or list (repeatable, of str)
    default: Any = None
    positional: bool = False        # CLI: `aca-inference init DIRECTORY`
    required: bool = False
    choices: Sequence[str] = ()
    short: str | None = None        # CLI: e.g. -f
    metavar: str | None = None
    destination: Destination = "handler"
    context_field: str | None = None  # destination "context": the OperationContext field it sets
    cli: bool = True                # False: not a flag (what only an interactive front end asks for)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def from_json(self, value: Any) -> Any:
        """A value given in an LSP command's arguments, checked like the CLI checks the flag's text."""
        if value is None:
            return None
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"'{self.name}' must be true or false, not {value!r}")
            return value
        if self.kind is list:
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError(f"'{self.name}' must be a list of strings, not {value!r}")
            return [self.parse(i) for i in items]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"'{self.name}' must be a {self.kind.__name__}, not {value!r}")
        parsed = self.parse(str(value))
        if self.choices and parsed not in self.choices:
            raise ValueError(f"'{self.name}' must be one of {', '.join(self.choices)}, not {value!r}")
        return parsed


N = TypeVar("N", int, float)


def _number(parse: Callable[[str], N], *, what: str, example: str, accept: Callable[[N], bool],
            rule: str) -> Callable[[str], N]:
    """A parser for a count or a number of seconds; its ValueError says what was expected and gives an example."""

    def convert(text: str) -> N:
        try:
            value = parse(text)
        except ValueError:
            raise ValueError(f"'{text}' is not {what} (e.g. {example})") from None
        if not math.isfinite(value) or not accept(value):
            raise ValueError(f"'{text}' must be {rule}")
        return value

    return convert


positive_seconds = _number(float, what="a number of seconds", example="900", accept=lambda v: v > 0,
                           rule="a positive number of seconds (e.g. 900)")
non_negative_seconds = _number(float, what="a number of seconds", example="20", accept=lambda v: v >= 0,
                               rule="zero or more seconds (e.g. 20)")
line_count = _number(int, what="a whole number of lines", example="100", accept=lambda v: v >= 0,
                     rule="zero or more lines")
release_count = _number(int, what="a whole number of releases", example="3", accept=lambda v: v >= 1,
                        rule="at least 1 (the serving release is always kept)")


def switch(name: str, help: str, *, short: str | None = None) -> Argument:
    return Argument(name, help, parse=str, kind=bool, default=False, short=short)


def path(name: str, help: str, **options: Any) -> Argument:
    return Argument(name, help, parse=Path, kind=Path, **options)
