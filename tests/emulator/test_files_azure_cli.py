"""Azure Files data plane through a second real client: azure-cli (`az storage ...`), as users and the sync
benchmark's baseline drive it. Runs where azure-cli is installed in its own venv (bench/sync_bench.py
--install-az puts it in .cache/bench/az-venv, or set ACA_BENCH_AZ_VENV); skipped elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.sync.files_endpoint import FilesEndpoint

REPO = Path(__file__).resolve().parents[2]
AZ = Path(os.environ.get("ACA_BENCH_AZ_VENV", REPO / ".cache" / "bench" / "az-venv")) / "bin" / "az"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not AZ.exists(), reason=f"azure-cli not installed at {AZ}")]


def az(files: FilesEndpoint, tmp_path: Path, *args: str) -> str:
    connection = (f"DefaultEndpointsProtocol=https;AccountName={files.account};AccountKey={files.key};"
                  f"FileEndpoint={files.account_url};")
    env = {**os.environ, "AZURE_CONFIG_DIR": str(tmp_path / "az-config"), "AZURE_CORE_COLLECT_TELEMETRY": "no",
           "REQUESTS_CA_BUNDLE": files.ca_path, "AZURE_STORAGE_CONNECTION_STRING": connection}
    done = subprocess.run([str(AZ), *args], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_cli_upload_batch_list_and_download_batch_round_trip(files: FilesEndpoint, tmp_path: Path) -> None:
    source = tmp_path / "source"
    content = {"app.py": b"print('hi')\n", "pkg/deep/module.py": os.urandom(3000), "big.bin": os.urandom(9 * 2**20)}
    for name, data in content.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)

    az(files, tmp_path, "storage", "share", "create", "--name", "cli-share", "--output", "none")
    az(files, tmp_path, "storage", "file", "upload-batch", "--destination", "cli-share", "--source", str(source),
       "--destination-path", "inference", "--max-connections", "4", "--output", "none")
    on_disk = files.share_dir("cli-share") / "inference"
    assert {p.relative_to(on_disk).as_posix(): p.read_bytes() for p in on_disk.rglob("*") if p.is_file()} == content

    listed = json.loads(az(files, tmp_path, "storage", "file", "list", "--share-name", "cli-share", "--path",
                           "inference", "--output", "json"))
    assert {entry["name"] for entry in listed} == {"app.py", "pkg", "big.bin"}

    target = tmp_path / "downloaded"
    target.mkdir()
    az(files, tmp_path, "storage", "file", "download-batch", "--source", "cli-share", "--destination", str(target),
       "--output", "none")
    assert (target / "inference" / "big.bin").read_bytes() == content["big.bin"]
    assert (target / "inference" / "pkg" / "deep" / "module.py").read_bytes() == content["pkg/deep/module.py"]
