"""`emulator start|stop|status`: the local Azure as a background service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .reporter import Reporter


def _info(info: Any) -> dict[str, Any]:
    return {
        "running": bool(info and info.running),
        "pid": getattr(info, "pid", None),
        "management_endpoint": getattr(info, "management_endpoint", None),
        "files_endpoint": getattr(info, "files_endpoint", None),
        "ca_path": str(getattr(info, "ca_path", "") or "") or None,
        "subscription_id": getattr(info, "subscription_id", None),
        "data_dir": str(getattr(info, "data_dir", "") or "") or None,
    }


async def emulator_command(action: str, data_dir: Path | None, reporter: Reporter) -> dict[str, Any]:
    from ..azure import local_emulator

    directory = (data_dir or local_emulator.default_data_dir()).resolve()
    info: Any
    if action == "start":
        info = await local_emulator.start(directory)
    elif action == "stop":
        stopped = await local_emulator.stop(directory)
        reporter.log("Emulator stopped." if stopped else "The emulator was not running.")
        return {"running": False, "stopped": stopped, "data_dir": str(directory),
                "summary": "stopped" if stopped else "not running"}
    else:
        info = await local_emulator.status(directory)
    result = _info(info)
    result["data_dir"] = str(directory)
    if result["running"]:
        result["summary"] = (f"Emulator running (pid {result['pid']})\n  management: {result['management_endpoint']}\n"
                             f"  files:      {result['files_endpoint']}\n  CA:         {result['ca_path']}")
    else:
        result["summary"] = "Emulator not running."
    return result
