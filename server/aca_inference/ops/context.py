"""What every operation gets: the workspace, the one Reporter, and where Azure is (cloud or emulator)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..azure.target import TargetKind, TargetSettings, TokenProvider
from .reporter import Reporter

if TYPE_CHECKING:  # loaded when an operation connects, not when the daemon starts
    from ..azure.container_apps import AppRef, ContainerAppGateway
    from ..azure.session import AzureSession

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
    # The Azure boundary, replaceable: in-process tests give fakes of the session and the container-app gateway
    # (tests/fakes/); the front ends leave both unset (the real SDK clients, against the cloud or the emulator).
    connect: Callable[[TargetSettings], AbstractAsyncContextManager[Any]] | None = None
    container_app_gateway: Callable[[Any, AppRef], ContainerAppGateway] | None = None

    def open_session(self) -> AbstractAsyncContextManager[AzureSession]:
        from ..azure.session import open_session

        return (self.connect or open_session)(self.target)

    def container_apps(self, session: AzureSession, ref: AppRef) -> ContainerAppGateway:
        from ..azure.container_apps import ArmContainerAppGateway

        return (self.container_app_gateway or ArmContainerAppGateway)(session, ref)
