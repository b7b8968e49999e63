"""ARM template functions on plain values, as ARM computes them, with the signature each one has.

One table (`BUILTINS`) gives each function its implementation, its parameters (ARM's names and the kinds each
accepts), how many it takes and the kind it returns: the binder checks calls against it before anything is
evaluated, and `call()` checks the evaluated arguments against it again, so an implementation only ever sees
arguments of the kinds it accepts. Whatever ARM refuses is a `FunctionError` at the call's file:line:column,
in ARM's terms - never a Python exception.

Arguments arrive evaluated. A secret argument makes the result secret; a value known only after deployment
makes the result unknown too. `resourceGroup()`, `subscription()` and `newGuid()` need the deployment's
context and live in the evaluator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..unique_string import unique_string
from .errors import BicepError, Span
from .values import JSON_KINDS, UNKNOWN, Secret, a_kind, arm_type, contains_unknown, kind_of


class FunctionError(BicepError):
    """A built-in called with arguments ARM would refuse: where the call is, and ARM's reason."""

    def __init__(self, span: Span, function: str, reason: str) -> None:
        self.function = function
        self.reason = reason
        super().__init__(span, reason, "correct the arguments")


class _Refused(Exception):
    """Raised inside an implementation; `call()` turns it into a FunctionError at the call."""


@dataclass(frozen=True)
class Builtin:
    implementation: Callable[..., Any]
    params: tuple[tuple[str, frozenset[str]], ...]  # ARM's parameter names and the kinds each accepts
    fewest: int
    variadic: bool = False  # the last parameter repeats
    returns: str = "any"

    @property
    def most(self) -> int | None:
        return None if self.variadic else len(self.params)

    def accepts(self, position: int) -> tuple[str, frozenset[str]]:
        name, kinds = self.params[min(position, len(self.params) - 1)]
        if self.variadic and position >= len(self.params) and name.endswith("1"):
            name = f"{name[:-1]}{position + 1}"  # arg1, arg2, ... as ARM numbers them
        return name, kinds


