"""Azure Files data plane: shares, authentication and the service's error answers, through the official SDK."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.fileshare import ShareServiceClient

from tests.sync.files_endpoint import FilesEndpoint, create_account


@pytest.fixture(scope="module")
def files(azure: Any) -> FilesEndpoint:
    """A storage account on the module's emulator (tests/emulator/conftest.py), made through ARM."""
    return create_account(azure.info)


def service(files: FilesEndpoint, key: str | None = None, **options) -> ShareServiceClient:
    credential = {"account_name": files.account, "account_key": key or files.key}
    return ShareServiceClient(files.account_url, credential=credential, connection_verify=files.ca_path,
                              retry_total=0, **options)


def test_create_share_makes_a_directory_on_disk_and_reports_properties(files: FilesEndpoint) -> None:
    client = service(files).create_share("alpha", metadata={"owner": "tests"}, quota=10)
    assert files.share_dir("alpha").is_dir()
    props = client.get_share_properties()
    assert props.name == "alpha"
    assert props.quota == 10
    assert props.metadata == {"owner": "tests"}
    assert props.etag and props.last_modified


def test_create_existing_share_answers_409_share_already_exists(files: FilesEndpoint) -> None:
    service(files).create_share("beta")
    with pytest.raises(ResourceExistsError) as raised:
        service(files).create_share("beta")
    assert raised.value.error_code == "ShareAlreadyExists"
    assert raised.value.status_code == 409


def test_share_metadata_can_be_replaced(files: FilesEndpoint) -> None:
    client = service(files).create_share("gamma")
    client.set_share_metadata({"a": "1", "b": "2"})
    assert client.get_share_properties().metadata == {"a": "1", "b": "2"}
    client.set_share_metadata({"c": "3"})
    assert client.get_share_properties().metadata == {"c": "3"}


def test_delete_share_removes_it_and_later_calls_answer_share_not_found(files: FilesEndpoint) -> None:
    client = service(files).create_share("delta")
    client.get_file_client("x.txt").upload_file(b"x")
    client.delete_share()
    assert not files.share_dir("delta").exists()
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_share_properties()
    assert raised.value.error_code == "ShareNotFound"


def test_list_shares_pages_with_markers(files: FilesEndpoint) -> None:
    for name in ("list-a", "list-b", "list-c"):
        service(files).create_share(name)
    pages = service(files).list_shares(name_starts_with="list-", results_per_page=2).by_page()
    first = [share.name for share in next(pages)]
    second = [share.name for share in next(pages)]
    assert first == ["list-a", "list-b"]
    assert second == ["list-c"]


def test_a_wrong_account_key_answers_403_authentication_failed(files: FilesEndpoint) -> None:
    wrong = base64.b64encode(os.urandom(64)).decode()
    with pytest.raises(ClientAuthenticationError) as raised:
        service(files, key=wrong).create_share("never")
    assert raised.value.status_code == 403
    assert raised.value.error_code == "AuthenticationFailed"
    assert not files.share_dir("never").exists()


def test_the_second_account_key_is_accepted_too(files: FilesEndpoint) -> None:
    # A storage account has two keys; either signs (key rotation must not break running clients).
    client = service(files, key=files.secondary_key).create_share("keytwo")
    assert client.get_share_properties().name == "keytwo"


def test_an_unknown_account_answers_403(files: FilesEndpoint) -> None:
    client = ShareServiceClient(f"{files.endpoint}/nosuchaccount", connection_verify=files.ca_path, retry_total=0,
                                credential={"account_name": "nosuchaccount", "account_key": files.key})
    with pytest.raises(ClientAuthenticationError) as raised:
        client.create_share("x-share")
    assert raised.value.error_code == "AuthenticationFailed"


def test_an_invalid_share_name_answers_400_invalid_resource_name(files: FilesEndpoint) -> None:
    with pytest.raises(HttpResponseError) as raised:
        service(files).create_share("Bad_Name")
    assert raised.value.status_code == 400
    assert raised.value.error_code == "InvalidResourceName"


def test_errors_carry_the_service_xml_and_error_code_header(files: FilesEndpoint) -> None:
    import requests

    share = service(files).get_share_client("missing-share")
    with pytest.raises(ResourceNotFoundError) as raised:
        share.get_share_properties()
    response = raised.value.response
    assert response.headers["x-ms-error-code"] == "ShareNotFound"
    assert response.headers["x-ms-request-id"]
    # A plain unsigned request: the body is the service's <Error> document.
    plain = requests.get(f"{files.account_url}/missing-share?restype=share", verify=files.ca_path,
                         headers={"x-ms-version": "2026-10-06"}, timeout=10)
    assert plain.status_code == 401
    assert plain.text.startswith('<?xml version="1.0" encoding="utf-8"?><Error><Code>NoAuthenticationInformation</Code>')
    assert "<Message>" in plain.text


def test_older_api_versions_the_cli_sends_are_accepted(files: FilesEndpoint) -> None:
    client = service(files, api_version="2026-04-06").create_share("old-version")
    assert client.get_share_properties().name == "old-version"


def test_share_created_through_the_filesystem_is_served(files: FilesEndpoint) -> None:
    # The management plane creates share directories directly; the data plane must see them.
    Path(files.share_dir("from-arm")).mkdir(parents=True)
    props = service(files).get_share_client("from-arm").get_share_properties()
    assert props.name == "from-arm"


def test_shared_key_lite_signatures_are_accepted_and_checked(files: FilesEndpoint) -> None:
    import requests

    from tests.sync.signing import signed_headers

    url = f"{files.account_url}/lite-share?restype=share"
    good = requests.put(url, headers=signed_headers(files, "PUT", url, lite=True), verify=files.ca_path, timeout=10)
    assert good.status_code == 201, good.text
    tampered = signed_headers(files, "GET", url, lite=True)
    tampered["x-ms-version"] = "2026-04-06" if tampered["x-ms-version"] != "2026-04-06" else "2026-10-06"
    bad = requests.get(url, headers=tampered, verify=files.ca_path, timeout=10)
    assert bad.status_code == 403
    assert bad.headers["x-ms-error-code"] == "AuthenticationFailed"
