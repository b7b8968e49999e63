"""Hardening tests: real files, real CLI processes, the real emulator.

The tests run as root, and root reads any file whatever its mode bits. To make the OS really refuse a read,
the CLI under test runs as root *without* the two capabilities that override file permissions
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH: dropped from its bounding set by `setpriv`), so `chmod 000` means
what it means for any user - the error comes from the kernel, not from a patched function.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_run, last_json

WITHOUT_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def cli(emulator: Any, command: str, root: Path, *extra: str, obey_permissions: bool = False,
        timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`aca-inference <command> --workspace root ... --json` as a separate process, as a user runs it."""
    args = [command, "--workspace", str(root), "--emulator-data-dir", str(emulator.data_dir), *extra, "--json"]
    if command == "deploy" and "--timeout" not in extra:
        args += ["--timeout", "120"]
    if command in ("deploy", "rollback") and "--drain-seconds" not in extra:
        args += ["--drain-seconds", "0.5"]  # the old revision's drain (20 s by default) is not under test here
    if not obey_permissions:
        return cli_run(*args, timeout=timeout, env=env)
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to make the OS refuse reads to a root process")
    return subprocess.run([*WITHOUT_DAC, sys.executable, "-m", "aca_inference.cli", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def provision(emulator: Any, root: Path, group: str) -> dict[str, Any]:
    run = cli(emulator, "provision", root, "--resource-group", group, "--location", "westus3", "--yes")
    assert run.returncode == 0, run.stderr
    return last_json(run.stdout)["config"]


def share_tree(directory: Path, folder: str = "inference") -> dict[str, bytes]:
    """What the share holds of `folder`: the newest release's files (read from the content store, each checked
    against its hash), or, for an app deployed in place, the folder itself."""
    import hashlib
    import json

    manifests = sorted((directory / ".aca-inference" / "releases").glob("*.json"))
    if not manifests:
        base = directory / folder
        return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}
    files = json.loads(manifests[-1].read_text())["files"]
    tree = {}
    for path, entry in sorted(files.items()):
        if path.split("/", 1)[0] == folder:
            data = (directory / ".aca-inference" / "objects" / entry["sha256"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{path}: its content on the share is damaged"
            tree[path] = data
    return tree


def local_tree(root: Path, folder: str = "inference") -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / folder).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def no_traceback(run: subprocess.CompletedProcess[str]) -> str:
    output = run.stdout + run.stderr
    assert "Traceback" not in output, output
    assert "Unexpected error" not in output, output
    return output


def flat(text: str) -> str:
    """The terminal reporter wraps long lines: compare messages with whitespace collapsed."""
    return re.sub(r"\s+", " ", text)


def restore_permissions(root: Path) -> None:
    subprocess.run(["chmod", "-R", "u+rwX", str(root)], check=False)


def inject(emulator: Any, **spec: Any) -> dict[str, Any]:
    """Add one fault through the emulator's admin route, exactly as given (`status: None` = no error status)."""
    import json
    import ssl
    import urllib.request

    request = urllib.request.Request(f"{emulator.management_endpoint}/_emulator/faults", method="POST",
                                     data=json.dumps(spec).encode(), headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=str(emulator.ca_path))
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return dict(json.loads(response.read()))
