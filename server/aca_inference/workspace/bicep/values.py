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
