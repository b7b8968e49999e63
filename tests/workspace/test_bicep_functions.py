"""Every built-in follows ARM's documented behaviour, and whatever ARM refuses is one FunctionError at the
call's file:line:column - whether the binder sees the bad argument in the text or the evaluation meets it in a
value - never another exception."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from aca_inference.workspace.bicep import Deployment, Evaluator, Span, parse_bicep
from aca_inference.workspace.bicep.functions import BUILTINS, FunctionError, call
from aca_inference.workspace.bicep.values import JSON_KINDS, arm_type

DEPLOYMENT = Deployment("11111111-2222-3333-4444-555555555555", "rg", "westus3")
SPAN = Span("t.bicep", 7, 3)
# A few values of each kind, edges included (empty, negative, large).
SAMPLES: list[Any] = ["", "abc", "a,b", 0, -1, 5, 2**40, True, [], [3, 1], [1, "a"], {}, {"a": {"b": 1}}, None]
# A value of each kind, as a variable the binder can see (static path) and as a member of an object parameter
# it cannot (the evaluation's path).
DECLARED = {"string": "'x'", "int": "1", "bool": "true", "array": "[\n  1\n]", "object": "{\n  a: 1\n}",
            "null": "null"}
VALUES = {"string": "x", "int": 1, "bool": True, "array": [1], "object": {"a": 1}, "null": None}
PREFERRED = ("string", "int", "array", "object", "bool", "null")


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_a_builtin_gives_a_value_or_a_function_error_for_any_arguments(name: str) -> None:
    builtin = BUILTINS[name]
    most = builtin.most if builtin.most is not None else builtin.fewest + 2
    for count in range(max(0, builtin.fewest - 1), min(most + 1, 3) + 1):
        for args in itertools.product(SAMPLES, repeat=count):
            try:
                call(name, list(args), SPAN)
            except FunctionError as error:
                assert error.span == SPAN and str(error).startswith("t.bicep:7:3: "), (args, str(error))


def _bad_calls() -> list[tuple[str, list[str], str]]:
    """(function, argument kinds, words ARM's refusal must hold), from the table: too few and too many
    arguments, and each parameter given a kind it does not accept."""
    cases: list[tuple[str, list[str], str]] = []
    for name, builtin in sorted(BUILTINS.items()):
        good = [next(k for k in PREFERRED if k in builtin.accepts(i)[1]) for i in range(builtin.fewest)]
        if builtin.fewest > 0:
            cases.append((name, good[:-1], f"{name}() requires"))
        if builtin.most is not None:
            extra = [next(k for k in PREFERRED if k in builtin.accepts(i)[1]) for i in range(builtin.most)]
            cases.append((name, [*extra, "int"], f"{name}() requires"))
        for position in range(builtin.most or builtin.fewest + 1):
            param, kinds = builtin.accepts(position)
            wrong = [k for k in PREFERRED if k not in kinds]
            if not wrong:
                continue
            args = [next(k for k in PREFERRED if k in builtin.accepts(i)[1]) for i in range(max(builtin.fewest,
                                                                                                 position + 1))]
            args[position] = wrong[0]
            cases.append((name, args, f"parameter '{param}'; the provided value is of type '{arm_type(wrong[0])}'"))
    return cases


BAD_CALLS = _bad_calls()
BAD_KINDS = [case for case in BAD_CALLS if "requires" not in case[2]]  # the number of arguments is in the text


def test_the_bad_calls_cover_every_builtin() -> None:
    assert {name for name, _, _ in BAD_CALLS} == set(BUILTINS)
    assert all(any("parameter" in words for n, _, words in BAD_CALLS if n == name)
               for name, builtin in BUILTINS.items() if any(kinds < JSON_KINDS for _, kinds in builtin.params))


def _output_type(name: str) -> str:
    returns = BUILTINS[name].returns
    return returns if returns != "any" else "object"


@pytest.mark.parametrize(("name", "kinds", "words"), BAD_CALLS,
                         ids=[f"{n}({','.join(k)})" for n, k, _ in BAD_CALLS])
def test_a_bad_call_the_binder_sees_is_a_function_error_at_the_call(name: str, kinds: list[str], words: str) -> None:
    variables = "".join(f"var v{kind} = {DECLARED[kind]}\n" for kind in PREFERRED)
    lines = variables.count("\n")
    source = f"{variables}output r {_output_type(name)} = {name}({', '.join(f'v{k}' for k in kinds)})\n"
    with pytest.raises(FunctionError) as refusal:
        parse_bicep(source, "t.bicep")
    assert str(refusal.value).startswith(f"t.bicep:{lines + 1}:{len(f'output r {_output_type(name)} = ') + 1}: ")
    assert words in str(refusal.value), str(refusal.value)


@pytest.mark.parametrize(("name", "kinds", "words"), BAD_KINDS,
                         ids=[f"{n}({','.join(k)})" for n, k, _ in BAD_KINDS])
def test_a_bad_value_the_evaluation_meets_is_a_function_error_at_the_call(name: str, kinds: list[str],
                                                                          words: str) -> None:
    source = f"param o object\n\noutput r {_output_type(name)} = {name}({', '.join(f'o.{k}' for k in kinds)})\n"
    evaluator = Evaluator(parse_bicep(source, "t.bicep"), DEPLOYMENT, {"o": VALUES})
    with pytest.raises(FunctionError) as refusal:
        evaluator.outputs()
    assert str(refusal.value).startswith(f"t.bicep:3:{len(f'output r {_output_type(name)} = ') + 1}: ")
    assert words in str(refusal.value), str(refusal.value)


# (expression, words): values ARM refuses although their kinds are right.
REFUSED_VALUES = [
    ("min([])", "min() of an empty array"),
    ("max([])", "max() of an empty array"),
    ("min(o.mixed)", "min() compares integers; the provided value is of type 'String'"),
    ("max([3], 4)", "max() takes one array of integers or integers, not both"),
    ("range(0, o.minus)", "range(): the count must be between 0 and 10000; the count: '-1'"),
    ("range(0, 10001)", "the count must be between 0 and 10000"),
    ("range(2147483647, 1)", "the sum of startIndex and count must be at most 2147483647"),
    ("substring('abc', 5)", "the index parameter cannot be larger than the length of the string"),
    ("substring('abc', o.minus)", "the index parameter cannot be less than zero"),
    ("substring('abc', 1, o.minus)", "the length parameter cannot be less than zero"),
    ("substring('abc', 1, 5)", "the index and length parameters must refer to a location within the string"),
    ("int('x')", "int() cannot convert \"x\" to an integer"),
    ("int('1_000')", "int() cannot convert \"1_000\""),
    ("bool('maybe')", "bool() cannot convert \"maybe\""),
    ("format('{1}', 'a')", "refers to argument {1} but 1 were provided"),
    ("format('{0:N2}', 1)", "format specifiers such as {0:N2} are not evaluated here"),
    ("format('{', 1)", "is not valid"),
    ("replace('abc', '', 'x')", "replace(): the second parameter 'oldString' cannot be an empty string"),
    ("split('a', o.mixed)", "split() expects a string or an array of strings"),
    ("union(o.mixed, o)", "union() takes all objects or all arrays"),
    ("concat(o.mixed, 'a')", "concat() takes all arrays or all strings and numbers"),
    ("join(o.nested, ',')", "join() joins strings, numbers and bools; the array holds an array"),
    ("indexOf('abc', 1)", "indexOf() of a string expects a string to find"),
]


@pytest.mark.parametrize(("expression", "words"), REFUSED_VALUES, ids=[e for e, _ in REFUSED_VALUES])
def test_a_value_arm_refuses_is_a_function_error_at_the_call(expression: str, words: str) -> None:
    source = f"param o object\noutput r object = {expression}\n"
    evaluator = Evaluator(parse_bicep(source.replace("output r object", "var r"), "t.bicep"), DEPLOYMENT,
                          {"o": {"mixed": [1, "a"], "minus": -1, "nested": [[1]]}})
    with pytest.raises(FunctionError) as refusal:
        evaluator.variable("r", Span("t.bicep", 2, 1))
    assert str(refusal.value).startswith("t.bicep:2:9: "), str(refusal.value)
    assert words in str(refusal.value), str(refusal.value)


@pytest.mark.parametrize(("name", "args", "expected"), [
    ("first", [""], ""),
    ("first", [[]], None),
    ("first", ["One Two"], "O"),
    ("last", ["abc"], "c"),
    ("last", [[1, 2]], 2),
    ("take", ["one two three", -100], ""),
    ("take", ["one", 100], "one"),
    ("take", [[1, 2, 3], 2], [1, 2]),
    ("skip", ["abc", 5], ""),
    ("skip", [[1, 2], -1], [1, 2]),
    ("split", ["a,b;c", [",", ";"]], ["a", "b", "c"]),
    ("split", ["abc", ""], ["abc"]),
    ("union", [{"a": {"b": 1}, "x": 1}, {"a": {"c": 2}, "x": 2}], {"a": {"b": 1, "c": 2}, "x": 2}),
    ("union", [[1, 2], [2, 3]], [1, 2, 3]),
    ("format", ["{0,3}|{1,-3}|{{x}}", 1, "a"], "  1|a  |{x}"),
    ("indexOf", [[1, "a"], "a"], 1),
    ("indexOf", ["ABC", "b"], 1),
    ("min", [[3, 1]], 1),
    ("max", [3, 7], 7),
    ("range", [2, 3], [2, 3, 4]),
    ("int", [" 12 "], 12),
    ("empty", [None], True),
    ("contains", ["abc", "B"], False),
    ("contains", [{"Key": 1}, "key"], True),
    ("string", [True], "True"),
    ("bool", ["TRUE"], True),
])
def test_builtins_give_what_arm_documents(name: str, args: list[Any], expected: Any) -> None:
    assert call(name, args, SPAN) == expected
