"""What every operation gets: the workspace, the one Reporter, and where Azure is (cloud or emulator)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..azure.target import TargetKind, TargetSettings, TokenProvider
from .reporter import Reporter

__all__ = ["OperationContext", "TargetKind", "TargetSettings", "TokenProvider"]


@dataclass
class OperationContext:
    root: Path
    reporter: Reporter
    target: TargetSettings = field(default_factory=TargetSettings)
    readiness_timeout: float = 900.0
    # Workspace folders the deployed app needs; synced to the share root (inference/ -> /mount/inference).
    deploy_include: tuple[str, ...] = ("inference",)
    # Offline demo: put the tiny demo model on the share first when it has no model cache.
    seed_demo_model_if_missing: bool = False
    # Releases: seconds the previous revision keeps serving requests already sent to it after the traffic moved
    # (ACA's ingress takes a few seconds to apply a traffic change everywhere), and releases kept on the share.
    drain_seconds: float = 20.0
    keep_releases: int = 3
