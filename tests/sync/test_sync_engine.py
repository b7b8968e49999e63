"""The sync engine against the Files data plane: incremental, safe, fast where it counts."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import anyio
import pytest

from aca_inference.errors import Cancelled, InputError, OperationFailed
from aca_inference.sync import sync_to_share
from tests.sync.conftest import SentRequests, local_tree, share_tree, write_tree
from tests.sync.files_endpoint import FilesEndpoint

MiB = 1024 * 1024


def make_app(root: Path, count: int = 30) -> None:
    tree: dict[str, bytes | str] = {"inference/app.py": "print('serving')\n", "inference/requirements.txt": "fastapi\n"}
    for i in range(count):
        tree[f"inference/pkg/mod{i // 10}/file{i}.py"] = os.urandom(500 + i)
    write_tree(root, tree)


async def sync(share: Any, root: Path, **options: Any):
    return await sync_to_share(share, root, cache_dir=root.parent / f"{root.name}-cache", **options)


def manifest_of(files: FilesEndpoint, share: Any) -> dict[str, Any]:
    return json.loads((files.share_dir(share.share_name) / ".aca-inference" / "manifest.json").read_text())


def assert_manifest_truthful(files: FilesEndpoint, share: Any) -> None:
    """Every entry not marked pending describes exactly the bytes on the share."""
    directory = files.share_dir(share.share_name)
    for path, entry in manifest_of(files, share)["files"].items():
        if entry["pending"]:
            continue
        data = (directory / path).read_bytes()
        assert len(data) == entry["size"], path
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], path


async def test_first_sync_uploads_every_selected_file_byte_identical(tmp_path: Path, files: FilesEndpoint,
                                                                      share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    write_tree(root, {"inference/.gitignore": "*.log\n", "inference/debug.log": "noise", "infra/x.json": "{}"})
    result = await sync(share, root)
    assert result.first_sync
    assert result.files_uploaded == 32  # 30 modules, app.py, requirements.txt; not .gitignore nor the log
    on_share = share_tree(files.share_dir(share.share_name))
    assert on_share == {k: v for k, v in local_tree(root).items() if not k.endswith((".log", ".gitignore"))}
    assert_manifest_truthful(files, share)


async def test_redeploy_without_changes_uploads_nothing_in_at_most_3_requests(tmp_path: Path, files: FilesEndpoint,
                                                                             share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root, count=1000)
    await sync(share, root)
    before = files.last_request()
    result = await sync(share, root)
    answered = files.requests_since(before)  # the emulator's own request log
    assert result.files_uploaded == 0 and result.files_deleted == 0
    assert result.files_unchanged == 1002
    assert len(answered) <= 3
    assert not [r for r in answered if r["method"] != "GET"]
    assert result.requests_sent == len(answered)


async def test_one_changed_file_uploads_only_that_file(tmp_path: Path, files: FilesEndpoint, share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    await sync(share, root)
    (root / "inference" / "app.py").write_text("print('new code')\n")
    before = files.last_request()
    result = await sync(share, root)
    assert result.files_uploaded == 1
    assert result.bytes_uploaded == len("print('new code')\n")
    uploads = [r["path"] for r in files.requests_since(before)
               if r["method"] == "PUT" and ".aca-inference" not in r["path"] and "restype" not in r["query"]]
    assert uploads == [f"/{files.account}/{share.share_name}/inference/app.py"]
    assert (files.share_dir(share.share_name) / "inference/app.py").read_text() == "print('new code')\n"
    assert_manifest_truthful(files, share)


async def test_touched_but_unchanged_file_is_hashed_not_uploaded(tmp_path: Path, share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    await sync(share, root)
    path = root / "inference" / "app.py"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    result = await sync(share, root)
    assert result.files_uploaded == 0
    assert result.requests_sent == 1


async def test_hash_cache_trusts_size_and_mtime_so_unchanged_files_are_not_reread(tmp_path: Path, share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    path = root / "inference" / "app.py"
    old = path.stat()
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns - 10 * 10**9))  # older than the racy window
    await sync(share, root)
    # Same size, same mtime, different bytes: only a re-read would notice - the cache spares that read.
    stamp = path.stat()
    path.write_text(path.read_text().upper())
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    result = await sync(share, root)
    assert result.files_uploaded == 0


async def test_deleted_local_file_is_removed_from_the_share(tmp_path: Path, files: FilesEndpoint, share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    await sync(share, root)
    (root / "inference" / "pkg" / "mod0" / "file3.py").unlink()
    result = await sync(share, root)
    assert result.files_deleted == 1
    assert not (files.share_dir(share.share_name) / "inference/pkg/mod0/file3.py").exists()
    assert "inference/pkg/mod0/file3.py" not in manifest_of(files, share)["files"]


async def test_removed_local_folder_is_removed_with_its_empty_directories(tmp_path: Path, files: FilesEndpoint,
                                                                         share: Any) -> None:
    import shutil

    root = tmp_path / "ws"
    make_app(root)
    await sync(share, root)
    shutil.rmtree(root / "inference" / "pkg" / "mod1")
    result = await sync(share, root)
    assert result.files_deleted == 10
    assert not (files.share_dir(share.share_name) / "inference/pkg/mod1").exists()
    assert (files.share_dir(share.share_name) / "inference/pkg/mod0").is_dir()


async def test_files_we_did_not_upload_are_never_deleted(tmp_path: Path, files: FilesEndpoint, share: Any) -> None:
    directory = files.share_dir(share.share_name)
    job_outputs = {"model-cache/org/base/model.safetensors": b"base", "models/adapter/adapter_model.safetensors": b"lora",
                   "models/checkpoint-100/state.pt": b"ckpt", "inference/written-by-app.log": b"app output"}
    write_tree(directory, job_outputs)
    root = tmp_path / "ws"
    make_app(root)
    await sync(share, root)
    shutil_tree = root / "inference" / "pkg"
    import shutil

    shutil.rmtree(shutil_tree)
    await sync(share, root)
    for path, content in job_outputs.items():
        assert (directory / path).read_bytes() == content, path


async def test_files_no_longer_selected_are_removed(tmp_path: Path, files: FilesEndpoint, share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    write_tree(root, {"inference/notes.txt": "draft"})
    await sync(share, root)
    write_tree(root, {".acainferenceignore": "*.txt\n"})
    result = await sync(share, root)
    assert result.files_deleted == 2  # notes.txt and requirements.txt
    assert not (files.share_dir(share.share_name) / "inference/notes.txt").exists()


async def test_large_file_goes_in_parallel_4_mib_ranges_with_content_md5(tmp_path: Path, files: FilesEndpoint,
                                                                          share: Any, sent: SentRequests) -> None:
    root = tmp_path / "ws"
    data = os.urandom(20 * MiB + 12345)
    write_tree(root, {"inference/weights.bin": data})
    result = await sync(share, root)
    assert result.bytes_uploaded == len(data)
    assert (files.share_dir(share.share_name) / "inference/weights.bin").read_bytes() == data
    ranges = [headers for method, url, headers in sent.sent if "comp=range" in url]
    assert len(ranges) == 6
    for headers in ranges:
        assert int(headers["Content-Length"]) <= 4 * MiB
        assert headers["Content-MD5"]
    assert manifest_of(files, share)["files"]["inference/weights.bin"]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_ranges_of_zeros_are_not_sent_and_the_file_is_still_identical(tmp_path: Path, files: FilesEndpoint,
                                                                          share: Any, sent: SentRequests) -> None:
    root = tmp_path / "ws"
    data = os.urandom(4 * MiB) + bytes(8 * MiB) + os.urandom(MiB)  # e.g. padding in a weights file
    write_tree(root, {"inference/padded.bin": data})
    await sync(share, root)
    assert len([url for _, url, _ in sent.sent if "comp=range" in url]) == 2
    assert (files.share_dir(share.share_name) / "inference/padded.bin").read_bytes() == data


async def test_file_that_became_a_folder_is_replaced_by_the_folder(tmp_path: Path, files: FilesEndpoint,
                                                                   share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    write_tree(root, {"inference/config": "a file first"})
    await sync(share, root)
    (root / "inference" / "config").unlink()
    write_tree(root, {"inference/config/settings.json": "{}"})
    await sync(share, root)
    assert share_tree(files.share_dir(share.share_name)) == local_tree(root)


async def test_small_files_take_one_request_each_with_content_md5(tmp_path: Path, share: Any,
                                                                  sent: SentRequests) -> None:
    root = tmp_path / "ws"
    make_app(root, count=50)
    await sync(share, root)
    file_puts = [h for m, url, h in sent.sent if m == "PUT" and "/inference/" in url and "restype" not in url]
    assert len(file_puts) == 52
    assert all(h.get("Content-MD5") for h in file_puts)
    directory_creates = [url for m, url, _ in sent.sent if "restype=directory" in url]
    assert len(directory_creates) == len(set(directory_creates))  # each folder created once


async def test_progress_reports_files_and_bytes_up_to_the_totals(tmp_path: Path, share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    write_tree(root, {"inference/big.bin": os.urandom(9 * MiB)})
    reports: list[tuple[int, int, int, int]] = []
    await sync(share, root, on_progress=lambda *values: reports.append(values))
    files_done, files_total, bytes_done, bytes_total = reports[-1]
    assert files_done == files_total == 33
    assert bytes_done == bytes_total == sum(len(v) for v in local_tree(root).values())


async def test_sync_with_10_percent_failed_requests_still_makes_the_share_identical(tmp_path: Path,
                                                                                     files: FilesEndpoint,
                                                                                     share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root, count=150)
    write_tree(root, {"inference/weights.bin": os.urandom(10 * MiB)})
    # About 10 % of this share's requests fail: 500, 503, connection dropped before or in the middle of the answer.
    scope = f"/{files.account}/{share.share_name}"
    for fault in ({"status": 500}, {"status": 503}, {"drop": "before"}, {"drop": "mid-body"}):
        files.add_fault(path=scope, rate=0.026, **fault)
    before = files.last_request()
    await sync(share, root)
    (root / "inference" / "app.py").write_text("changed under faults")
    (root / "inference" / "pkg" / "mod0" / "file1.py").unlink()
    await sync(share, root)
    faulted = [r for r in files.requests_since(before) if r.get("fault")]
    files.clear_faults()
    assert len(faulted) > 5
    assert share_tree(files.share_dir(share.share_name)) == local_tree(root)
    assert_manifest_truthful(files, share)
    assert not any(entry["pending"] for entry in manifest_of(files, share)["files"].values())


async def test_a_file_that_keeps_failing_is_named_in_one_error_and_a_rerun_finishes(tmp_path: Path,
                                                                                    files: FilesEndpoint,
                                                                                    share: Any) -> None:
    from azure.storage.fileshare.aio import ShareClient

    root = tmp_path / "ws"
    make_app(root)
    files.add_fault(path=f"/{share.share_name}/inference/app.py", status=500, rate=1.0)
    async with ShareClient(files.account_url, share.share_name, credential=files.credential,
                           connection_verify=files.ca_path, retry_total=1, initial_backoff=0.01, increment_base=0.01,
                           random_jitter_range=0) as impatient:
        with pytest.raises(OperationFailed, match=r"1 file\(s\) could not be synced .*inference/app.py \(500"):
            await sync(impatient, root)
    files.clear_faults()
    assert_manifest_truthful(files, share)
    assert len(share_tree(files.share_dir(share.share_name))) == 31  # everything else arrived
    result = await sync(share, root)
    assert result.files_uploaded == 1
    assert share_tree(files.share_dir(share.share_name)) == local_tree(root)


async def test_cancelled_sync_leaves_a_truthful_manifest_and_a_rerun_finishes(tmp_path: Path, files: FilesEndpoint,
                                                                              share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root, count=200)
    write_tree(root, {"inference/weights.bin": os.urandom(12 * MiB)})
    seen: list[int] = []
    with pytest.raises(Cancelled, match="deploy again"):
        await sync(share, root, on_progress=lambda files_done, *_: seen.append(files_done),
                   is_cancelled=lambda: bool(seen) and seen[-1] >= 40, concurrency=4)
    manifest = manifest_of(files, share)["files"]
    verified = [path for path, entry in manifest.items() if not entry["pending"]]
    assert 0 < len(verified) < 203  # 200 modules, app.py, requirements.txt, weights.bin
    assert_manifest_truthful(files, share)
    result = await sync(share, root)
    assert result.files_uploaded == 203 - len(verified)
    assert share_tree(files.share_dir(share.share_name)) == local_tree(root)
    assert not any(entry["pending"] for entry in manifest_of(files, share)["files"].values())


async def test_hard_cancellation_still_records_what_was_uploaded(tmp_path: Path, files: FilesEndpoint,
                                                                 share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root, count=300)
    on_share = files.share_dir(share.share_name) / "inference" / "pkg"
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: sync(share, root, concurrency=2))
        # Cancelled once uploads have begun (not after a fixed time: on a loaded machine the scan alone can
        # outlast one), so the manifest must account for files that are on the share and others still in flight.
        with anyio.fail_after(60):
            while not (on_share.is_dir() and any(on_share.rglob("*.py"))):
                await anyio.sleep(0.005)
        group.cancel_scope.cancel()
    assert_manifest_truthful(files, share)
    assert len(share_tree(files.share_dir(share.share_name))) < 302  # cancelled mid-way, not after the end
    await sync(share, root)
    assert share_tree(files.share_dir(share.share_name)) == local_tree(root)


async def test_folder_removed_on_the_share_is_created_again(tmp_path: Path, files: FilesEndpoint, share: Any) -> None:
    import shutil

    root = tmp_path / "ws"
    make_app(root)
    await sync(share, root)
    shutil.rmtree(files.share_dir(share.share_name) / "inference" / "pkg")
    (root / "inference" / "pkg" / "mod2" / "file25.py").write_text("changed")
    await sync(share, root)
    assert (files.share_dir(share.share_name) / "inference/pkg/mod2/file25.py").read_text() == "changed"


async def test_damaged_manifest_reuploads_and_deletes_nothing(tmp_path: Path, files: FilesEndpoint, share: Any) -> None:
    root = tmp_path / "ws"
    make_app(root)
    await sync(share, root)
    (files.share_dir(share.share_name) / ".aca-inference" / "manifest.json").write_text("{not json")
    (root / "inference" / "requirements.txt").unlink()
    result = await sync(share, root)
    assert result.files_deleted == 0
    assert result.files_uploaded == 31
    assert (files.share_dir(share.share_name) / "inference/requirements.txt").exists()


async def test_missing_share_is_one_clear_error(tmp_path: Path, files: FilesEndpoint) -> None:
    from azure.storage.fileshare.aio import ShareClient

    root = tmp_path / "ws"
    make_app(root)
    async with ShareClient(files.account_url, "no-such-share", credential=files.credential,
                           connection_verify=files.ca_path) as client:
        # A share the config names but that is not there is bad input (exit 2), like a wrong account or app name.
        with pytest.raises(InputError, match="FILE_SHARE_NAME: the file share 'no-such-share' does not exist .* run "
                                             "provision"):
            await sync(client, root)


async def test_wrong_account_key_is_one_clear_error_without_the_key(tmp_path: Path, files: FilesEndpoint,
                                                                    share: Any) -> None:
    import base64

    from azure.storage.fileshare.aio import ShareClient

    root = tmp_path / "ws"
    make_app(root)
    wrong = base64.b64encode(os.urandom(64)).decode()
    async with ShareClient(files.account_url, share.share_name, connection_verify=files.ca_path, retry_total=0,
                           credential={"account_name": files.account, "account_key": wrong}) as client:
        with pytest.raises(OperationFailed, match="refused the request") as raised:
            await sync(client, root)
    assert wrong not in str(raised.value)
