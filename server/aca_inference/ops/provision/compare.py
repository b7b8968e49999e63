"""What a bicep would change on what exists: property-level differences between the evaluated body and the
resource as ARM returns it.

ARM echoes defaults and read-only fields we did not send, so only what the template states is compared.
Not compared: `null` (the template leaves it to Azure), secrets (ARM never returns them), values known only
after deployment. An empty or false value the template states matches an absent one (Azure often omits its
defaults). Enum-like words compare without case, as ARM treats them (`Auto` / `auto`).

Azure also rewrites what it is sent (recorded in ../shared/azure-recordings): quantities (`memory: "1.0Gi"`
comes back `"1Gi"`), numbers sent as text (`cpu: "0.5"`, traffic `weight: "50"`), the ephemeral storage it
assigns a container from its cpu on Consumption (`"1Gi"` sent, `"2Gi"` back), `identity: {type: None}` left
out, locations by display name. Those compare as Azure means them, so an unchanged bicep plans no update.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...sync.releases.layout import RELEASE_ENV
from ...workspace.bicep import UNKNOWN, Secret, masked

_WORD = re.compile(r"^[A-Za-z0-9_.-]+$")
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti)\s*$")
_UNITS = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40}


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any  # masked
    after: Any  # masked

    def describe(self) -> str:
        return f"{self.path}: {_show(self.before)} -> {_show(self.after)}"


def _show(value: Any) -> str:
    import json

    text = json.dumps(masked(value), ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _absent_like(value: Any) -> bool:
    return value in ("", [], {}, False, 0)


def _number(value: Any) -> float | None:
    """A number, or a numeric string (Azure reads `"50"` where a number belongs as 50)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return None


def _quantity(value: Any) -> float | None:
    """`"1.0Gi"` and `"1Gi"` are one quantity (bytes)."""
    match = _QUANTITY.match(value) if isinstance(value, str) else None
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


def _same_scalar(desired: Any, actual: Any, key: str) -> bool:
    if isinstance(desired, bool) or isinstance(actual, bool):
        return bool(desired == actual)
    if isinstance(desired, int | float) or isinstance(actual, int | float):
        number, other = _number(desired), _number(actual)
        return number is not None and number == other
    if isinstance(desired, str) and isinstance(actual, str):
        if key.lower() == "location":  # "North Central US (Stage)" is "northcentralusstage"
            return re.sub(r"[^a-z0-9]", "", desired.lower()) == re.sub(r"[^a-z0-9]", "", actual.lower())
        quantity = _quantity(desired)
        if quantity is not None and quantity == _quantity(actual):
            return True
        if _WORD.match(desired) and _WORD.match(actual):
            return desired.lower() == actual.lower()
    return bool(desired == actual)


def _get(mapping: dict[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()  # ARM is case-insensitive in property names it echoes back
    return next((v for k, v in mapping.items() if k.lower() == lowered), None)


def _ephemeral_allotment(cpu: Any) -> float | None:
    """The ephemeral storage ACA gives a container on Consumption: 2Gi per 0.5 cpu, up to 8Gi (recorded: 0.5 ->
    2Gi, 1.0 -> 4Gi, 10 -> 8Gi, whatever was asked)."""
    number = _number(cpu)
    return None if number is None else min(8, max(1, round(number / 0.5)) * 2) * _UNITS["Gi"]


def _azure_assigned(name: str, key: str, actual: dict[str, Any]) -> bool:
    """A property whose value Azure sets itself, whatever the template asked."""
    if key == "resources" and name.lower() == "ephemeralstorage":
        held = _quantity(_get(actual, "ephemeralStorage"))
        return held is not None and held == _ephemeral_allotment(_get(actual, "cpu"))
    return False


def differences(desired: Any, actual: Any, path: str = "", key: str = "") -> list[PropertyChange]:
    if desired is None or desired is UNKNOWN or isinstance(desired, Secret):
        return []
    if actual is None and _absent_like(desired):
        return []
    if isinstance(desired, dict):
        if actual is None and key.lower() == "identity" and str(desired.get("type", "None")).lower() == "none" \
                and not desired.get("userAssignedIdentities"):
            return []  # no identity: Azure leaves the key out
        if not isinstance(actual, dict):
            return [PropertyChange(path or ".", actual, desired)]
        found: list[PropertyChange] = []
        for name, value in desired.items():
            if not _azure_assigned(name, key, actual):
                found += differences(value, _get(actual, name), f"{path}.{name}" if path else name, name)
        return found
    if isinstance(desired, list):
        if key == "env" and isinstance(actual, list):
            actual = _without_release(desired, actual)
        if not isinstance(actual, list) or len(actual) != len(desired):
            return [PropertyChange(path, actual, desired)]
        found = []
        for index, (want, have) in enumerate(zip(desired, actual, strict=True)):
            found += differences(want, have, f"{path}[{index}]", key)
        return found
    return [] if _same_scalar(desired, actual, key) else [PropertyChange(path, actual, desired)]


def _without_release(desired: list[Any], actual: list[Any]) -> list[Any]:
    """The release a deploy put on the container (INFERENCE_RELEASE) is deploy's, not the bicep's: not a
    difference, and provision carries it over (execute.py)."""
    if any(isinstance(v, dict) and v.get("name") == RELEASE_ENV for v in desired):
        return actual
    return [v for v in actual if not (isinstance(v, dict) and v.get("name") == RELEASE_ENV)]
