"""Share access policies, share stats, service properties, names XML cannot carry and trailing dots, through
the official client (sync and async) and raw signed requests where the SDK hides the wire."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import (
    AccessPolicy,
    CorsRule,
    Metrics,
    RetentionPolicy,
    ShareClient,
    ShareFileClient,
    ShareSasPermissions,
    ShareServiceClient,
)

from tests.emulator.files_shares import new_share
from tests.sync.files_endpoint import FilesEndpoint
from tests.sync.signing import signed_headers


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    return new_share(files, request, "pol")


def test_share_access_policies_are_stored_and_read_back(share: ShareClient) -> None:
    expiry = datetime(2030, 1, 1, tzinfo=UTC)
    share.set_share_access_policy({
        "readers": AccessPolicy(permission=ShareSasPermissions(read=True, list=True), expiry=expiry),
        "writers": AccessPolicy(permission="rcw", start=datetime(2029, 1, 1, tzinfo=UTC), expiry=expiry)})
    policies = {p.id: p.access_policy for p in share.get_share_access_policy()["signed_identifiers"]}
    assert set(policies) == {"readers", "writers"}
    assert policies["readers"].permission == "rl"
    assert str(policies["writers"].start).startswith("2029-01-01")


def test_more_than_five_access_policies_are_refused(files: FilesEndpoint, share: ShareClient) -> None:
    policy = AccessPolicy(permission="r", expiry=datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(ValueError):  # the SDK itself stops at five; the raw request gets the service's answer
        share.set_share_access_policy({f"p{i}": policy for i in range(6)})
    body = "<SignedIdentifiers>" + "".join(f"<SignedIdentifier><Id>p{i}</Id><AccessPolicy><Permission>r</Permission>"
                                           "</AccessPolicy></SignedIdentifier>" for i in range(6)) + "</SignedIdentifiers>"
    url = f"{share.url}?restype=share&comp=acl"
    response = requests.put(url, data=body.encode(), verify=files.ca_path, timeout=10,
                            headers=signed_headers(files, "PUT", url, content_length=len(body)))
    assert (response.status_code, response.headers["x-ms-error-code"]) == (400, "InvalidXmlDocument")


def test_share_stats_count_the_bytes_stored(share: ShareClient) -> None:
    share.get_file_client("one.bin").upload_file(b"1" * 1000)
    share.create_directory("sub")
    share.get_file_client("sub/two.bin").upload_file(b"2" * 234)
    assert share.get_share_stats() == 1234


def test_service_properties_keep_what_is_set(files: FilesEndpoint) -> None:
    service = ShareServiceClient(files.account_url, credential=files.credential, connection_verify=files.ca_path)
    defaults = service.get_service_properties()
    assert defaults["hour_metrics"].enabled is False
    service.set_service_properties(
        hour_metrics=Metrics(enabled=True, include_apis=True, retention_policy=RetentionPolicy(enabled=True, days=5)),
        cors=[CorsRule(["https://example.com"], ["GET", "PUT"], max_age_in_seconds=60)])
    stored = service.get_service_properties()
    assert stored["hour_metrics"].enabled is True
    assert stored["hour_metrics"].retention_policy.days == 5
    assert stored["cors"][0].allowed_origins == "https://example.com"
    assert stored["minute_metrics"].enabled is False  # not sent: kept


async def test_the_async_client_reads_policies_stats_and_service_properties(files: FilesEndpoint,
                                                                           share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareServiceClient as AsyncServiceClient

    async with AsyncServiceClient(files.account_url, credential=files.credential,
                                  connection_verify=files.ca_path) as service:
        client = service.get_share_client(share.share_name)
        await client.set_share_access_policy({"p": AccessPolicy(permission="r", expiry=datetime(2031, 1, 1, tzinfo=UTC))})
        assert [p.id for p in (await client.get_share_access_policy())["signed_identifiers"]] == ["p"]
        await client.get_file_client("x").upload_file(b"12345")
        assert await client.get_share_stats() == 5
        assert "hour_metrics" in await service.get_service_properties()


def test_names_xml_cannot_carry_are_listed_percent_encoded(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("odd\uffff.txt").upload_file(b"o")
    (files.share_dir(share.share_name) / "ctl\x01name").write_bytes(b"written by an app on the mount")
    assert {item["name"] for item in share.list_directories_and_files()} == {"odd\uffff.txt", "ctl\x01name"}
    url = f"{share.url}?restype=directory&comp=list"
    raw = requests.get(url, headers=signed_headers(files, "GET", url), verify=files.ca_path, timeout=10)
    assert '<Name Encoded="true">ctl%01name</Name>' in raw.text
    assert '<Name Encoded="true">odd%EF%BF%BF.txt</Name>' in raw.text


async def test_the_async_client_lists_encoded_names(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareClient as AsyncShareClient

    (files.share_dir(share.share_name) / "tab\x02name").write_bytes(b"t")
    async with AsyncShareClient(files.account_url, share.share_name, credential=files.credential,
                                connection_verify=files.ca_path) as client:
        assert [item.name async for item in client.list_directories_and_files()] == ["tab\x02name"]


def test_trailing_dots_are_trimmed_unless_allowed(files: FilesEndpoint, share: ShareClient) -> None:
    url = f"{share.url}/name..."
    headers = signed_headers(files, "PUT", url, {"x-ms-type": "file", "x-ms-content-length": "1"})
    assert requests.put(url, headers=headers, verify=files.ca_path, timeout=10).status_code == 201
    kept = ShareFileClient(files.account_url, share.share_name, "kept.", credential=files.credential,
                           connection_verify=files.ca_path, allow_trailing_dot=True)
    kept.upload_file(b"dot")
    assert sorted(os.listdir(files.share_dir(share.share_name))) == ["kept.", "name"]
    assert kept.download_file().readall() == b"dot"
    url = f"{share.url}/kept."
    plain = requests.get(url, headers=signed_headers(files, "GET", url), verify=files.ca_path, timeout=10)
    assert plain.status_code == 404  # without the header, 'kept.' is 'kept', which does not exist


def test_rename_source_trailing_dot_follows_its_own_header(files: FilesEndpoint, share: ShareClient) -> None:
    source = ShareFileClient(files.account_url, share.share_name, "src.", credential=files.credential,
                             connection_verify=files.ca_path, allow_trailing_dot=True, allow_source_trailing_dot=True)
    source.upload_file(b"s")
    renamed = source.rename_file("dst.")
    assert renamed.download_file().readall() == b"s"
    assert sorted(os.listdir(files.share_dir(share.share_name))) == ["dst."]


def test_a_bad_access_policy_document_answers_400(files: FilesEndpoint, share: ShareClient) -> None:
    url = f"{share.url}?restype=share&comp=acl"
    body = b"<SignedIdentifiers><SignedIdentifier><Id>x</Id><AccessPolicy><Permission>rz</Permission>" \
           b"</AccessPolicy></SignedIdentifier></SignedIdentifiers>"
    response = requests.put(url, data=body, headers=signed_headers(files, "PUT", url, content_length=len(body)),
                            verify=files.ca_path, timeout=10)
    assert response.status_code == 400
    assert response.headers["x-ms-error-code"] == "InvalidXmlNodeValue"
    with pytest.raises(HttpResponseError):
        ShareClient(files.account_url, "no-such-share", credential=files.credential,
                    connection_verify=files.ca_path, retry_total=0).get_share_access_policy()


def test_a_share_snapshot_is_never_answered_with_the_live_share(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("live.txt").upload_file(b"now")
    snapshot = ShareClient(files.account_url, share.share_name, snapshot="2026-01-01T00:00:00.0000000Z",
                           credential=files.credential, connection_verify=files.ca_path, retry_total=0)
    with pytest.raises(HttpResponseError) as raised:
        snapshot.get_file_client("live.txt").download_file().readall()
    assert raised.value.status_code == 404
