"""ARM template functions on plain values, as ARM computes them.

Arguments arrive evaluated. A secret argument makes the result secret; a value known only after deployment
makes the result unknown too. `resourceGroup()`, `subscription()` and `newGuid()` need the deployment's
context and live in the evaluator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..unique_string import unique_string
from .values import UNKNOWN, Secret, contains_unknown


class FunctionError(ValueError):
    """A function was called with arguments ARM would refuse; the message says which and why."""


def _text(value: Any) -> str:
    """string(): how ARM turns a value into text (interpolation uses it too)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _str(value: Any, function: str, position: int = 1) -> str:
    if not isinstance(value, str):
        raise FunctionError(f"{function}() expects a string as argument {position}, found {_kind(value)}")
    return value


def _int(value: Any, function: str, position: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FunctionError(f"{function}() expects an int as argument {position}, found {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {str: "a string", bool: "a bool", int: "an int", list: "an array", dict: "an object",
            type(None): "null"}.get(type(value), type(value).__name__)


def _substring(value: Any, start: Any, length: Any = None) -> str:
    text = _str(value, "substring")
    begin = _int(start, "substring", 2)
    count = len(text) - begin if length is None else _int(length, "substring", 3)
    if begin < 0 or count < 0 or begin + count > len(text):
        raise FunctionError(f"substring(): the start index {begin} and length {count} must lie within the string "
                            f"of length {len(text)}")
    return text[begin:begin + count]


def _concat(*args: Any) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    if any(isinstance(a, list | dict) for a in args):
        raise FunctionError("concat() takes all arrays or all strings and numbers")
    return "".join(_text(a) for a in args)


def _join(items: Any, delimiter: Any) -> str:
    if not isinstance(items, list):
        raise FunctionError(f"join() expects an array as argument 1, found {_kind(items)}")
    return _str(delimiter, "join", 2).join(_text(i) for i in items)


def _length(value: Any) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise FunctionError(f"length() expects a string, array or object, found {_kind(value)}")


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return _text(item) in container
    if isinstance(container, dict):
        return _text(item).lower() in (k.lower() for k in container)
    if isinstance(container, list):
        return item in container
    raise FunctionError(f"contains() expects a string, array or object, found {_kind(container)}")


def _union(*args: Any) -> Any:
    if all(isinstance(a, dict) for a in args):
        merged: dict[str, Any] = {}
        for a in args:
            merged.update(a)
        return merged
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for a in args:
            out += [i for i in a if i not in out]
        return out
    raise FunctionError("union() takes all objects or all arrays")


def _format(template: Any, *args: Any) -> str:
    text = _str(template, "format")
    try:
        return text.format(*(_text(a) for a in args))
    except (IndexError, KeyError, ValueError) as error:
        raise FunctionError(f"format(): {error}") from None


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


def _int_of(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FunctionError(f"int() cannot convert {json.dumps(value)}") from None


def _bool_of(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int):
        return value != 0
    raise FunctionError(f"bool() cannot convert {json.dumps(value)}")


def _range(start: Any, count: Any) -> list[int]:
    return list(range(_int(start, "range", 1), _int(start, "range", 1) + _int(count, "range", 2)))


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    # name: (implementation, fewest arguments, most arguments or None)
    "uniqueString": (lambda *a: unique_string(*(_str(x, "uniqueString", i + 1) for i, x in enumerate(a))), 1, None),
    "substring": (_substring, 2, 3),
    "concat": (_concat, 1, None),
    "join": (_join, 2, 2),
    "toLower": (lambda s: _str(s, "toLower").lower(), 1, 1),
    "toUpper": (lambda s: _str(s, "toUpper").upper(), 1, 1),
    "trim": (lambda s: _str(s, "trim").strip(), 1, 1),
    "replace": (lambda s, a, b: _str(s, "replace").replace(_str(a, "replace", 2), _str(b, "replace", 3)), 3, 3),
    "split": (lambda s, d: _str(s, "split").split(_str(d, "split", 2)), 2, 2),
    "startsWith": (lambda s, p: _str(s, "startsWith").lower().startswith(_str(p, "startsWith", 2).lower()), 2, 2),
    "endsWith": (lambda s, p: _str(s, "endsWith").lower().endswith(_str(p, "endsWith", 2).lower()), 2, 2),
    "indexOf": (lambda s, p: _str(s, "indexOf").lower().find(_str(p, "indexOf", 2).lower()), 2, 2),
    "string": (_text, 1, 1),
    "int": (_int_of, 1, 1),
    "bool": (_bool_of, 1, 1),
    "length": (_length, 1, 1),
    "empty": (lambda v: v is None or (isinstance(v, str | list | dict) and len(v) == 0), 1, 1),
    "contains": (_contains, 2, 2),
    "union": (_union, 1, None),
    "coalesce": (_coalesce, 1, None),
    "format": (_format, 1, None),
    "first": (lambda v: (v[0] if v else None) if isinstance(v, list | str) else _length(v), 1, 1),
    "last": (lambda v: (v[-1] if v else None) if isinstance(v, list | str) else _length(v), 1, 1),
    "take": (lambda v, n: v[:max(0, _int(n, "take", 2))], 2, 2),
    "skip": (lambda v, n: v[max(0, _int(n, "skip", 2)):], 2, 2),
    "min": (lambda *a: min(a[0] if len(a) == 1 and isinstance(a[0], list) else a), 1, None),
    "max": (lambda *a: max(a[0] if len(a) == 1 and isinstance(a[0], list) else a), 1, None),
    "range": (_range, 2, 2),
    "array": (lambda v: v if isinstance(v, list) else [v], 1, 1),
    "not": (lambda v: not _bool_of(v), 1, 1),
    "and": (lambda *a: all(_bool_of(v) for v in a), 2, None),
    "or": (lambda *a: any(_bool_of(v) for v in a), 2, None),
    "if": (lambda c, a, b: a if _bool_of(c) else b, 3, 3),
}
# Evaluated by the evaluator itself (they need the deployment's context).
CONTEXT_FUNCTIONS = ("resourceGroup", "subscription", "newGuid")
# Where ARM's names are case-insensitive, Bicep's are too in practice: accept any case.
_BY_LOWER = {name.lower(): name for name in (*FUNCTIONS, *CONTEXT_FUNCTIONS)}


def canonical_name(name: str) -> str | None:
    return _BY_LOWER.get(name.lower())


def supported_names() -> str:
    return ", ".join(sorted((*FUNCTIONS, *CONTEXT_FUNCTIONS), key=str.lower))


def _has_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def _open(value: Any) -> Any:
    if isinstance(value, Secret):
        return _open(value.value)
    if isinstance(value, dict):
        return {k: _open(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_open(v) for v in value]
    return value


def call(name: str, args: list[Any]) -> Any:
    """Apply a built-in to evaluated arguments; raises FunctionError with ARM's reason."""
    implementation, fewest, most = FUNCTIONS[name]
    if len(args) < fewest or (most is not None and len(args) > most):
        expected = str(fewest) if most == fewest else f"{fewest} to {most}" if most else f"at least {fewest}"
        raise FunctionError(f"{name}() takes {expected} argument(s), found {len(args)}")
    if name == "coalesce":  # an unknown after a known non-null value does not matter
        for arg in args:
            if arg is UNKNOWN:
                return UNKNOWN
            if arg is not None:
                return arg
        return None
    if any(contains_unknown(a) for a in args):
        return UNKNOWN
    secret = _has_secret(args)
    result = implementation(*(_open(a) for a in args)) if secret else implementation(*args)
    return Secret(result) if secret else result
