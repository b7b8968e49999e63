"""Get Range List, Copy File, Abort Copy and Put Range From URL through the official client, sync and async."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.fileshare import (
    ContentSettings,
    FileSasPermissions,
    ShareClient,
    ShareFileClient,
    generate_file_sas,
)

from tests.emulator.files_shares import error_code, new_share
from tests.sync.files_endpoint import FilesEndpoint

KiB = 1024


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    return new_share(files, request, "cp")


def _read_sas(files: FilesEndpoint, share: ShareClient, *path: str) -> str:
    return generate_file_sas(files.account, share.share_name, list(path), account_key=files.key,
                             permission=FileSasPermissions(read=True), expiry=datetime.now(UTC) + timedelta(hours=1))


def test_range_list_reports_only_the_written_ranges_of_a_sparse_file(share: ShareClient) -> None:
    client = share.get_file_client("sparse.bin")
    client.create_file(1024 * KiB)
    client.upload_range(b"a" * 512, offset=0, length=512)
    client.upload_range(b"b" * 1024, offset=64 * KiB, length=1024)
    ranges = list(client.list_ranges())
    assert [(r["start"], r["end"]) for r in ranges] == [(0, 511), (64 * KiB, 64 * KiB + 1023)]


def test_cleared_ranges_leave_the_range_list(share: ShareClient) -> None:
    client = share.get_file_client("cleared.bin")
    client.upload_file(b"z" * (64 * KiB))
    client.clear_range(offset=16 * KiB, length=16 * KiB)
    ranges = list(client.list_ranges())
    assert [(r["start"], r["end"]) for r in ranges] == [(0, 16 * KiB - 1), (32 * KiB, 64 * KiB - 1)]
    assert client.download_file(offset=16 * KiB, length=16 * KiB).readall() == bytes(16 * KiB)


def test_written_zeros_are_a_range_like_any_data(share: ShareClient) -> None:
    client = share.get_file_client("zeros.bin")
    client.create_file(64 * KiB)
    client.upload_range(bytes(8 * KiB), offset=8 * KiB, length=8 * KiB)
    assert [(r["start"], r["end"]) for r in client.list_ranges()] == [(8 * KiB, 16 * KiB - 1)]


def test_range_list_of_a_window_is_clipped_to_it(share: ShareClient) -> None:
    client = share.get_file_client("window.bin")
    client.upload_file(b"w" * (8 * KiB))
    ranges = list(client.list_ranges(offset=1024, length=2048))
    assert [(r["start"], r["end"]) for r in ranges] == [(1024, 3071)]


def test_copy_within_the_account_completes_with_the_source_bytes_and_settings(share: ShareClient) -> None:
    source = share.get_file_client("source.txt")
    source.upload_file(b"copy me", metadata={"from": "source"},
                       content_settings=ContentSettings(content_type="text/plain"))
    target = share.get_file_client("target.txt")
    result = target.start_copy_from_url(source.url)
    assert result["copy_status"] == "success"
    assert target.download_file().readall() == b"copy me"
    props = target.get_file_properties()
    assert props.copy.status == "success"
    assert props.copy.id == result["copy_id"]
    assert props.metadata == {"from": "source"}
    assert props.content_settings.content_type == "text/plain"


def test_copy_from_another_share_with_a_sas_source(files: FilesEndpoint, share: ShareClient) -> None:
    other = ShareClient(files.account_url, share.share_name + "-src", credential=files.credential,
                        connection_verify=files.ca_path)
    other.create_share()
    other.get_file_client("data.bin").upload_file(b"\x00\x01\x02")
    url = f"{other.get_file_client('data.bin').url}?{_read_sas(files, other, 'data.bin')}"
    share.get_file_client("copied.bin").start_copy_from_url(url, metadata={"copied": "yes"})
    assert share.get_file_client("copied.bin").download_file().readall() == b"\x00\x01\x02"
    assert share.get_file_client("copied.bin").get_file_properties().metadata == {"copied": "yes"}


def test_copy_of_a_missing_source_answers_404(share: ShareClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        share.get_file_client("t.txt").start_copy_from_url(share.get_file_client("missing.txt").url)
    assert raised.value.status_code == 404
    assert error_code(raised.value) == "CannotVerifyCopySource"


def test_aborting_a_finished_copy_answers_409_no_pending_copy(share: ShareClient) -> None:
    share.get_file_client("s.txt").upload_file(b"s")
    copy = share.get_file_client("d.txt").start_copy_from_url(share.get_file_client("s.txt").url)
    with pytest.raises(HttpResponseError) as raised:
        share.get_file_client("d.txt").abort_copy(copy["copy_id"])
    assert (raised.value.status_code, error_code(raised.value)) == (409, "NoPendingCopyOperation")


def test_put_range_from_url_copies_the_source_range(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("src.bin").upload_file(bytes(range(256)) * 8)
    target = share.get_file_client("dst.bin")
    target.create_file(1024)
    source_url = f"{share.get_file_client('src.bin').url}?{_read_sas(files, share, 'src.bin')}"
    target.upload_range_from_url(source_url, offset=512, length=512, source_offset=256)
    data = target.download_file().readall()
    assert data[512:] == (bytes(range(256)) * 8)[256:768]
    assert data[:512] == bytes(512)


def test_put_range_from_a_failing_source_reports_the_source_status(files: FilesEndpoint, share: ShareClient) -> None:
    target = share.get_file_client("dst2.bin")
    target.create_file(512)
    source_url = f"{share.get_file_client('nope.bin').url}?{_read_sas(files, share, 'nope.bin')}"
    with pytest.raises(HttpResponseError) as raised:
        target.upload_range_from_url(source_url, offset=0, length=512, source_offset=0)
    headers = raised.value.response.headers
    assert error_code(raised.value) == "CannotVerifyCopySource"
    assert headers["x-ms-copy-source-status-code"] == "404"
    assert headers["x-ms-copy-source-error-code"] == "ResourceNotFound"


def test_put_range_from_a_source_with_a_bad_sas_is_refused(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("guarded.bin").upload_file(b"g" * 512)
    target = share.get_file_client("dst3.bin")
    target.create_file(512)
    sas = generate_file_sas(files.account, share.share_name, ["guarded.bin"], account_key=files.key,
                            permission=FileSasPermissions(read=True), expiry=datetime.now(UTC) - timedelta(minutes=5))
    with pytest.raises(HttpResponseError) as raised:
        target.upload_range_from_url(f"{share.get_file_client('guarded.bin').url}?{sas}", offset=0, length=512,
                                     source_offset=0)
    assert raised.value.response.headers["x-ms-copy-source-error-code"] == "AuthenticationFailed"
    assert target.download_file().readall() == bytes(512)


async def test_the_async_client_lists_ranges_copies_and_copies_ranges(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareClient as AsyncShareClient

    async with AsyncShareClient(files.account_url, share.share_name, credential=files.credential,
                                connection_verify=files.ca_path) as client:
        source = client.get_file_client("a.bin")
        await source.create_file(16 * KiB)
        await source.upload_range(b"q" * 512, offset=4 * KiB, length=512)
        ranges = [r async for r in source.list_ranges()]
        assert [(r["start"], r["end"]) for r in ranges] == [(4 * KiB, 4 * KiB + 511)]
        copy = client.get_file_client("b.bin")
        assert (await copy.start_copy_from_url(source.url))["copy_status"] == "success"
        assert (await (await copy.download_file()).readall())[4 * KiB:4 * KiB + 512] == b"q" * 512
        url = f"{source.url}?{_read_sas(files, share, 'a.bin')}"
        await copy.upload_range_from_url(url, offset=0, length=512, source_offset=4 * KiB)
        assert (await (await copy.download_file(offset=0, length=512)).readall()) == b"q" * 512
        with pytest.raises(ResourceNotFoundError):
            [r async for r in client.get_file_client("none.bin").list_ranges()]


def test_a_file_sas_client_copies_only_with_a_sas_on_the_source(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("orig.txt").upload_file(b"o")
    sas = generate_file_sas(files.account, share.share_name, ["dest.txt"], account_key=files.key,
                            permission=FileSasPermissions(read=True, write=True, create=True),
                            expiry=datetime.now(UTC) + timedelta(hours=1))
    dest = ShareFileClient.from_file_url(f"{share.url}/dest.txt?{sas}", connection_verify=files.ca_path, retry_total=0)
    with pytest.raises(HttpResponseError) as raised:
        dest.start_copy_from_url(share.get_file_client("orig.txt").url)
    assert raised.value.status_code == 403
    dest.start_copy_from_url(f"{share.get_file_client('orig.txt').url}?{_read_sas(files, share, 'orig.txt')}")
    assert dest.download_file().readall() == b"o"
