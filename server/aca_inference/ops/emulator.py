"""`emulator start|stop|status`: the local Azure as a background service."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .reporter import Reporter
from .results import EmulatorResult

if TYPE_CHECKING:
    from ..azure.local_emulator import EmulatorInfo


def _running(info: EmulatorInfo | None, directory: Path) -> EmulatorResult:
    """What `start` and `status` answer: the endpoints of a running emulator, or that none runs."""
    if info is None or not info.running:
        return EmulatorResult(summary="Emulator not running.", running=False, data_dir=str(directory))
    ca_path = str(info.ca_path) if info.ca_path else None
    return EmulatorResult(
        summary=(f"Emulator running (pid {info.pid})\n  management: {info.management_endpoint}\n"
                 f"  files:      {info.files_endpoint}\n  CA:         {ca_path}"),
        running=True, data_dir=str(directory), pid=info.pid, management_endpoint=info.management_endpoint,
        files_endpoint=info.files_endpoint, ca_path=ca_path, subscription_id=info.subscription_id)


async def emulator_command(action: str, data_dir: Path | None, reporter: Reporter) -> EmulatorResult:
    from ..azure import local_emulator

    directory = (data_dir or local_emulator.default_data_dir()).resolve()
    if action == "start":
        return _running(await local_emulator.start(directory), directory)
    if action == "stop":
        stopped = await local_emulator.stop(directory)
        reporter.log("Emulator stopped." if stopped else "The emulator was not running.")
        return EmulatorResult(summary="stopped" if stopped else "not running", running=False, stopped=stopped,
                              data_dir=str(directory))
    return _running(await local_emulator.status(directory), directory)
