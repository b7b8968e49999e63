"""The values an evaluated template holds besides JSON: secrets, values known only after deployment, and
references to the template's resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Secret:
    """A value that must never be shown (listKeys() results, @secure() parameters). `generated` marks a
    default made up at evaluation time (newGuid()): an existing value in Azure is kept instead."""

    value: Any
    generated: bool = False

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


class _Unknown:
    """A runtime value of a resource not deployed yet (Terraform's "known after apply")."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after deployment)"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class ResourceHandle:
    """A resource symbol used as a value: `parent: storageAccount`, `dependsOn: [x]`, `x.id`, `x.name`."""

    symbol: str
    type: str
    api_version: str
    name: str  # as declared (what `x.name` gives): the child's own name when it has `parent:`
    full_name: str  # parent names and this one, joined by '/' (what ARM's resource id holds)
    id: str


def reveal(value: Any) -> Any:
    """The plain JSON to send to Azure: secrets opened, nothing unknown left."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    if value is UNKNOWN:
        raise ValueError("a value known only after deployment was sent before it was known")
    return value


def masked(value: Any) -> Any:
    """The JSON to show: secrets as '(secret)', unknowns as '(known after deployment)'."""
    if isinstance(value, Secret):
        return "(secret)"
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if value is UNKNOWN:
        return repr(UNKNOWN)
    return value


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Secret):
        return contains_unknown(value.value)
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


# The kinds of value a template holds, as the binder and the functions name them: the JSON kinds, a resource
# symbol used as a value, and (for the binder) "any" where the kind is known only once evaluated.
JSON_KINDS = frozenset({"string", "int", "bool", "array", "object", "null"})
_ARTICLES = {"string": "a string", "int": "an int", "bool": "a bool", "array": "an array", "object": "an object",
             "null": "null", "resource": "a resource", "any": "any value"}
_ARM_TYPES = {"string": "String", "int": "Integer", "bool": "Boolean", "array": "Array", "object": "Object",
              "null": "Null", "resource": "Resource"}


def kind_of(value: Any) -> str:
    """The kind of a plain (not secret) value; UNKNOWN is "any"."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    if isinstance(value, ResourceHandle):
        return "resource"
    return "any"


def a_kind(kind: str) -> str:
    """`an int`, `a string`: a kind in a sentence."""
    return _ARTICLES.get(kind, kind)


def arm_type(kind: str) -> str:
    """ARM's name for a kind in its messages ('Integer', 'String')."""
    return _ARM_TYPES.get(kind, kind)
