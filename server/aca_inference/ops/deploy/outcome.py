"""What a deploy did (its outcome), and what the deploy operation returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..results import OperationResult


@dataclass
class DeployOutcome:
    action: str = ""  # "released" | "restarted" | "updated" | "reloaded" | "unchanged"
    revision: str = ""
    ready_seconds: float = 0.0
    files_uploaded: int = 0
    bytes_uploaded: int = 0
    files_deleted: int = 0
    files_unchanged: int = 0
    release: str | None = None
    previous_release: str | None = None
    zero_downtime: bool = False
    switch_seconds: float | None = None
    releases_removed: list[str] | None = None

    def describe(self) -> str:
        if self.action == "released":
            how = "traffic switched" if self.zero_downtime else "restarted"
            return (f"release {self.release}, revision {self.revision}; ready {self.ready_seconds:.1f}s after the "
                    f"start, {how}" + (f" at {self.switch_seconds:.1f}s" if self.switch_seconds is not None else ""))
        if self.action == "unchanged":
            return f"release {self.release} already serves this code"
        after = {"restarted": "restart", "updated": "update", "reloaded": "reload"}.get(self.action, self.action)
        return f"ready {self.ready_seconds:.1f}s after the {after}"

    def as_result(self) -> dict[str, Any]:
        result = asdict(self)
        result["ready_seconds"] = round(self.ready_seconds, 2)
        if self.switch_seconds is not None:
            result["switch_seconds"] = round(self.switch_seconds, 2)
        return result


@dataclass
class DeployResult(OperationResult):
    endpoint: str
    outcome: DeployOutcome
    public: bool  # no API key: anyone with the URL can call it
    scales_to_zero: bool

    def as_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, **self.outcome.as_result(), "public": self.public,
                "scales_to_zero": self.scales_to_zero, "summary": self.summary}
