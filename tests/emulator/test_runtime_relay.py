"""The relay inside a replica's network namespace does not outlive its container, even when nobody stops it
(the emulator killed without cleaning up)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from aca_emulator.runtime.network import RELAY_SCRIPT

from .conftest import wait_for
from .test_runtime_ingress import OWN_NETWORK

pytestmark = pytest.mark.skipif(not OWN_NETWORK, reason="no unprivileged network namespaces here")

# The sandbox's way: the relay started in the background by the shell that becomes the container.
START = '"$0" -I -S "$1" "$2" "$$" </dev/null >/dev/null 2>&1 & while [ ! -S "$2" ]; do sleep 0.01; done; echo $!'


def _start(socket: Path, *, then: str = "") -> int:
    run = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "/bin/bash", "-c", START + then,
                          sys.executable, str(RELAY_SCRIPT), str(socket)], capture_output=True, text=True, timeout=30)
    return int(run.stdout.split()[0])


def _gone(pid: int) -> bool:
    try:
        return "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return True


def test_relay_ends_when_its_container_is_gone(tmp_path: Path) -> None:
    relay = _start(tmp_path / "relay.sock")  # the shell (the "container") exits at once
    wait_for(lambda: _gone(relay), timeout=5)


def test_relay_ends_when_its_socket_is_removed(tmp_path: Path) -> None:
    socket = tmp_path / "relay.sock"
    holder = subprocess.Popen(["unshare", "--user", "--map-root-user", "--net", "/bin/bash", "-c",
                               START + "; sleep 30", sys.executable, str(RELAY_SCRIPT), str(socket)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        relay = int(holder.stdout.readline())
        time.sleep(0.2)
        assert not _gone(relay)
        socket.unlink()
        wait_for(lambda: _gone(relay), timeout=5)
    finally:
        holder.kill()
        holder.wait()
