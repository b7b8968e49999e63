"""SIGKILL the VS Code daemon in the middle of a deploy: the next deploy (CLI, same engine and lock) converges on
the first try and the share matches the workspace. Full size with ACA_CAMPAIGN=full."""

from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.deploy.conftest import deploy, make_workspace, provision_workspace
from tests.hardening.conftest import local_tree, share_tree
from tests.provision.arm import ArmProbe

TRIALS = 20 if os.environ.get("ACA_CAMPAIGN") == "full" else 2


def _send(process: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    assert process.stdin is not None
    process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    process.stdin.flush()


def _read(process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any] | None:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        return None
    length = 0
    while (line := process.stdout.readline()) not in (b"\r\n", b"\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(process.stdout.read(length)) if length else None


def _deploy_in_daemon_then_kill(root: Path, data_dir: Path, after: float) -> None:
    """A VS Code stand-in: initialize, answer the daemon's requests, run deploy, SIGKILL the daemon at `after`."""
    daemon = subprocess.Popen([sys.executable, "-m", "aca_inference.lsp"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    settings = {"target": "local", "emulator": {"dataDir": str(data_dir)}, "deploy": {"drainSeconds": 0.5}}
    _send(daemon, {"id": 1, "method": "initialize", "params": {
        "processId": os.getpid(), "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": {"workspace": {"configuration": True}, "window": {"workDoneProgress": True}}}})
    sent_command = False
    deadline = None
    try:
        while deadline is None or time.monotonic() < deadline:
            message = _read(daemon, 0.05)
            if message is None:
                continue
            if message.get("id") == 1 and not sent_command:
                _send(daemon, {"method": "initialized", "params": {}})
                _send(daemon, {"id": 2, "method": "workspace/executeCommand",
                               "params": {"command": "acaInference.server.deploy", "arguments": []}})
                sent_command, deadline = True, time.monotonic() + after
            elif "method" in message and "id" in message:  # a request from the daemon: answer as VS Code
                result: Any = [settings] if message["method"] == "workspace/configuration" else None
                _send(daemon, {"id": message["id"], "result": result})
            elif message.get("id") == 2:
                break  # the deploy finished before the kill: a trial like any other
    finally:
        daemon.kill()
        daemon.wait()


def test_a_daemon_killed_mid_deploy_converges_on_the_next_deploy(emulator: Any, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    config = provision_workspace(emulator, root, "rg-daemon-kill")
    share = ArmProbe(emulator).share_dir(config["STORAGE_ACCOUNT_NAME"], config["FILE_SHARE_NAME"])
    rng = random.Random(11)
    for trial in range(TRIALS):
        (root / "inference" / "message.txt").write_text(f"release {trial}\n")
        _deploy_in_daemon_then_kill(root, Path(emulator.data_dir), rng.uniform(0.5, 6.0))
        json.loads((root / "infra" / "inference.config.json").read_text())  # never half-written
        run = deploy(emulator, root)
        assert run.returncode == 0, f"trial {trial}: {run.stderr}"
        assert share_tree(share) == local_tree(root), f"trial {trial}: the share's newest release differs"
    print(f"daemon killed mid-deploy: {TRIALS}/{TRIALS} next deploys converged first time")
