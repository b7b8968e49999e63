"""The client's `acaInference` settings, pulled with workspace/configuration when a command runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer


@dataclass(frozen=True)
class DaemonSettings:
    target: str = "azure"
    emulator_data_dir: Path | None = None
    readiness_timeout: float = 900.0
    log_level: str = "info"
    drain_seconds: float = 20.0
    keep_releases: int = 3


async def read_settings(server: LanguageServer) -> DaemonSettings:
    capabilities = server.client_capabilities
    if capabilities.workspace is None or not capabilities.workspace.configuration:
        return DaemonSettings()
    values = await server.workspace_configuration_async(
        lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="acaInference")]))
    section: dict[str, Any] = (values or [None])[0] or {}
    emulator = section.get("emulator") or {}
    deploy = section.get("deploy") or {}
    data_dir = emulator.get("dataDir") if isinstance(emulator, dict) else None
    timeout = deploy.get("readinessTimeoutSeconds") if isinstance(deploy, dict) else None
    drain = deploy.get("drainSeconds") if isinstance(deploy, dict) else None
    keep = deploy.get("keepReleases") if isinstance(deploy, dict) else None
    target = section.get("target")
    log_level = section.get("logLevel")
    return DaemonSettings(
        target=target if target in ("local", "azure") else "azure",
        emulator_data_dir=Path(data_dir).expanduser() if data_dir else None,
        readiness_timeout=float(timeout) if isinstance(timeout, int | float) and timeout > 0 else 900.0,
        log_level=log_level if log_level in ("debug", "info", "warning", "error") else "info",
        drain_seconds=float(drain) if isinstance(drain, int | float) and drain >= 0 else 20.0,
        keep_releases=int(keep) if isinstance(keep, int) and keep >= 1 else 3,
    )
