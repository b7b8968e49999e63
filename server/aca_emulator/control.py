"""Start, find and stop the emulator as a background service (`aca-inference emulator start|stop|status`).

Discovery goes through `<data_dir>/emulator.json` plus a health check over HTTPS with the emulator's CA, so a
stale file (crashed emulator) is never reported as running. An in-process emulator (testing.running_emulator)
writes the same file and is found the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .server import INFO_FILE

LOG_FILE = "emulator.log"


class EmulatorDidNotStart(RuntimeError):
    """The background emulator exited or stayed silent; the message quotes the end of its log."""


@dataclass(frozen=True)
class EmulatorInfo:
    running: bool
    pid: int | None
    management_endpoint: str
    files_endpoint: str
    ca_path: str
    subscription_id: str
    data_dir: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_data_dir() -> Path:
    home = os.environ.get("ACA_INFERENCE_HOME") or "~/.aca-inference"
    return Path(home).expanduser() / "emulator"


def _read_info(data_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((data_dir / INFO_FILE).read_text())
    except (OSError, ValueError):
        return None


def _healthy(info: dict[str, Any], timeout: float = 2.0) -> bool:
    try:
        context = ssl.create_default_context(cafile=info["ca_path"])
        with urllib.request.urlopen(f"{info['management_endpoint']}/_emulator/health", timeout=timeout,
                                    context=context) as response:
            body = json.loads(response.read())
        return bool(response.status == 200 and body.get("status") == "ok")
    except (OSError, ValueError, KeyError, ssl.SSLError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status(data_dir: Path) -> EmulatorInfo | None:
    """The emulator serving `data_dir`, if one answers its health check."""
    data_dir = Path(data_dir).expanduser().resolve()
    info = _read_info(data_dir)
    if info is None:
        return None
    if not _healthy(info):
        pid = info.get("pid")
        if isinstance(pid, int) and not _alive(pid):
            with contextlib.suppress(OSError):
                (data_dir / INFO_FILE).unlink()
        return None
    return EmulatorInfo(running=True, pid=info.get("pid"), management_endpoint=info["management_endpoint"],
                        files_endpoint=info["files_endpoint"], ca_path=info["ca_path"],
                        subscription_id=info["subscription_id"], data_dir=str(data_dir))


def _log_tail(data_dir: Path, lines: int = 15) -> str:
    try:
        return "\n".join((data_dir / LOG_FILE).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_background(data_dir: Path, *, time_scale: float | None = None, timeout: float = 30) -> EmulatorInfo:
    """Returns the running emulator for `data_dir`, starting one (detached) if none answers."""
    import fcntl

    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two callers at once start one emulator
        running = status(data_dir)
        if running is not None:
            return running
        command = [sys.executable, "-m", "aca_emulator", "serve", "--data-dir", str(data_dir)]
        if time_scale is not None:
            command += ["--time-scale", str(time_scale)]
        with (data_dir / LOG_FILE).open("ab") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, close_fds=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EmulatorDidNotStart(f"The local Azure emulator did not start (exit code {process.returncode}). "
                                      f"Its log ({data_dir / LOG_FILE}) ends with:\n{_log_tail(data_dir)}")
            info = _read_info(data_dir)
            if info and info.get("pid") == process.pid:
                found = status(data_dir)
                if found is not None:
                    return found
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        raise EmulatorDidNotStart(f"The local Azure emulator did not answer within {timeout:.0f}s. Its log "
                              f"({data_dir / LOG_FILE}) ends with:\n{_log_tail(data_dir)}")


def stop(data_dir: Path, *, timeout: float = 15) -> bool:
    """Stops the background emulator of `data_dir` and its apps; False when none was running."""
    data_dir = Path(data_dir).expanduser().resolve()
    info = _read_info(data_dir)
    pid = info.get("pid") if info else None
    if not isinstance(pid, int) or not _alive(pid):
        return False
    if pid == os.getpid():  # an in-process emulator ends with its context manager
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True
