"""What the runtime (and each of its helpers) may use of the emulator: its state, its settings, the storage
account keys - and the narrow views the helper modules take of the Runtime itself, so none imports runtime.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..settings import EmulatorSettings
from ..store import Store
from .revision import RevisionState


@dataclass(frozen=True)
class RuntimeHost:
    """What the runtime needs of the emulator, and no more: its state, its settings, the storage account keys
    (an app's Azure Files volume is checked against them)."""

    store: Store
    settings: EmulatorSettings
    account_keys: Callable[[str], list[str] | None]


class RuntimeView(Protocol):
    """The Runtime as launch.py and report.py see it."""

    @property
    def host(self) -> RuntimeHost: ...

    @property
    def store(self) -> Store: ...

    @property
    def settings(self) -> EmulatorSettings: ...

    def app_dir(self, app_id: str) -> Path: ...

    def port_for(self, key: str) -> int: ...

    def latest_ready_revision(self, app_id: str) -> str | None: ...

    def revision_state(self, app_id: str, revision_name: str) -> RevisionState: ...
