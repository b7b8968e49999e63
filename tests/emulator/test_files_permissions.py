"""File permissions (Create/Get Permission, SDDL and binary) and SMB properties kept as sent, through the
official client, sync and async."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import ContentSettings, NTFSAttributes, ShareClient

from tests.emulator.files_shares import new_share
from tests.sync.files_endpoint import FilesEndpoint

SDDL = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;;0x1200a9;;;S-1-5-21-397955417-626881126-188441444-512)"


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    return new_share(files, request, "perm")


def test_a_created_permission_reads_back_by_its_key(share: ShareClient) -> None:
    key = share.create_permission_for_share(SDDL)
    assert "*" in key
    assert share.get_permission_for_share(key) == SDDL
    assert share.create_permission_for_share(SDDL) == key  # the same descriptor keeps its key


def test_a_permission_reads_back_in_binary_and_creates_from_binary(share: ShareClient) -> None:
    key = share.create_permission_for_share(SDDL)
    binary = share.get_permission_for_share(key, file_permission_format="binary")
    descriptor = base64.b64decode(binary)
    assert descriptor[0] == 1 and descriptor[3] & 0x80  # revision 1, self-relative
    # create_permission_for_share cannot send the format (the SDK passes it to the transport); Create File can.
    file = share.get_file_client("from-binary.txt")
    file.create_file(1, file_permission=binary, file_permission_format="binary")
    assert file.get_file_properties().permission_key == key


def test_the_services_own_sddl_and_binary_name_one_permission(share: ShareClient) -> None:
    from tests.emulator.test_files_sddl import SERVICE_BINARY, SERVICE_SDDL

    key = share.create_permission_for_share(SERVICE_SDDL)
    assert share.get_permission_for_share(key, file_permission_format="binary") == SERVICE_BINARY
    file = share.get_file_client("service-pair.txt")
    file.create_file(1, file_permission=SERVICE_BINARY, file_permission_format="binary")
    assert file.get_file_properties().permission_key == key


def test_an_invalid_permission_answers_400_file_invalid_permission(share: ShareClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        share.create_permission_for_share("not a security descriptor")
    assert raised.value.status_code == 400
    assert str(getattr(raised.value.error_code, "value", raised.value.error_code)) == "FileInvalidPermission"


def test_an_unknown_permission_key_answers_404(share: ShareClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        share.get_permission_for_share("123*456")
    assert raised.value.status_code == 404


def test_a_file_created_with_a_permission_carries_its_key(share: ShareClient) -> None:
    file = share.get_file_client("secured.txt")
    file.create_file(4, file_permission=SDDL)
    key = file.get_file_properties().permission_key
    assert share.get_permission_for_share(key).startswith("O:BAG:SYD:PAI")


def test_smb_properties_are_kept_as_sent_on_create_and_listed(share: ShareClient) -> None:
    created = datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    written = datetime(2022, 6, 7, 8, 9, 10, tzinfo=UTC)
    changed = datetime(2023, 9, 10, 11, 12, 13, tzinfo=UTC)
    key = share.create_permission_for_share(SDDL)
    file = share.get_file_client("stamped.bin")
    file.create_file(10, file_attributes=NTFSAttributes(read_only=True, archive=True), file_creation_time=created,
                     file_last_write_time=written, file_change_time=changed, permission_key=key)
    props = file.get_file_properties()
    assert props.creation_time.replace(tzinfo=UTC) == created
    assert props.last_write_time.replace(tzinfo=UTC) == written
    assert props.change_time.replace(tzinfo=UTC) == changed
    assert props.permission_key == key
    assert "ReadOnly" in str(props.file_attributes)
    listed = next(iter(share.list_directories_and_files(include=["timestamps", "Attributes", "PermissionKey"])))
    assert listed["permission_key"] == key
    assert str(listed["change_time"]).startswith("2023-09-10")  # listings hand the time over as the service wrote it


def test_set_properties_keeps_the_smb_properties_it_is_given(share: ShareClient) -> None:
    share.create_directory("dir")
    directory = share.get_directory_client("dir")
    changed = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    written = datetime(2018, 2, 3, 4, 5, 6, tzinfo=UTC)
    directory.set_http_headers(file_attributes="Directory|Hidden", file_change_time=changed, file_permission=SDDL,
                               file_last_write_time=written)
    props = directory.get_directory_properties()
    assert "Hidden" in str(props.file_attributes)
    assert props.change_time.replace(tzinfo=UTC) == changed
    assert props.last_write_time.replace(tzinfo=UTC) == written
    assert share.get_permission_for_share(props.permission_key).startswith("O:BAG:SY")
    file = share.get_file_client("dir/f.txt")
    file.upload_file(b"f")
    written = datetime(2019, 5, 6, 7, 8, 9, tzinfo=UTC)  # after the upload, which moved the directory's own time
    file.set_http_headers(ContentSettings(content_type="text/plain"), file_last_write_time=written)
    assert file.get_file_properties().last_write_time.replace(tzinfo=UTC) == written


def test_a_directory_created_with_times_keeps_them(share: ShareClient) -> None:
    created = datetime(2015, 1, 1, tzinfo=UTC)
    written = datetime(2016, 1, 1, tzinfo=UTC)
    share.get_directory_client("dated").create_directory(file_creation_time=created, file_last_write_time=written)
    props = share.get_directory_client("dated").get_directory_properties()
    assert (props.creation_time.replace(tzinfo=UTC), props.last_write_time.replace(tzinfo=UTC)) == (created, written)


async def test_the_async_client_creates_and_reads_permissions(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareClient as AsyncShareClient

    async with AsyncShareClient(files.account_url, share.share_name, credential=files.credential,
                                connection_verify=files.ca_path) as client:
        key = await client.create_permission_for_share(SDDL)
        assert (await client.get_permission_for_share(key)).startswith("O:BAG:SYD:PAI")
        file = client.get_file_client("a.txt")
        await file.create_file(1, permission_key=key, file_attributes="ReadOnly")
        props = await file.get_file_properties()
        assert props.permission_key == key
        with pytest.raises(HttpResponseError):
            await client.create_permission_for_share("D:(X;;;;;)")
