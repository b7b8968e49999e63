"""What a bicep would change on what exists: property-level differences between the evaluated body and the
resource as ARM returns it.

ARM echoes defaults and read-only fields we did not send, so only what the template states is compared.
Not compared: `null` (the template leaves it to Azure), secrets (ARM never returns them), values known only
after deployment. An empty or false value the template states matches an absent one (Azure often omits its
defaults). Enum-like words compare without case, as ARM treats them (`Auto` / `auto`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...sync.releases.layout import RELEASE_ENV
from ...workspace.bicep import UNKNOWN, Secret, masked

_WORD = re.compile(r"^[A-Za-z0-9_.-]+$")


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


def _same_scalar(desired: Any, actual: Any, key: str) -> bool:
    if isinstance(desired, bool) or isinstance(actual, bool):
        return bool(desired == actual)
    if isinstance(desired, int | float) and isinstance(actual, int | float):
        return float(desired) == float(actual)
    if isinstance(desired, str) and isinstance(actual, str):
        if key.lower() == "location":
            return bool(desired.replace(" ", "").lower() == actual.replace(" ", "").lower())
        if _WORD.match(desired) and _WORD.match(actual):
            return desired.lower() == actual.lower()
    return bool(desired == actual)


def _get(mapping: dict[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()  # ARM is case-insensitive in property names it echoes back
    return next((v for k, v in mapping.items() if k.lower() == lowered), None)


def differences(desired: Any, actual: Any, path: str = "", key: str = "") -> list[PropertyChange]:
    if desired is None or desired is UNKNOWN or isinstance(desired, Secret):
        return []
    if actual is None and _absent_like(desired):
        return []
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return [PropertyChange(path or ".", actual, desired)]
        found: list[PropertyChange] = []
        for name, value in desired.items():
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
