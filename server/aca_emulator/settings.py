"""What an emulator instance is configured with: data dir, ports, time scale, simulated durations, subscriptions.

Durations are the real service's typical times in seconds; the emulator waits `duration * time_scale`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .subscription_state import SubscriptionState

DEFAULT_SUBSCRIPTION_ID = "5f6c8d2a-0000-4000-8000-00000000aca0"
DEFAULT_SUBSCRIPTION_NAME = "Local emulator subscription"
TENANT_ID = "5f6c8d2a-0000-4000-8000-0000000000aa"

# Typical wall times of the real operations (seconds). The managed environment is by far the slowest.
DEFAULT_DURATIONS: dict[str, float] = {
    "storage_account": 20.0,
    "log_analytics_workspace": 10.0,
    "managed_environment": 240.0,
    "managed_environment_update": 90.0,
    "managed_environment_delete": 120.0,
    "container_app": 40.0,
    "container_app_update": 25.0,
    "container_app_delete": 15.0,
    "resource_group_delete": 30.0,
}

# `serve` without --time-scale: a managed environment takes 24 s instead of 4 minutes.
DEFAULT_TIME_SCALE = 0.1


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    display_name: str


@dataclass
class EmulatorSettings:
    data_dir: Path
    time_scale: float = DEFAULT_TIME_SCALE
    management_port: int = 0
    files_port: int = 0
    durations: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    subscriptions: list[Subscription] = field(default_factory=list)
    # False: container apps are recorded but no process is started (ARM-only tests).
    run_apps: bool = True
    # How long (real seconds) an app's ingress holds a new connection while a replica is starting, before
    # answering 503 as ACA's ingress does (runtime/ingress.py).
    ingress_hold: float = 5.0
    # The least time (real seconds) a revision stays scaled out (or up at all, with minReplicas 0) without demand,
    # whatever the time scale makes of ACA's cooldownPeriod (runtime/scaling.py).
    scale_in_floor: float = 30.0
    # Registered providers, offered workload profiles, GPU quota, taken names, permissions (set by tests).
    subscription_state: SubscriptionState = field(default_factory=SubscriptionState)

    @property
    def shares_root(self) -> Path:
        return self.data_dir / "shares"

    def scaled(self, kind: str) -> float:
        return max(0.0, self.durations.get(kind, 0.0) * self.time_scale)


def _parse_subscriptions(text: str) -> list[Subscription]:
    found = []
    for item in text.split(","):
        if not item.strip():
            continue
        sub_id, _, name = item.partition(":")
        found.append(Subscription(sub_id.strip(), name.strip() or sub_id.strip()))
    return found


def load_settings(data_dir: Path, *, time_scale: float | None = None, management_port: int = 0,
                  files_port: int = 0, **overrides: object) -> EmulatorSettings:
    """Settings from (lowest first) defaults, `<data_dir>/settings.json`, env vars, explicit arguments."""
    data_dir = Path(data_dir).expanduser().resolve()
    file_settings: dict[str, Any] = {}
    settings_file = data_dir / "settings.json"
    if settings_file.is_file():
        file_settings = json.loads(settings_file.read_text())
    durations = dict(DEFAULT_DURATIONS)
    durations.update({k: float(v) for k, v in dict(file_settings.get("durations") or {}).items()})  # type: ignore[arg-type]
    durations.update({k: float(v) for k, v in dict(overrides.pop("durations", None) or {}).items()})  # type: ignore[call-overload]
    subscriptions = [Subscription(DEFAULT_SUBSCRIPTION_ID, DEFAULT_SUBSCRIPTION_NAME)]
    for entry in file_settings.get("subscriptions") or []:  # type: ignore[union-attr]
        if isinstance(entry, dict):
            subscriptions.append(Subscription(str(entry["subscriptionId"]),
                                              str(entry.get("displayName") or entry["subscriptionId"])))
        else:
            subscriptions.extend(_parse_subscriptions(str(entry)))
    subscriptions.extend(_parse_subscriptions(os.environ.get("ACA_EMULATOR_SUBSCRIPTIONS", "")))
    unique: dict[str, Subscription] = {}
    for sub in subscriptions:
        unique.setdefault(sub.subscription_id.lower(), sub)
    if time_scale is None:
        env_scale = os.environ.get("ACA_EMULATOR_TIME_SCALE")
        time_scale = float(env_scale) if env_scale else float(file_settings.get("time_scale", DEFAULT_TIME_SCALE))  # type: ignore[arg-type]
    settings = EmulatorSettings(data_dir=data_dir, time_scale=time_scale, management_port=management_port,
                                files_port=files_port, durations=durations, subscriptions=list(unique.values()))
    for key, value in overrides.items():
        if not hasattr(settings, key):
            raise TypeError(f"unknown emulator setting {key!r}")
        setattr(settings, key, value)
    return settings
