"""Bind an ARM deployment-parameters file to the bicep's `param` declarations, by ARM's rules.

A parameter the bicep does not declare is an error; a declared one without a value and without a default is
an error; values are type-checked and checked against @allowed, @minValue/@maxValue and
@minLength/@maxLength. `null` means "the bicep's default" (the AI Toolkit templates write it for every name
they leave to the default). Every problem is collected, so one run reports them all.
"""

from __future__ import annotations

from typing import Any

from ..problems import Problem, describe
from .errors import BicepError
from .syntax_tree import ArrayExpr, BicepFile, Literal, ParamDecl, Unary
from .values import Secret

PARAMETERS_SCHEMA = "deploymentParameters.json"
MISSING_VALUE = "MissingParameterValue"  # a declared parameter with neither a value nor a default
_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "int": (int,), "bool": (bool,), "array": (list,),
                                       "object": (dict,)}


def type_matches(type_name: str, value: Any) -> bool:
    if type_name == "int" and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[type_name])


def _constant(decl: ParamDecl, decorator: str) -> Any:
    found = decl.decorator(decorator)
    if found is None or len(found.args) != 1:
        return None
    arg = found.args[0]
    if isinstance(arg, Literal):
        return arg.value
    if isinstance(arg, Unary) and arg.operator == "-" and isinstance(arg.operand, Literal):
        return -arg.operand.value
    if isinstance(arg, ArrayExpr) and all(isinstance(i, Literal) for i in arg.items):
        return [i.value for i in arg.items if isinstance(i, Literal)]
    raise BicepError(found.span, f"@{found.name} with a computed argument", "use a literal value")


def constraint_problem(decl: ParamDecl, value: Any) -> str | None:
    """What is wrong with `value` for this declaration, or None."""
    plain = value.value if isinstance(value, Secret) else value
    if not type_matches(decl.type, plain):
        return f"expected {'an' if decl.type[0] in 'aeiou' else 'a'} {decl.type} (the bicep declares " \
               f"`param {decl.name} {decl.type}`)"
    allowed = _constant(decl, "allowed")
    if allowed is not None and plain not in allowed:
        return "expected one of " + ", ".join(describe(a) for a in allowed)
    low, high = _constant(decl, "minValue"), _constant(decl, "maxValue")
    if isinstance(plain, int) and not isinstance(plain, bool):
        if low is not None and plain < low:
            return f"expected at least {low} (@minValue)"
        if high is not None and plain > high:
            return f"expected at most {high} (@maxValue)"
    shortest, longest = _constant(decl, "minLength"), _constant(decl, "maxLength")
    if isinstance(plain, str | list):
        if shortest is not None and len(plain) < shortest:
            return f"expected a length of at least {shortest} (@minLength)"
        if longest is not None and len(plain) > longest:
            return f"expected a length of at most {longest} (@maxLength)"
    return None


def bind_parameters(file: BicepFile, raw: dict[str, Any], display: str) -> tuple[dict[str, Any], list[Problem],
                                                                                list[str]]:
    """(values given in the file, problems, warnings). Defaults are not evaluated here."""
    problems: list[Problem] = []
    warnings: list[str] = []
    schema = raw.get("$schema")
    if isinstance(schema, str) and PARAMETERS_SCHEMA.lower() not in schema.lower():
        warnings.append(f"{display}: $schema is {schema!r}, not a deployment parameters schema "
                        f"(…/{PARAMETERS_SCHEMA}#): is this the right file? ARM would accept it, so it is used.")
    content_version = raw.get("contentVersion")
    if content_version is not None and not isinstance(content_version, str):
        problems.append(Problem(display, "contentVersion", 'expected a string such as "1.0.0.0"',
                                describe(content_version)))
    entries = raw.get("parameters", {})
    if not isinstance(entries, dict):
        return {}, [*problems, Problem(display, "parameters", 'expected an object {"<name>": {"value": ...}}',
                                       describe(entries))], warnings
    values: dict[str, Any] = {}
    declared = file.params
    for name, entry in entries.items():
        decl = declared.get(name)
        if decl is None:
            near = [d for d in declared if d.lower() == name.lower()]
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            problems.append(Problem(display, f"parameters.{name}", f"{file.path} declares no parameter '{name}'"
                                    f"{hint}; declared: {', '.join(declared) or 'none'}"))
            continue
        if not isinstance(entry, dict) or ("value" not in entry and "reference" not in entry):
            problems.append(Problem(display, f"parameters.{name}", 'expected {"value": ...}', describe(entry)))
            continue
        if "reference" in entry:
            problems.append(Problem(display, f"parameters.{name}.reference",
                                    'Key Vault references are not supported here; put the value in "value"'))
            continue
        value = entry["value"]
        if value is None:
            continue  # the bicep's default
        if (problem := constraint_problem(decl, value)) is not None:
            problems.append(Problem(display, f"parameters.{name}.value", problem,
                                    "(secret)" if decl.decorator("secure") else describe(value)))
            continue
        values[name] = value
    for name, decl in declared.items():
        if name not in values and decl.default is None and not any(
                p.json_path.split(".")[1:2] == [name] for p in problems):
            problems.append(Problem(display, f"parameters.{name}.value",
                                    f"a value ({decl.type}): {file.path}:{decl.span.line} declares `param {name} "
                                    f"{decl.type}` without a default", "nothing" if name not in entries else "null",
                                    code=MISSING_VALUE))
    return values, problems, warnings
