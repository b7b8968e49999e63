"""How much of the official `azure-storage-file-share` client works against the emulator's Files data plane.

One call per public, network-touching method of ShareServiceClient, ShareClient, ShareDirectoryClient and
ShareFileClient (typical arguments), plus the shared-access-signature round trips a user does most, each run
with the sync client and again with the async one (`.aio`). A call counts as working when the client returns
without raising; every failure is listed with the service's error code (or the exception) so the figure can be
read, not just counted.

Abort Copy counts as working when it answers 409 NoPendingCopyOperation: the emulator's copies finish before
Copy File answers (as the service's same-account copies do), and that is the service's answer for a finished one.

Methods left out of the list: `close`, `from_*` and `get_*_client` (no request); `get_user_delegation_key`
(needs an Entra ID token credential, not an account key).

    python bench/files_fidelity.py [--credential key|sas]
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "server"), str(REPO), str(REPO / "bench")]

Op = Callable[[dict[str, Any]], Any]


def _bare(url: str) -> str:
    """A client's URL without the SAS it may carry, to put another SAS on it."""
    return url.split("?", 1)[0]


def _ops() -> list[tuple[str, Op]]:
    """(name, call): `c` holds service/share/dir/file clients, a fresh name per op, and the SDK module."""
    from azure.storage.fileshare import (
        AccessPolicy,
        AccountSasPermissions,
        ContentSettings,
        FileSasPermissions,
        Metrics,
        ResourceTypes,
        ShareSasPermissions,
        generate_account_sas,
        generate_file_sas,
        generate_share_sas,
    )

    soon = datetime.now(UTC) + timedelta(hours=1)

    def file_sas(c: dict[str, Any]) -> str:
        return generate_file_sas(c["account"], c["share"].share_name, ["d", "f.bin"], account_key=c["key"],
                                 permission=FileSasPermissions(read=True), expiry=soon)

    def sas_client(c: dict[str, Any], kind: str, url: str, credential: str) -> Any:
        return getattr(c["mod"], kind).from_file_url(url, credential=credential, connection_verify=c["ca"]) \
            if kind == "ShareFileClient" else getattr(c["mod"], kind)(url, credential=credential,
                                                                      connection_verify=c["ca"])

    return [
        ("ShareServiceClient.list_shares", lambda c: c["service"].list_shares(include_metadata=True)),
        ("ShareServiceClient.create_share", lambda c: c["service"].create_share(c["name"])),
        ("ShareServiceClient.delete_share", lambda c: c["service"].delete_share(c["share"].share_name)),
        ("ShareServiceClient.get_service_properties", lambda c: c["service"].get_service_properties()),
        ("ShareServiceClient.set_service_properties",
         lambda c: c["service"].set_service_properties(hour_metrics=Metrics(enabled=False))),
        ("ShareServiceClient.undelete_share", lambda c: c["service"].undelete_share(c["share"].share_name, "01D000")),
        ("ShareClient.create_share", lambda c: c["service"].get_share_client(c["name"]).create_share(quota=5)),
        ("ShareClient.delete_share", lambda c: c["share"].delete_share()),
        ("ShareClient.get_share_properties", lambda c: c["share"].get_share_properties()),
        ("ShareClient.set_share_metadata", lambda c: c["share"].set_share_metadata({"a": "1"})),
        ("ShareClient.set_share_quota", lambda c: c["share"].set_share_quota(7)),
        ("ShareClient.set_share_properties", lambda c: c["share"].set_share_properties(access_tier="Hot")),
        ("ShareClient.get_share_access_policy", lambda c: c["share"].get_share_access_policy()),
        ("ShareClient.set_share_access_policy", lambda c: c["share"].set_share_access_policy(
            {"read": AccessPolicy(permission=ShareSasPermissions(read=True), expiry=soon, start=None)})),
        ("ShareClient.get_share_stats", lambda c: c["share"].get_share_stats()),
        ("ShareClient.create_permission_for_share",
         lambda c: c["share"].create_permission_for_share("O:BAG:SYD:(A;;FA;;;SY)")),
        ("ShareClient.get_permission_for_share", lambda c: c["share"].get_permission_for_share(c["key_of_perm"])),
        ("ShareClient.create_directory", lambda c: c["share"].create_directory(c["name"])),
        ("ShareClient.delete_directory", lambda c: c["share"].delete_directory("empty")),
        ("ShareClient.list_directories_and_files", lambda c: c["share"].list_directories_and_files()),
        ("ShareClient.create_snapshot", lambda c: c["share"].create_snapshot()),
        ("ShareClient.acquire_lease", lambda c: c["share"].acquire_lease()),
        ("ShareDirectoryClient.create_directory", lambda c: c["share"].get_directory_client(c["name"]).create_directory()),
        ("ShareDirectoryClient.delete_directory", lambda c: c["share"].get_directory_client("empty").delete_directory()),
        ("ShareDirectoryClient.exists", lambda c: c["dir"].exists()),
        ("ShareDirectoryClient.get_directory_properties", lambda c: c["dir"].get_directory_properties()),
        ("ShareDirectoryClient.set_directory_metadata", lambda c: c["dir"].set_directory_metadata({"k": "v"})),
        ("ShareDirectoryClient.set_http_headers", lambda c: c["dir"].set_http_headers(file_attributes="Directory")),
        ("ShareDirectoryClient.list_directories_and_files",
         lambda c: c["dir"].list_directories_and_files(include=["timestamps", "Etag", "Attributes", "PermissionKey"],
                                                       include_extended_info=True)),
        ("ShareDirectoryClient.create_subdirectory", lambda c: c["dir"].create_subdirectory(c["name"])),
        ("ShareDirectoryClient.delete_subdirectory", lambda c: c["share"].get_directory_client("").delete_subdirectory("empty")),
        ("ShareDirectoryClient.upload_file", lambda c: c["dir"].upload_file(c["name"], b"data")),
        ("ShareDirectoryClient.delete_file", lambda c: c["dir"].delete_file("f.bin")),
        ("ShareDirectoryClient.rename_directory", lambda c: c["share"].get_directory_client("empty").rename_directory(c["name"])),
        ("ShareDirectoryClient.list_handles", lambda c: c["dir"].list_handles()),
        ("ShareDirectoryClient.close_all_handles", lambda c: c["dir"].close_all_handles()),
        ("ShareFileClient.create_file", lambda c: c["dir"].get_file_client(c["name"]).create_file(100)),
        ("ShareFileClient.upload_file", lambda c: c["dir"].get_file_client(c["name"]).upload_file(b"x" * 1000)),
        ("ShareFileClient.download_file", lambda c: c["file"].download_file()),
        ("ShareFileClient.delete_file", lambda c: c["file"].delete_file()),
        ("ShareFileClient.exists", lambda c: c["file"].exists()),
        ("ShareFileClient.get_file_properties", lambda c: c["file"].get_file_properties()),
        ("ShareFileClient.set_http_headers",
         lambda c: c["file"].set_http_headers(ContentSettings(content_type="text/plain"))),
        ("ShareFileClient.set_file_metadata", lambda c: c["file"].set_file_metadata({"k": "v"})),
        ("ShareFileClient.resize_file", lambda c: c["file"].resize_file(2048)),
        ("ShareFileClient.upload_range", lambda c: c["file"].upload_range(b"y" * 512, offset=0, length=512)),
        ("ShareFileClient.clear_range", lambda c: c["file"].clear_range(offset=0, length=512)),
        ("ShareFileClient.get_ranges", lambda c: c["file"].get_ranges()),
        ("ShareFileClient.list_ranges", lambda c: c["file"].list_ranges()),
        ("ShareFileClient.get_ranges_diff", lambda c: c["file"].get_ranges_diff(previous_sharesnapshot=c["snapshot"])),
        ("ShareFileClient.list_ranges_diff", lambda c: c["file"].list_ranges_diff(previous_sharesnapshot=c["snapshot"])),
        ("ShareFileClient.rename_file", lambda c: c["file"].rename_file(f"d/{c['name']}")),
        ("ShareFileClient.start_copy_from_url",
         lambda c: c["dir"].get_file_client(c["name"]).start_copy_from_url(c["file"].url)),
        ("ShareFileClient.abort_copy", lambda c: c["file"].abort_copy("00000000-0000-0000-0000-000000000000")),
        ("ShareFileClient.upload_range_from_url", lambda c: c["file"].upload_range_from_url(
            _bare(c["file"].url) + "?" + file_sas(c), offset=0, length=512, source_offset=0)),
        ("ShareFileClient.acquire_lease", lambda c: c["file"].acquire_lease()),
        ("ShareFileClient.list_handles", lambda c: c["file"].list_handles()),
        ("ShareFileClient.close_all_handles", lambda c: c["file"].close_all_handles()),
        ("ShareFileClient.create_hardlink", lambda c: c["dir"].get_file_client(c["name"]).create_hardlink("d/f.bin")),
        ("ShareFileClient.create_symlink", lambda c: c["dir"].get_file_client(c["name"]).create_symlink("f.bin")),
        ("ShareFileClient.get_symlink", lambda c: c["file"].get_symlink()),
        ("ShareFileClient trailing dot (allow_trailing_dot=True)",
         lambda c: c["mod"].ShareFileClient(c["service"].url, c["share"].share_name, "d/dot.",
                                                        credential=c["cred"], connection_verify=c["ca"],
                                                        allow_trailing_dot=True).upload_file(b"dot")),
        ("file SAS: ShareFileClient.download_file",
         lambda c: sas_client(c, "ShareFileClient", _bare(c["file"].url), file_sas(c)).download_file()),
        ("share SAS: ShareClient.list_directories_and_files", lambda c: c["mod"].ShareClient.from_share_url(
            f"{_bare(c['share'].url)}?" + generate_share_sas(c["account"], c["share"].share_name, account_key=c["key"],
                                                     permission=ShareSasPermissions(list=True), expiry=soon),
            connection_verify=c["ca"]).list_directories_and_files()),
        ("account SAS: ShareServiceClient.list_shares", lambda c: sas_client(
            c, "ShareServiceClient", c["service"].url, generate_account_sas(
                c["account"], c["key"], ResourceTypes(service=True), AccountSasPermissions(list=True),
                soon)).list_shares()),
    ]


