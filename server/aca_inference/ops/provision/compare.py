"""Does an existing resource already have what we want? Desired values must be contained in the actual ones
(Azure adds defaults and read-only fields); numbers compare by value (24 == 24.0)."""

from __future__ import annotations

from typing import Any


def differences(desired: Any, actual: Any, path: str = "") -> list[str]:
    """JSON paths (relative) where `actual` lacks or differs from `desired`."""
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return [path or "."]
        found: list[str] = []
        for key, value in desired.items():
            found += differences(value, _get(actual, key), f"{path}.{key}" if path else key)
        return found
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(actual) != len(desired):
            return [path]
        found = []
        for index, (want, have) in enumerate(zip(desired, actual, strict=True)):
            found += differences(want, have, f"{path}[{index}]")
        return found
    if isinstance(desired, bool) or isinstance(actual, bool):
        return [] if desired == actual else [path]
    if isinstance(desired, int | float) and isinstance(actual, int | float):
        return [] if float(desired) == float(actual) else [path]
    return [] if desired == actual else [path]


def _get(mapping: dict[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()  # ARM is case-insensitive in property names it echoes back
    return next((v for k, v in mapping.items() if k.lower() == lowered), None)
