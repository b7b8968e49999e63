"""File and share leases through the official client, sync and async: a lease keeps writers without its id
out, and its holder can release, change or break it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import ShareClient, ShareLeaseClient, ShareServiceClient

from tests.emulator.files_shares import new_share
from tests.sync.files_endpoint import FilesEndpoint, create_account


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    return new_share(files, request, "lease")


def _refused(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpResponseError) as raised:
        call()
    code = raised.value.error_code
    return raised.value.status_code, str(getattr(code, "value", code))


def test_a_leased_file_refuses_writers_without_the_lease(share: ShareClient) -> None:
    file = share.get_file_client("locked.txt")
    file.upload_file(b"original")
    lease = file.acquire_lease()
    props = file.get_file_properties()
    assert (props.lease.state, props.lease.status, props.lease.duration) == ("leased", "locked", "infinite")
    assert _refused(lambda: file.upload_range(b"X", offset=0, length=1)) == (412, "LeaseIdMissing")
    assert _refused(file.delete_file) == (412, "LeaseIdMissing")
    other = str(uuid.uuid4())
    assert _refused(lambda: file.set_file_metadata({"a": "b"}, lease=other)) == (412, "LeaseIdMismatchWithFileOperation")
    file.upload_range(b"O", offset=0, length=1, lease=lease)  # the holder writes
    assert file.download_file().readall() == b"Original"  # reads need no lease
    file.upload_file(b"replaced", lease=lease)
    assert file.get_file_properties().lease.state == "leased"  # replacing the bytes keeps the lease
    lease.release()
    file.delete_file()
    assert not file.exists()


def test_a_second_acquire_is_refused_and_change_and_break_work(share: ShareClient) -> None:
    file = share.get_file_client("f.txt")
    file.create_file(1)
    lease = file.acquire_lease()
    assert _refused(lambda: file.acquire_lease(lease_id=str(uuid.uuid4()))) == (409, "LeaseAlreadyPresent")
    new_id = str(uuid.uuid4())
    lease.change(new_id)
    assert lease.id == new_id
    assert _refused(lambda: file.resize_file(10)) == (412, "LeaseIdMissing")
    ShareLeaseClient(file).break_lease()
    assert file.get_file_properties().lease.state == "broken"
    file.resize_file(10)  # a broken lease guards nothing
    stranger = ShareLeaseClient(file, lease_id=str(uuid.uuid4()))
    assert _refused(stranger.release) == (409, "LeaseIdMismatchWithLeaseOperation")


def test_renaming_a_leased_file_needs_its_lease(share: ShareClient) -> None:
    file = share.get_file_client("src.txt")
    file.upload_file(b"s")
    lease = file.acquire_lease()
    assert _refused(lambda: file.rename_file("dst.txt"))[0] == 412
    renamed = file.rename_file("dst.txt", source_lease=lease)
    assert renamed.download_file().readall() == b"s"


def test_a_leased_share_can_be_deleted_only_by_its_holder(files: FilesEndpoint, share: ShareClient) -> None:
    lease = share.acquire_lease(lease_duration=15)
    assert share.get_share_properties().lease.state == "leased"
    assert _refused(share.delete_share) == (412, "LeaseIdMissing")
    lease.renew()
    service = ShareServiceClient(files.account_url, credential=files.credential, connection_verify=files.ca_path)
    listed = next(item for item in service.list_shares() if item.name == share.share_name)
    assert (listed.lease.state, listed.lease.duration) == ("leased", "fixed")
    share.set_share_metadata({"still": "writable"})  # other share writes need no lease id
    share.delete_share(lease=lease)


async def test_the_async_client_leases_files(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareClient as AsyncShareClient

    async with AsyncShareClient(files.account_url, share.share_name, credential=files.credential,
                                connection_verify=files.ca_path, retry_total=0) as client:
        file = client.get_file_client("a.txt")
        await file.upload_file(b"a")
        lease = await file.acquire_lease()
        with pytest.raises(HttpResponseError) as raised:
            await file.upload_range(b"b", offset=0, length=1)
        assert raised.value.status_code == 412
        await file.upload_range(b"b", offset=0, length=1, lease=lease)
        await lease.release()
        assert (await file.get_file_properties()).lease.state == "available"


def test_a_leased_file_stays_guarded_when_its_directory_is_renamed(share: ShareClient) -> None:
    share.create_directory("old")
    file = share.get_file_client("old/held.txt")
    file.upload_file(b"h")
    file.acquire_lease()
    share.get_directory_client("old").rename_directory("new")
    moved = share.get_file_client("new/held.txt")
    assert moved.get_file_properties().lease.state == "leased"
    assert _refused(lambda: moved.upload_range(b"x", offset=0, length=1)) == (412, "LeaseIdMissing")


def test_a_lease_outlives_an_emulator_restart(tmp_path: Any) -> None:
    from aca_emulator.testing import running_emulator

    with running_emulator(tmp_path, time_scale=0.001) as info:
        files = create_account(info)
        file = ShareClient(files.account_url, "kept", credential=files.credential, connection_verify=files.ca_path,
                           retry_total=0)
        file.create_share()
        file.get_file_client("f.txt").upload_file(b"f")
        file.get_file_client("f.txt").acquire_lease()
    with running_emulator(tmp_path, time_scale=0.001) as info:
        client = ShareClient(f"{info.files_endpoint}/{files.account}", "kept", credential=files.credential,
                             connection_verify=info.ca_path, retry_total=0).get_file_client("f.txt")
        assert _refused(client.delete_file) == (412, "LeaseIdMissing")


def test_a_share_lease_broken_with_a_period_keeps_guarding_until_it_ends(share: ShareClient) -> None:
    lease = share.acquire_lease(lease_duration=-1)
    lease.break_lease(lease_break_period=30)
    assert share.get_share_properties().lease.state == "breaking"
    assert _refused(share.delete_share) == (412, "LeaseIdMissing")
    assert _refused(lambda: lease.change(str(uuid.uuid4())))[1] == "LeaseIsBreakingAndCannotBeChanged"
    lease.break_lease(lease_break_period=0)
    assert share.get_share_properties().lease.state == "broken"
    share.delete_share()
