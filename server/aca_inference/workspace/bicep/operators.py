"""ARM's semantics on values already evaluated: property and index access, and the operators.

Nothing here evaluates an expression or knows the template; `expressions.py` evaluates the operands (and
decides short-circuits) and hands the values here. Spans only say where an error is reported.
"""

from __future__ import annotations

from typing import Any

from .errors import BicepError, Span
from .values import UNKNOWN, Secret, a_kind, kind_of


def _kind(value: Any) -> str:
    return a_kind(kind_of(value))


def type_error(span: Span, what: str) -> BicepError:
    return BicepError(span, what, "correct the expression")


def as_bool(value: Any, span: Span, operator: str) -> bool:
    plain = value.value if isinstance(value, Secret) else value
    if not isinstance(plain, bool):
        raise type_error(span, f"operator {operator} needs a bool, found {_kind(plain)}")
    return plain


def lookup(target: Any, key: str, span: Span, safe: bool) -> Any:
    """`target.key` (or `target.?key` when `safe`)."""
    if target is UNKNOWN:
        return UNKNOWN
    if isinstance(target, Secret):
        inner = lookup(target.value, key, span, safe)
        return inner if inner is UNKNOWN else Secret(inner)
    if target is None and safe:
        return None
    if not isinstance(target, dict):
        raise type_error(span, f"property '{key}' of {_kind(target)}")
    if key in target:
        return target[key]
    lowered = key.lower()  # ARM property names are case-insensitive
    for name, value in target.items():
        if name.lower() == lowered:
            return value
    if safe:
        return None
    raise BicepError(span, f"property '{key}' does not exist (the object has: "
                           f"{', '.join(target) or 'no properties'})", "use `.?` to allow its absence")


def subscript(target: Any, index: Any, span: Span, safe: bool) -> Any:
    """`target[index]` (or `target[?index]` when `safe`)."""
    if target is UNKNOWN or index is UNKNOWN:
        return UNKNOWN
    if isinstance(target, Secret):
        return Secret(_index_value(target.value, index, span, safe))
    return _index_value(target, index, span, safe)


def _index_value(target: Any, index: Any, span: Span, safe: bool) -> Any:
    if isinstance(target, list) and isinstance(index, int) and not isinstance(index, bool):
        if 0 <= index < len(target):
            return target[index]
        if safe:
            return None
        raise BicepError(span, f"index {index} outside the array of {len(target)} item(s)",
                         "use an index inside the array")
    if isinstance(target, dict) and isinstance(index, str):
        return lookup(target, index, span, safe)
    raise type_error(span, f"index {_kind(index)} into {_kind(target)}")


def unary(operator: str, value: Any, span: Span) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if operator == "!":
        return not as_bool(value, span, "!")
    if operator == "-" and isinstance(value, int) and not isinstance(value, bool):
        return -value
    raise type_error(span, f"operator {operator} on {_kind(value)}")


_ORDERING = ("<", "<=", ">", ">=")
_ARITHMETIC = ("+", "-", "*", "/", "%")
_LOGICAL = ("&&", "||")


def operand_problem(op: str, left: str, right: str) -> str | None:
    """What is wrong with operands of these kinds for `op`, or None. "any" (known only once evaluated) passes:
    the binder asks with the kinds it can tell, the evaluation again with the values' own."""
    known = [k for k in (left, right) if k != "any"]
    if op in ("=~", "!~"):
        ok = all(k == "string" for k in known)
        return None if ok else f"operator {op} needs two strings"
    if op in _ORDERING:
        ok = all(k in ("int", "string") for k in known) and len(set(known)) <= 1
        return None if ok else f"operator {op} needs two ints or two strings"
    if op in _ARITHMETIC:
        ok = all(k == "int" for k in known)
        return None if ok else f"operator {op} needs two ints (join strings with interpolation or concat())"
    if op in _LOGICAL:
        bad = next((k for k in (left, right) if k not in ("any", "bool")), None)
        return None if bad is None else f"operator {op} needs a bool, found {a_kind(bad)}"
    return None  # ==, != and ?? take any kinds


def binary(op: str, left: Any, right: Any, span: Span) -> Any:
    """A binary operator that needs both operands (`&&`, `||` and `??` short-circuit in the evaluator)."""
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    a = left.value if isinstance(left, Secret) else left
    b = right.value if isinstance(right, Secret) else right
    if op == "==":
        return bool(a == b and type(a) is type(b))
    if op == "!=":
        return not (a == b and type(a) is type(b))
    if (problem := operand_problem(op, kind_of(a), kind_of(b))) is not None:
        raise type_error(span, problem)
    if op in ("=~", "!~"):
        return (a.lower() == b.lower()) == (op == "=~")
    if op in _ORDERING:
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op in ("+", "-", "*"):
        return {"+": a + b, "-": a - b, "*": a * b}[op]
    if op in ("/", "%"):
        if b == 0:
            raise BicepError(span, "division by zero", "correct the expression")
        quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # ARM truncates toward zero
        return quotient if op == "/" else a - b * quotient
    raise BicepError(span, f"operator {op}", "rewrite it with the supported operators")
