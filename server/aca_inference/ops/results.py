"""What each operation returns: typed, so callers (the registry's handlers, tests) read fields, not dict keys
(a deploy's result lives beside its outcome, in deploy/outcome.py). Every handler in the registry returns one.

The front ends print `summary` and send `as_json()` (the CLI's `--json` line, the daemon's command result):
those keys are the contract scripts rely on, kept stable here in one place. `ok` false (a validate that found
problems) makes the CLI exit with the operation's failure code; a refused operation raises instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .deploy.outcome import DeployResult


@dataclass
class OperationResult:
    summary: str

    @property
    def ok(self) -> bool:
        """False where the operation ran and its answer is "no" (a validate that found problems): the CLI then exits
        with the operation's failure code. The front ends add it to the JSON they send."""
        return True

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def _json_without(self, *keys: str) -> dict[str, Any]:
        """The fields as JSON less `keys`: for a result whose answer leaves some of its fields out."""
        result = asdict(self)
        for key in keys:
            del result[key]
        return result


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
        return self._json_without("show_api_key") if self.show_api_key else self._json_without("show_api_key", "api_key")


@dataclass
class DeleteResult(OperationResult):
    deleted: bool
    app: str


@dataclass
class MigrateResult(OperationResult):
    changes: list[dict[str, Any]]
    carried: dict[str, Any]
    preview: bool = False


@dataclass
class InitResult(OperationResult):
    workspace: str
    written: list[str]
    kept: list[str]  # files that were there already (init never overwrites without --force)


@dataclass
class ValidateResult(OperationResult):
    valid: bool
    problems: list[str]

    @property
    def ok(self) -> bool:
        return self.valid

    def as_json(self) -> dict[str, Any]:
        # The verdict was the notification and each problem a log line: stdout gets no line of its own, and the
        # JSON keeps the keys scripts read (valid, problems; the front end adds ok).
        return self._json_without("summary")


@dataclass
class LogsResult(OperationResult):
    app: str
    revision: str
    replicas: list[str]
    lines: int


@dataclass
class EmulatorResult(OperationResult):
    running: bool
    data_dir: str
    stopped: bool | None = None  # `stop` only: whether one was running
    pid: int | None = None
    management_endpoint: str | None = None
    files_endpoint: str | None = None
    ca_path: str | None = None
    subscription_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        if self.stopped is not None:  # `stop` says whether one ran, nothing of endpoints
            return {"summary": self.summary, "running": self.running, "stopped": self.stopped,
                    "data_dir": self.data_dir}
        return self._json_without("stopped")


@dataclass
class DemoModelResult(OperationResult):
    root: str
    base_model_path: str
    adapter_path: str


@dataclass
class UpResult(OperationResult):
    """`up`: the provision, then the deploy. Its JSON is the deploy's, with the config written and the plan run."""
    provision: ProvisionResult
    deploy: DeployResult

    def as_json(self) -> dict[str, Any]:
        return {**self.deploy.as_json(), "config": self.provision.config, "provision": self.provision.plan}
