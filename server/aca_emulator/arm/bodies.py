"""What ARM does with the body of a PUT: a `null` means "not set" (the property keeps its default, or is left
out), and what was sent comes back on GET beside the service's read-only fields."""

from __future__ import annotations

import copy
from typing import Any


def without_nulls(value: Any) -> Any:
    """The body as the service reads it: members whose value is null are not set."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def merged(base: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """`base` (defaults or the stored resource) with what was sent laid over it; objects merge, the rest
    replaces; nulls in `sent` leave `base` as it was."""
    result = copy.deepcopy(base)
    for key, value in sent.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(without_nulls(value))
    return result


def system_data(previous: dict[str, Any] | None, now: str) -> dict[str, Any]:
    """ARM's `systemData` of a tracked resource written at `now` (created when first written)."""
    created = (previous or {}).get("createdAt", now)
    return {"createdBy": "local-user", "createdByType": "User", "createdAt": created,
            "lastModifiedBy": "local-user", "lastModifiedByType": "User", "lastModifiedAt": now}