async def _settle(value: Any) -> Any:
    """Run a call to its end: await it, drain pagers, read downloads."""
    if inspect.isawaitable(value):
        value = await value
    if hasattr(value, "__aiter__"):
        return [item async for item in value]
    if hasattr(value, "readall"):
        data = value.readall()
        return await data if inspect.isawaitable(data) else data
    if hasattr(value, "by_page"):
        return list(value)
    return value


def _account_sas(files: Any) -> str:
    """An account SAS allowing everything an account key allows on the File service."""
    from azure.storage.fileshare import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(files.account, files.key, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True),
                                datetime.now(UTC) + timedelta(hours=1))


async def _setup(mod: Any, files: Any, tag: str, credential: str) -> dict[str, Any]:
    """A fresh share with `d/f.bin` (1 KiB), an empty directory `empty`, a permission key and a snapshot name;
    the clients use the account key, or an all-allowing account SAS (`credential="sas"`)."""
    service = mod.ShareServiceClient(files.account_url, connection_verify=files.ca_path, retry_total=0,
                                     credential=files.credential if credential == "key" else _account_sas(files))
    share = service.get_share_client(f"fid-{tag}-{uuid.uuid4().hex[:8]}")
    await _settle(share.create_share())
    directory = share.get_directory_client("d")
    await _settle(directory.create_directory())
    await _settle(share.get_directory_client("empty").create_directory())
    file = directory.get_file_client("f.bin")
    await _settle(file.upload_file(b"z" * 1024))
    try:
        permission_key = await _settle(share.create_permission_for_share("O:BAG:SYD:(A;;FA;;;SY)"))
    except Exception:  # noqa: BLE001 - an emulator without permissions: get_permission then fails on its own
        permission_key = "1234*5678"
    return {"service": service, "share": share, "dir": directory, "file": file, "mod": mod, "ca": files.ca_path,
            "account": files.account, "key": files.key, "cred": files.credential, "key_of_perm": permission_key,
            "snapshot": "2026-01-01T00:00:00.0000000Z", "name": f"n{uuid.uuid4().hex[:8]}"}


