"""What every operation gets: the workspace, the one Reporter, and where Azure is (cloud or emulator)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .reporter import Reporter

TargetKind = Literal["local", "azure"]
# Front ends that own the user's sign-in (VS Code) hand tokens over: scopes -> (token, expires_on).
TokenProvider = Callable[[list[str]], Awaitable[tuple[str, int]]]


@dataclass(frozen=True)
class TargetSettings:
    kind: TargetKind = "local"
    emulator_data_dir: Path | None = None
    token_provider: TokenProvider | None = None


@dataclass
class OperationContext:
    root: Path
    reporter: Reporter
    target: TargetSettings = field(default_factory=TargetSettings)
    readiness_timeout: float = 900.0
    # Workspace folders the deployed app needs; synced to the share root (inference/ -> /mount/inference).
    deploy_include: tuple[str, ...] = ("inference",)
    # Offline demo: put the tiny demo model on the share first when it has no model cache.
    seed_demo_model: bool = False
    # Releases: seconds the previous revision keeps serving requests already sent to it after the traffic moved
    # (ACA's ingress takes a few seconds to apply a traffic change everywhere), and releases kept on the share.
    drain_seconds: float = 20.0
    keep_releases: int = 3
