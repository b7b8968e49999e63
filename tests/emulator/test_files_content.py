"""Azure Files data plane: file create, Put Range, Get (ranges), properties, metadata, delete - through the
official SDK, sync and async."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.fileshare import ContentSettings, ShareClient

from tests.sync.files_endpoint import FilesEndpoint, create_account
from tests.sync.signing import signed_headers

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def files(azure: Any) -> FilesEndpoint:
    """A storage account on the module's emulator (tests/emulator/conftest.py), made through ARM."""
    return create_account(azure.info)


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    name = "content-" + request.node.name.replace("_", "-")[5:45].strip("-").lower()
    client = ShareClient(files.account_url, name, credential=files.credential, connection_verify=files.ca_path,
                         retry_total=0)
    client.create_share()
    return client


def test_upload_and_download_are_byte_identical_and_land_on_disk(files: FilesEndpoint, share: ShareClient) -> None:
    data = os.urandom(9 * MiB + 123)  # more than two 4 MiB ranges
    share.get_file_client("big.bin").upload_file(data, max_concurrency=4, validate_content=True)
    assert (files.share_dir(share.share_name) / "big.bin").read_bytes() == data
    assert share.get_file_client("big.bin").download_file(max_concurrency=3).readall() == data


def test_create_file_sets_length_and_replaces_existing_content(files: FilesEndpoint, share: ShareClient) -> None:
    client = share.get_file_client("sized.bin")
    client.upload_file(b"old content")
    client.create_file(1000)
    assert client.get_file_properties().size == 1000
    assert client.download_file().readall() == bytes(1000)


def test_create_file_with_content_in_one_request(files: FilesEndpoint, share: ShareClient) -> None:
    client = share.get_file_client("oneshot.txt")
    client.create_file(5, data=b"hello", validate_content="md5")
    assert (files.share_dir(share.share_name) / "oneshot.txt").read_bytes() == b"hello"