def _reason(error: BaseException) -> str:
    code = getattr(error, "error_code", None)
    code = getattr(code, "value", code)
    status = getattr(getattr(error, "response", None), "status_code", None)
    if code or status:
        return f"{status} {code or ''}".strip()
    return f"{type(error).__name__}: {str(error).splitlines()[0][:90] if str(error) else ''}"


async def measure(files: Any, credential: str = "key") -> dict[str, dict[str, str | None]]:
    """{op name: {"sync": None | reason, "async": None | reason}}."""
    import azure.storage.fileshare as sync_mod
    import azure.storage.fileshare.aio as async_mod

    results: dict[str, dict[str, str | None]] = {}
    for flavour, mod in (("sync", sync_mod), ("async", async_mod)):
        for index, (name, call) in enumerate(_ops()):
            try:
                context = await _setup(mod, files, f"{flavour[0]}{index}", credential)
            except Exception as error:  # noqa: BLE001 - a credential the server refuses fails every call
                results.setdefault(name, {})[flavour] = f"setup: {_reason(error)}"
                continue
            try:
                # Sync calls block this loop; the emulator serves from its own thread, so that is fine.
                await _settle(call(context))
                reason = None
            except Exception as error:  # noqa: BLE001 - every failure is a figure, listed with its cause
                reason = _reason(error)
                if name.endswith("abort_copy") and reason == "409 NoPendingCopyOperation":
                    reason = None
            finally:
                for client in ("service", "share", "dir", "file"):
                    closed = context[client].close()
                    if inspect.isawaitable(closed):
                        await closed
            results.setdefault(name, {})[flavour] = reason
    return results


def main() -> None:
    import argparse

    from tests.sync.files_endpoint import create_account

    from aca_emulator.testing import running_emulator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credential", choices=("key", "sas"), default="key",
                        help="account key (default) or an all-allowing account SAS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_emulator(Path(tmp), time_scale=0.001) as info:
        files = create_account(info)
        results = asyncio.run(measure(files, args.credential))
    total = len(results) * 2
    working = sum(reason is None for row in results.values() for reason in row.values())
    print(f"{'operation':60} {'sync':24} {'async':24}")
    for name, row in results.items():
        print(f"{name:60} {(row['sync'] or 'ok')[:24]:24} {(row['async'] or 'ok')[:24]:24}")
    print(f"\nworking: {working}/{total} ({len(results)} operations x sync/async)")
    try:
        from results_file import save_result

        save_result(f"files_fidelity_{args.credential}", {"working": working, "total": total, "results": results})
    except ImportError:
        pass


if __name__ == "__main__":
    main()