_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def _kinds(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


STRING, INT, BOOL, ARRAY, OBJECT = (_kinds(k) for k in ("string", "int", "bool", "array", "object"))
ANY = JSON_KINDS  # a resource symbol is not a value a function takes (use its .id or .name)
ARRAY_OR_STRING = _kinds("array", "string")


def kinds_phrase(kinds: frozenset[str]) -> str:
    if kinds >= ANY:
        return "a value (not a resource symbol: use its .id or .name)"
    order = ["array", "object", "string", "int", "bool", "null", "resource"]
    words = [a_kind(k) for k in order if k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def type_problem(name: str, builtin: Builtin, position: int, kind: str) -> str | None:
    """ARM's complaint when argument `position` (0-based) has `kind`, or None when it is accepted."""
    param, kinds = builtin.accepts(position)
    if kind == "any" or kind in kinds:
        return None
    ordinal = _ORDINALS[position] if position < len(_ORDINALS) else f"{position + 1}th"
    return (f"{name}() expects {kinds_phrase(kinds)} for its {ordinal} parameter '{param}'; the provided value is of "
            f"type '{arm_type(kind)}'")


def arity_problem(name: str, builtin: Builtin, count: int) -> str | None:
    most = builtin.most
    if count >= builtin.fewest and (most is None or count <= most):
        return None
    expected = (str(most) if most == builtin.fewest else f"{builtin.fewest} to {most}" if most is not None
                else f"at least {builtin.fewest}")
    return f"{name}() requires {expected} argument(s) while {count} were provided"


# --- implementations: arguments already of the kinds their signature accepts ----------------------------------


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


def _substring(text: str, start: int, length: int | None = None) -> str:
    if start < 0:
        raise _Refused(f"substring(): the index parameter cannot be less than zero; the index: '{start}'")
    if start > len(text):
        raise _Refused(f"substring(): the index parameter cannot be larger than the length of the string; the index "
                       f"parameter: '{start}', the length of the string parameter: '{len(text)}'")
    count = len(text) - start if length is None else length
    if count < 0:
        raise _Refused(f"substring(): the length parameter cannot be less than zero; the length parameter: '{count}'")
    if start + count > len(text):
        raise _Refused(f"substring(): the index and length parameters must refer to a location within the string; "
                       f"the index parameter: '{start}', the length parameter: '{count}', the length of the string "
                       f"parameter: '{len(text)}'")
    return text[start:start + count]


def _concat(*args: Any) -> Any:
    arrays = [isinstance(a, list) for a in args]
    if all(arrays):
        return [item for a in args for item in a]
    if any(arrays):
        raise _Refused("concat() takes all arrays or all strings and numbers, not both")
    return "".join(_text(a) for a in args)


def _join(items: list[Any], delimiter: str) -> str:
    for item in items:
        if isinstance(item, list | dict):
            raise _Refused(f"join() joins strings, numbers and bools; the array holds {a_kind(kind_of(item))}")
    return delimiter.join(_text(i) for i in items)


def _split(text: str, delimiter: Any) -> list[str]:
    delimiters = delimiter if isinstance(delimiter, list) else [delimiter]
    if not all(isinstance(d, str) for d in delimiters):
        raise _Refused("split() expects a string or an array of strings for its second parameter 'delimiter'")
    separators = [d for d in delimiters if d]  # .NET's Split ignores empty separators
    if not separators:
        return [text]
    return re.split("|".join(re.escape(d) for d in separators), text)


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return _text(item) in container  # case-sensitive
    if isinstance(container, dict):
        return _text(item).lower() in (k.lower() for k in container)  # keys: case-insensitive
    return bool(item in container)


def _index_of(container: Any, item: Any) -> int:
    if isinstance(container, str):
        if not isinstance(item, str):
            raise _Refused(f"indexOf() of a string expects a string to find; the provided value is of type "
                           f"'{arm_type(kind_of(item))}'")
        return container.lower().find(item.lower())  # case-insensitive, as ARM documents
    return next((i for i, value in enumerate(container) if value == item and type(value) is type(item)), -1)


def _merge(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """union() of objects: later values win; nested objects are merged too (ARM merges them recursively)."""
    merged = dict(base)
    for key, value in other.items():
        merged[key] = _merge(merged[key], value) if isinstance(merged.get(key), dict) and isinstance(value, dict) \
            else value
    return merged


def _union(*args: Any) -> Any:
    if all(isinstance(a, dict) for a in args):
        merged: dict[str, Any] = {}
        for a in args:
            merged = _merge(merged, a)
        return merged
    if all(isinstance(a, list) for a in args):
        out: list[Any] = []
        for a in args:
            out += [i for i in a if i not in out]
        return out
    raise _Refused("union() takes all objects or all arrays, not both")


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?\}|[{}]")


def _format(template: str, *args: Any) -> str:
    """.NET composite formatting as ARM does it: {0}, {0,8} alignment, {{ and }} for braces."""
    def item(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if match.group(1) is None:
            raise _Refused(f"format(): the format string '{template}' is not valid (use {{0}}, {{1}}... and {{{{ }}}} "
                           "for braces; format specifiers such as {0:N2} are not evaluated here)")
        index = int(match.group(1))
        if index >= len(args):
            raise _Refused(f"format(): the format string refers to argument {{{index}}} but {len(args)} were "
                           "provided")
        text = _text(args[index])
        width = int(match.group(2) or 0)
        return text.rjust(width) if width >= 0 else text.ljust(-width)

    return _FORMAT_ITEM.sub(item, template)


_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def _int_of(value: Any) -> int:
    if isinstance(value, int):
        return value
    if not _INTEGER.fullmatch(value):
        raise _Refused(f"int() cannot convert {json.dumps(value)} to an integer")
    return int(value)


def _replace(text: str, old: str, new: str) -> str:
    if not old:
        raise _Refused("replace(): the second parameter 'oldString' cannot be an empty string")
    return text.replace(old, new)


def _bool_of(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if value.lower() in ("true", "false"):
        return bool(value.lower() == "true")
    raise _Refused(f"bool() cannot convert {json.dumps(value)}: use 'true', 'false' or an integer")


def _extreme(name: str, pick: Callable[..., int]) -> Callable[..., int]:
    """min()/max(): one array of integers, or integers."""
    def apply(*args: Any) -> int:
        if len(args) == 1 and isinstance(args[0], list):
            values = args[0]
        elif any(isinstance(a, list) for a in args):
            raise _Refused(f"{name}() takes one array of integers or integers, not both")
        else:
            values = list(args)
        if not values:
            raise _Refused(f"{name}() of an empty array: there is no {'smallest' if name == 'min' else 'largest'} "
                           "value")
        for value in values:
            if kind_of(value) != "int":
                raise _Refused(f"{name}() compares integers; the provided value is of type '{arm_type(kind_of(value))}'")
        return pick(values)
    return apply


_RANGE_LIMIT = 10000  # ARM: the count can be at most 10000, and startIndex + count at most 2147483647


def _range(start: int, count: int) -> list[int]:
    if count < 0 or count > _RANGE_LIMIT:
        raise _Refused(f"range(): the count must be between 0 and {_RANGE_LIMIT}; the count: '{count}'")
    if start + count > 2147483647:
        raise _Refused("range(): the sum of startIndex and count must be at most 2147483647")
    return list(range(start, start + count))


def _first(value: Any) -> Any:
    return (value[0] if value else ("" if isinstance(value, str) else None))


def _last(value: Any) -> Any:
    return (value[-1] if value else ("" if isinstance(value, str) else None))


BUILTINS: dict[str, Builtin] = {
    "uniqueString": Builtin(lambda *a: unique_string(*a), (("baseString", STRING),), 1, True, "string"),
    "substring": Builtin(_substring, (("stringToParse", STRING), ("startIndex", INT), ("length", INT)), 2,
                         returns="string"),
    "concat": Builtin(_concat, (("arg1", _kinds("array", "string", "int", "bool", "null")),), 1, True),
    "join": Builtin(_join, (("inputArray", ARRAY), ("delimiter", STRING)), 2, returns="string"),
    "toLower": Builtin(str.lower, (("stringToChange", STRING),), 1, returns="string"),
    "toUpper": Builtin(str.upper, (("stringToChange", STRING),), 1, returns="string"),
    "trim": Builtin(str.strip, (("stringToTrim", STRING),), 1, returns="string"),
    "replace": Builtin(_replace, (("originalString", STRING), ("oldString", STRING), ("newString", STRING)), 3,
                       returns="string"),
    "split": Builtin(_split, (("inputString", STRING), ("delimiter", _kinds("string", "array"))), 2,
                     returns="array"),
    "startsWith": Builtin(lambda s, p: s.lower().startswith(p.lower()),
                          (("stringToSearch", STRING), ("stringToFind", STRING)), 2, returns="bool"),
    "endsWith": Builtin(lambda s, p: s.lower().endswith(p.lower()),
                        (("stringToSearch", STRING), ("stringToFind", STRING)), 2, returns="bool"),
    "indexOf": Builtin(_index_of, (("stringToSearch", ARRAY_OR_STRING), ("stringToFind", ANY)), 2, returns="int"),
    "string": Builtin(_text, (("valueToConvert", ANY),), 1, returns="string"),
    "int": Builtin(_int_of, (("valueToConvert", _kinds("string", "int")),), 1, returns="int"),
    "bool": Builtin(_bool_of, (("arg1", _kinds("string", "int", "bool")),), 1, returns="bool"),
    "length": Builtin(len, (("arg1", _kinds("array", "string", "object")),), 1, returns="int"),
    "empty": Builtin(lambda v: v is None or len(v) == 0, (("itemToTest", _kinds("array", "object", "string",
                                                                                  "null")),), 1, returns="bool"),
    "contains": Builtin(_contains, (("container", _kinds("array", "object", "string")), ("itemToFind", ANY)), 2,
                        returns="bool"),
    "union": Builtin(_union, (("arg1", _kinds("array", "object")),), 2, True),
    "coalesce": Builtin(lambda *a: next((v for v in a if v is not None), None), (("arg1", ANY),), 1, True),
    "format": Builtin(_format, (("formatString", STRING), ("arg1", ANY)), 1, True, "string"),
    "first": Builtin(_first, (("arg1", ARRAY_OR_STRING),), 1),
    "last": Builtin(_last, (("arg1", ARRAY_OR_STRING),), 1),
    "take": Builtin(lambda v, n: v[:max(0, n)], (("originalValue", ARRAY_OR_STRING), ("numberToTake", INT)), 2),
    "skip": Builtin(lambda v, n: v[max(0, n):], (("originalValue", ARRAY_OR_STRING), ("numberToSkip", INT)), 2),
    "min": Builtin(_extreme("min", min), (("arg1", _kinds("array", "int")),), 1, True, "int"),
    "max": Builtin(_extreme("max", max), (("arg1", _kinds("array", "int")),), 1, True, "int"),
    "range": Builtin(_range, (("startIndex", INT), ("count", INT)), 2, returns="array"),
    "array": Builtin(lambda v: v if isinstance(v, list) else [v], (("convertToArray", ANY),), 1, returns="array"),
    "not": Builtin(lambda v: not v, (("arg1", BOOL),), 1, returns="bool"),
    "and": Builtin(lambda *a: all(a), (("arg1", BOOL),), 2, True, "bool"),
    "or": Builtin(lambda *a: any(a), (("arg1", BOOL),), 2, True, "bool"),
    "if": Builtin(lambda c, a, b: a if c else b, (("condition", BOOL), ("trueValue", ANY), ("falseValue", ANY)), 3),
}
# Evaluated by the evaluator itself (they need the deployment's context); none takes arguments here.
CONTEXT_FUNCTIONS = {"resourceGroup": "object", "subscription": "object", "newGuid": "string"}
# Where ARM's names are case-insensitive, Bicep's are too in practice: accept any case.
_BY_LOWER = {name.lower(): name for name in (*BUILTINS, *CONTEXT_FUNCTIONS)}


def canonical_name(name: str) -> str | None:
    return _BY_LOWER.get(name.lower())


def supported_names() -> str:
    return ", ".join(sorted((*BUILTINS, *CONTEXT_FUNCTIONS), key=str.lower))


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


def call(name: str, args: list[Any], span: Span) -> Any:
    """Apply a built-in to evaluated arguments; raises only FunctionError, with ARM's reason, at `span`."""
    builtin = BUILTINS[name]
    if (problem := arity_problem(name, builtin, len(args))) is not None:
        raise FunctionError(span, name, problem)
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
    plain = [_open(a) for a in args] if secret else args
    for position, value in enumerate(plain):
        if (problem := type_problem(name, builtin, position, kind_of(value))) is not None:
            raise FunctionError(span, name, problem)
    try:
        result = builtin.implementation(*plain)
    except _Refused as refusal:
        raise FunctionError(span, name, str(refusal)) from None
    except (TypeError, ValueError, IndexError, KeyError, OverflowError, RecursionError) as error:
        # A case the table does not describe: still one message at the call, never a traceback.
        kinds = ", ".join(arm_type(kind_of(v)) for v in plain)
        raise FunctionError(span, name, f"{name}() cannot be applied to ({kinds}): {error}") from None
    return Secret(result) if secret else result
