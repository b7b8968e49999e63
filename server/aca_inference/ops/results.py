"""What each operation returns: typed, so callers (the registry's handlers, tests) read fields, not dict keys
(a deploy's result lives beside its outcome, in deploy/outcome.py).

The front ends print `summary` and send `as_json()` (the CLI's `--json` line, the daemon's command result):
those keys are the contract scripts rely on, kept stable here in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class OperationResult:
    summary: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RollbackResult(OperationResult):
    release: str
    revision: str
    action: str  # "rolled back" | "unchanged"
    previous_release: str | None = None
    zero_downtime: bool | None = None
    switch_seconds: float | None = None


@dataclass
class ProvisionResult(OperationResult):
    plan: list[dict[str, Any]]
    cost: list[dict[str, Any]]
    config: dict[str, str | None] | None = None  # None in a preview: nothing was written
    preview: bool = False


@dataclass
class StatusResult(OperationResult):
    app: str
    endpoint: str | None  # None: the app has no ingress
    provisioning_state: str | None
    healthy: bool
    scaled_to_zero: bool
    revisions: list[dict[str, Any]]
    releases: list[dict[str, Any]] | None  # None: the app does not run releases
    serving_release: str | None
    api_key: str | None = field(default=None, repr=False)  # the secret: in the result only when asked for
    show_api_key: bool = False  # --show-api-key / Copy API Key

    def as_json(self) -> dict[str, Any]:
        result = asdict(self)
        if not result.pop("show_api_key"):
            del result["api_key"]
        return result


@dataclass
class DeleteResult(OperationResult):
    deleted: bool
    app: str


@dataclass
class MigrateResult(OperationResult):
    changes: list[dict[str, Any]]
    carried: dict[str, Any]
    preview: bool = False
