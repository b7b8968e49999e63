"""Shared access signatures on the Files data plane: account SAS and service SAS (share, file, stored access
policy), made by the official SDK's generators and used by its sync and async clients and by plain HTTP."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.fileshare import (
    AccessPolicy,
    AccountSasPermissions,
    ContentSettings,
    FileSasPermissions,
    ResourceTypes,
    ShareClient,
    ShareFileClient,
    ShareSasPermissions,
    ShareServiceClient,
    generate_account_sas,
    generate_file_sas,
    generate_share_sas,
)

from tests.sync.files_endpoint import FilesEndpoint

HOUR = timedelta(hours=1)


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    name = "sas-" + request.node.name.replace("_", "-")[5:50].strip("-").lower()
    client = ShareClient(files.account_url, name, credential=files.credential, connection_verify=files.ca_path,
                         retry_total=0)
    client.create_share()
    client.get_file_client("report.txt").upload_file(b"quarterly numbers")
    return client


def _file_sas(files: FilesEndpoint, share: ShareClient, **options: Any) -> str:
    options.setdefault("permission", FileSasPermissions(read=True))
    options.setdefault("expiry", datetime.now(UTC) + HOUR)
    return generate_file_sas(files.account, share.share_name, ["report.txt"], account_key=files.key, **options)


def _file_url(share: ShareClient, sas: str) -> str:
    return f"{share.url}/report.txt?{sas}"


def _error_code(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpResponseError) as raised:
        call()
    code = raised.value.error_code
    return raised.value.status_code, str(getattr(code, "value", code))


def test_a_file_sas_url_downloads_the_file(files: FilesEndpoint, share: ShareClient) -> None:
    client = ShareFileClient.from_file_url(_file_url(share, _file_sas(files, share)), connection_verify=files.ca_path)
    assert client.download_file().readall() == b"quarterly numbers"


async def test_a_file_sas_url_downloads_the_file_with_the_async_client(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareFileClient as AsyncFileClient

    url = _file_url(share, _file_sas(files, share))
    async with AsyncFileClient.from_file_url(url, connection_verify=files.ca_path) as client:
        assert await (await client.download_file()).readall() == b"quarterly numbers"


def test_a_file_sas_url_works_from_plain_http_without_any_storage_header(files: FilesEndpoint,
                                                                          share: ShareClient) -> None:
    context = ssl.create_default_context(cafile=files.ca_path)
    with urllib.request.urlopen(_file_url(share, _file_sas(files, share)), context=context, timeout=10) as response:
        assert response.read() == b"quarterly numbers"


async def test_a_file_sas_url_works_from_aiohttp(files: FilesEndpoint, share: ShareClient) -> None:
    import aiohttp

    context = ssl.create_default_context(cafile=files.ca_path)
    async with aiohttp.ClientSession() as session, \
            session.get(_file_url(share, _file_sas(files, share)), ssl=context) as response:
        assert response.status == 200
        assert await response.read() == b"quarterly numbers"


def test_an_expired_sas_answers_403_authentication_failed(files: FilesEndpoint, share: ShareClient) -> None:
    sas = _file_sas(files, share, expiry=datetime.now(UTC) - timedelta(minutes=1))
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path, retry_total=0)
    assert _error_code(lambda: client.download_file().readall()) == (403, "AuthenticationFailed")


def test_a_sas_not_yet_valid_answers_403(files: FilesEndpoint, share: ShareClient) -> None:
    sas = _file_sas(files, share, start=datetime.now(UTC) + timedelta(minutes=30))
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path, retry_total=0)
    assert _error_code(client.get_file_properties) == (403, "AuthenticationFailed")


def test_a_tampered_sas_answers_403_authentication_failed(files: FilesEndpoint, share: ShareClient) -> None:
    sas = _file_sas(files, share).replace("sp=r", "sp=rw")  # widening the permissions breaks the signature
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path, retry_total=0)
    with pytest.raises(ClientAuthenticationError) as raised:
        client.upload_file(b"overwritten")
    assert raised.value.error_code == "AuthenticationFailed"
    assert (files.share_dir(share.share_name) / "report.txt").read_bytes() == b"quarterly numbers"


def test_a_sas_signed_with_another_key_answers_403(files: FilesEndpoint, share: ShareClient) -> None:
    sas = generate_file_sas(files.account, share.share_name, ["report.txt"], account_key="bm90IHRoZSBrZXk=",
                            permission=FileSasPermissions(read=True), expiry=datetime.now(UTC) + HOUR)
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path, retry_total=0)
    assert _error_code(client.get_file_properties) == (403, "AuthenticationFailed")


def test_the_secondary_key_signs_too(files: FilesEndpoint, share: ShareClient) -> None:
    sas = generate_file_sas(files.account, share.share_name, ["report.txt"], account_key=files.secondary_key,
                            permission=FileSasPermissions(read=True), expiry=datetime.now(UTC) + HOUR)
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path)
    assert client.get_file_properties().size == len(b"quarterly numbers")


def test_a_read_only_sas_cannot_write(files: FilesEndpoint, share: ShareClient) -> None:
    client = ShareFileClient.from_file_url(_file_url(share, _file_sas(files, share)), connection_verify=files.ca_path,
                                           retry_total=0)
    assert _error_code(lambda: client.upload_range(b"x", offset=0, length=1)) == (403, "AuthorizationPermissionMismatch")


def test_a_sas_for_one_file_does_not_open_another(files: FilesEndpoint, share: ShareClient) -> None:
    share.get_file_client("other.txt").upload_file(b"secret")
    client = ShareFileClient.from_file_url(f"{share.url}/other.txt?{_file_sas(files, share)}",
                                           connection_verify=files.ca_path, retry_total=0)
    assert _error_code(client.get_file_properties) == (403, "AuthenticationFailed")


def test_a_sas_for_another_ip_answers_403_source_ip_mismatch(files: FilesEndpoint, share: ShareClient) -> None:
    sas = _file_sas(files, share, ip="10.1.2.3")
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path, retry_total=0)
    assert _error_code(client.get_file_properties) == (403, "AuthorizationSourceIPMismatch")


def test_a_sas_for_an_ip_range_holding_the_client_works(files: FilesEndpoint, share: ShareClient) -> None:
    sas = _file_sas(files, share, ip="127.0.0.0-127.0.0.255", protocol="https")
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path)
    assert client.get_file_properties().size == 17


def test_a_file_sas_overrides_the_response_content_headers(files: FilesEndpoint, share: ShareClient) -> None:
    sas = _file_sas(files, share, content_type="text/csv", content_disposition="attachment; filename=q.csv")
    context = ssl.create_default_context(cafile=files.ca_path)
    with urllib.request.urlopen(_file_url(share, sas), context=context, timeout=10) as response:
        assert response.headers["Content-Type"] == "text/csv"
        assert response.headers["Content-Disposition"] == "attachment; filename=q.csv"


def test_a_share_sas_lists_and_writes_within_its_share(files: FilesEndpoint, share: ShareClient) -> None:
    sas = generate_share_sas(files.account, share.share_name, account_key=files.key,
                             permission=ShareSasPermissions(read=True, list=True, create=True, write=True),
                             expiry=datetime.now(UTC) + HOUR)
    client = ShareClient.from_share_url(f"{share.url}?{sas}", connection_verify=files.ca_path)
    client.get_file_client("new.txt").upload_file(b"made with a share SAS")
    assert {item["name"] for item in client.list_directories_and_files()} == {"report.txt", "new.txt"}
    assert _error_code(lambda: client.get_file_client("new.txt").delete_file()) == (403, "AuthorizationPermissionMismatch")


async def test_an_account_sas_lists_shares_with_the_async_client(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareServiceClient as AsyncServiceClient

    sas = generate_account_sas(files.account, files.key, ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(read=True, list=True), datetime.now(UTC) + HOUR)
    async with AsyncServiceClient(files.account_url, credential=sas, connection_verify=files.ca_path) as service:
        names = [item.name async for item in service.list_shares()]
        assert share.share_name in names
        file = service.get_share_client(share.share_name).get_file_client("report.txt")
        assert await (await file.download_file()).readall() == b"quarterly numbers"


def test_an_account_sas_without_the_resource_type_answers_403(files: FilesEndpoint, share: ShareClient) -> None:
    sas = generate_account_sas(files.account, files.key, ResourceTypes(object=True),
                               AccountSasPermissions(read=True, list=True), datetime.now(UTC) + HOUR)
    service = ShareServiceClient(files.account_url, credential=sas, connection_verify=files.ca_path, retry_total=0)
    assert _error_code(lambda: list(service.list_shares())) == (403, "AuthorizationResourceTypeMismatch")


def test_an_account_sas_for_the_blob_service_answers_403_service_mismatch(files: FilesEndpoint,
                                                                          share: ShareClient) -> None:
    sas = generate_account_sas(files.account, files.key, ResourceTypes(service=True),
                               AccountSasPermissions(list=True), datetime.now(UTC) + HOUR, services="b")
    service = ShareServiceClient(files.account_url, credential=sas, connection_verify=files.ca_path, retry_total=0)
    assert _error_code(lambda: list(service.list_shares())) == (403, "AuthorizationServiceMismatch")


def test_a_stored_access_policy_grants_and_revoking_it_denies(files: FilesEndpoint, share: ShareClient) -> None:
    share.set_share_access_policy({"readers": AccessPolicy(permission=ShareSasPermissions(read=True),
                                                           expiry=datetime.now(UTC) + HOUR)})
    sas = generate_file_sas(files.account, share.share_name, ["report.txt"], account_key=files.key,
                            policy_id="readers")
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path, retry_total=0)
    assert client.download_file().readall() == b"quarterly numbers"
    share.set_share_access_policy({})
    assert _error_code(client.get_file_properties) == (403, "AuthenticationFailed")


def test_a_request_without_any_credential_answers_401_with_the_bearer_challenge(files: FilesEndpoint,
                                                                                 share: ShareClient) -> None:
    context = ssl.create_default_context(cafile=files.ca_path)
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{share.url}/report.txt", context=context, timeout=10)
    assert raised.value.code == 401
    assert raised.value.headers["x-ms-error-code"] == "NoAuthenticationInformation"
    assert raised.value.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")


def test_content_settings_uploaded_with_a_sas_are_kept(files: FilesEndpoint, share: ShareClient) -> None:
    sas = _file_sas(files, share, permission=FileSasPermissions(read=True, write=True, create=True))
    client = ShareFileClient.from_file_url(_file_url(share, sas), connection_verify=files.ca_path)
    client.upload_file(b"new numbers", content_settings=ContentSettings(content_type="text/plain"))
    assert share.get_file_client("report.txt").get_file_properties().content_settings.content_type == "text/plain"


def _hand_signed(files: FilesEndpoint, fields: list[str]) -> str:
    """A signature over the documented string-to-sign, built here without the SDK's generator, so the server
    is checked against the documentation and not only against the SDK."""
    import base64
    import hashlib
    import hmac

    digest = hmac.new(base64.b64decode(files.key), "\n".join(fields).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_a_hand_made_account_sas_creates_and_reads_a_file_over_plain_http(files: FilesEndpoint,
                                                                           share: ShareClient) -> None:
    from urllib.parse import urlencode

    expiry = (datetime.now(UTC) + HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")
    # account, sp, ss, srt, st, se, sip, spr, sv, ses (signedEncryptionScope, since 2020-12-06), then a newline
    fields = [files.account, "rwc", "f", "o", "", expiry, "", "https", "2026-04-06", "", ""]
    query = urlencode({"sv": "2026-04-06", "ss": "f", "srt": "o", "sp": "rwc", "se": expiry, "spr": "https",
                       "sig": _hand_signed(files, fields)})
    context = ssl.create_default_context(cafile=files.ca_path)
    create = urllib.request.Request(f"{share.url}/plain.txt?{query}", method="PUT",
                                    headers={"x-ms-type": "file", "x-ms-content-length": "5"})
    with urllib.request.urlopen(create, context=context, timeout=10) as response:
        assert response.status == 201
        assert response.headers["x-ms-version"] == "2026-04-06"  # served at the SAS's signed version
    write = urllib.request.Request(f"{share.url}/plain.txt?comp=range&{query}", method="PUT", data=b"hello",
                                   headers={"x-ms-range": "bytes=0-4", "x-ms-write": "update"})
    with urllib.request.urlopen(write, context=context, timeout=10) as response:
        assert response.status == 201
    assert (files.share_dir(share.share_name) / "plain.txt").read_bytes() == b"hello"


def test_a_hand_made_service_sas_for_a_file_downloads_it(files: FilesEndpoint, share: ShareClient) -> None:
    from urllib.parse import urlencode

    expiry = (datetime.now(UTC) + HOUR).strftime("%Y-%m-%dT%H:%M:%SZ")
    resource = f"/file/{files.account}/{share.share_name}/report.txt"
    # sp, st, se, canonicalized resource, si, sip, spr, sv, rscc, rscd, rsce, rscl, rsct
    fields = ["r", "", expiry, resource, "", "", "", "2026-04-06", "", "", "", "", ""]
    query = urlencode({"sv": "2026-04-06", "sr": "f", "sp": "r", "se": expiry, "sig": _hand_signed(files, fields)})
    context = ssl.create_default_context(cafile=files.ca_path)
    with urllib.request.urlopen(f"{share.url}/report.txt?{query}", context=context, timeout=10) as response:
        assert response.read() == b"quarterly numbers"