def test_create_file_in_missing_directory_answers_404_parent_not_found(share: ShareClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        share.get_file_client("missing/dir/file.txt").create_file(1)
    assert raised.value.error_code == "ParentNotFound"


def test_create_file_over_a_directory_answers_409(share: ShareClient) -> None:
    share.create_directory("taken")
    with pytest.raises(ResourceExistsError):
        share.get_file_client("taken").create_file(1)


def test_put_range_writes_at_the_offset_only(files: FilesEndpoint, share: ShareClient) -> None:
    client = share.get_file_client("ranges.bin")
    client.create_file(12)
    client.upload_range(b"abcd", offset=4, length=4)
    assert client.download_file().readall() == bytes(4) + b"abcd" + bytes(4)


def test_put_range_clear_zeroes_the_range(share: ShareClient) -> None:
    client = share.get_file_client("clear.bin")
    client.upload_file(b"x" * 1024)
    client.clear_range(offset=0, length=512)
    assert client.download_file().readall() == bytes(512) + b"x" * 512


def test_put_range_past_the_end_answers_416_invalid_range(share: ShareClient) -> None:
    client = share.get_file_client("short.bin")
    client.create_file(4)
    with pytest.raises(HttpResponseError) as raised:
        client.upload_range(b"abcdef", offset=0, length=6)
    assert raised.value.status_code == 416
    assert raised.value.error_code == "InvalidRange"


def test_put_range_with_wrong_content_md5_answers_400_md5_mismatch_and_writes_nothing(files: FilesEndpoint,
                                                                                      share: ShareClient) -> None:
    share.get_file_client("md5.bin").create_file(4)
    url = f"{files.account_url}/{share.share_name}/md5.bin?comp=range"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    headers = signed_headers(files, "PUT", url, {"x-ms-range": "bytes=0-3", "x-ms-write": "update",
                                                 "Content-MD5": wrong}, content_length=4)
    response = requests.put(url, data=b"data", headers=headers, verify=files.ca_path, timeout=10)
    assert response.status_code == 400
    assert response.headers["x-ms-error-code"] == "Md5Mismatch"
    assert "<Code>Md5Mismatch</Code>" in response.text
    assert (files.share_dir(share.share_name) / "md5.bin").read_bytes() == bytes(4)


def test_put_range_with_right_content_md5_echoes_it(files: FilesEndpoint, share: ShareClient) -> None:
    client = share.get_file_client("md5ok.bin")
    client.create_file(4)
    answer = client.upload_range(b"data", offset=0, length=4, validate_content=True)
    assert answer["content_md5"] == bytearray(hashlib.md5(b"data").digest())


def test_put_range_larger_than_4_mib_is_refused(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("huge.bin").create_file(8 * MiB)
    url = f"{files.account_url}/{share.share_name}/huge.bin?comp=range"
    size = 4 * MiB + 1
    headers = signed_headers(files, "PUT", url, {"x-ms-range": f"bytes=0-{size - 1}", "x-ms-write": "update"},
                             content_length=size)
    response = requests.put(url, data=bytes(size), headers=headers, verify=files.ca_path, timeout=30)
    assert response.status_code == 413
    assert response.headers["x-ms-error-code"] == "RequestBodyTooLarge"


def test_ranged_get_answers_206_with_content_range(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("get.bin").upload_file(bytes(range(256)) * 4)
    url = f"{files.account_url}/{share.share_name}/get.bin"
    headers = signed_headers(files, "GET", url, {"x-ms-range": "bytes=10-19"})
    response = requests.get(url, headers=headers, verify=files.ca_path, timeout=10)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 10-19/1024"
    assert response.content == bytes(range(10, 20))


def test_ranged_get_past_the_end_is_clipped_and_beyond_it_answers_416(share: ShareClient) -> None:
    client = share.get_file_client("clip.bin")
    client.upload_file(b"0123456789")
    assert client.download_file(offset=8, length=100).readall() == b"89"
    with pytest.raises(HttpResponseError) as raised:
        client.download_file(offset=10, length=5).readall()
    assert raised.value.status_code == 416


def test_range_get_content_md5_returns_the_md5_of_the_range(share: ShareClient) -> None:
    client = share.get_file_client("rmd5.bin")
    client.upload_file(b"abcdefghij")
    # validate_content makes the SDK ask x-ms-range-get-content-md5 and check the answer.
    assert client.download_file(offset=2, length=3, validate_content=True).readall() == b"cde"


def test_empty_file_downloads_as_empty(share: ShareClient) -> None:
    client = share.get_file_client("empty.bin")
    client.create_file(0)
    assert client.download_file().readall() == b""


def test_properties_content_settings_and_metadata_round_trip(share: ShareClient) -> None:
    client = share.get_file_client("props.txt")
    md5 = hashlib.md5(b"content").digest()
    client.upload_file(b"content", metadata={"origin": "test"},
                       content_settings=ContentSettings(content_type="text/plain", content_md5=bytearray(md5),
                                                        cache_control="no-cache"))
    props = client.get_file_properties()
    assert props.size == 7
    assert props.metadata == {"origin": "test"}
    assert props.content_settings.content_type == "text/plain"
    assert props.content_settings.cache_control == "no-cache"
    assert bytes(props.content_settings.content_md5) == md5
    client.set_file_metadata({"other": "value"})
    assert client.get_file_properties().metadata == {"other": "value"}


def test_set_http_headers_replaces_content_settings(share: ShareClient) -> None:
    client = share.get_file_client("headers.txt")
    client.upload_file(b"x", content_settings=ContentSettings(content_type="text/plain", content_language="en"))
    client.set_http_headers(ContentSettings(content_type="application/json"))
    settings = client.get_file_properties().content_settings
    assert settings.content_type == "application/json"
    assert settings.content_language is None


def test_resize_through_set_properties(share: ShareClient) -> None:
    client = share.get_file_client("resize.bin")
    client.upload_file(b"0123456789")
    client.resize_file(4)
    assert client.download_file().readall() == b"0123"


def test_etag_changes_when_content_changes(share: ShareClient) -> None:
    client = share.get_file_client("etag.bin")
    client.upload_file(b"one")
    first = client.get_file_properties().etag
    client.upload_range(b"two", offset=0, length=3)
    assert client.get_file_properties().etag != first


def test_delete_file_removes_it_from_disk_and_then_answers_404(files: FilesEndpoint, share: ShareClient) -> None:
    client = share.get_file_client("gone.txt")
    client.upload_file(b"bye")
    client.delete_file()
    assert not (files.share_dir(share.share_name) / "gone.txt").exists()
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_file_properties()
    assert raised.value.error_code == "ResourceNotFound"
    assert client.exists() is False


def test_paths_cannot_escape_the_share(files: FilesEndpoint, share: ShareClient) -> None:
    outside = files.shares_root / "secret.txt"
    outside.write_text("secret")
    url = f"{files.account_url}/{share.share_name}/..%2F..%2Fsecret.txt"
    response = requests.get(url, headers=signed_headers(files, "GET", url), verify=files.ca_path, timeout=10)
    assert response.status_code == 400
    assert "secret" not in response.text


async def test_async_client_uploads_downloads_and_lists(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareClient as AsyncShareClient

    data = os.urandom(5 * MiB)
    async with AsyncShareClient(files.account_url, share.share_name, credential=files.credential,
                                connection_verify=files.ca_path) as client:
        await client.create_directory("aio")
        await client.get_file_client("aio/data.bin").upload_file(data, max_concurrency=2)
        downloaded = await (await client.get_file_client("aio/data.bin").download_file()).readall()
        names = [item.name async for item in client.list_directories_and_files("aio")]
    assert downloaded == data
    assert names == ["data.bin"]


def test_a_symlink_on_the_share_cannot_lead_outside_it(files: FilesEndpoint, share: ShareClient) -> None:
    # Apps write to the mounted share directory; a symlink they leave there must not expose the host.
    outside = files.shares_root.parent / "host-secret.txt"
    outside.write_text("secret")
    (files.share_dir(share.share_name) / "escape.txt").symlink_to(outside)
    with pytest.raises(ResourceNotFoundError):
        share.get_file_client("escape.txt").download_file().readall()
    assert "escape.txt" not in [item.name for item in share.list_directories_and_files()]
