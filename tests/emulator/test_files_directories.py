"""Azure Files data plane: directories and List Directories and Files, through the official SDK."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.fileshare import ShareClient

from tests.sync.files_endpoint import FilesEndpoint, create_account


@pytest.fixture(scope="module")
def files(azure: Any) -> FilesEndpoint:
    """A storage account on the module's emulator (tests/emulator/conftest.py), made through ARM."""
    return create_account(azure.info)


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    name = "dirs-" + request.node.name.replace("_", "-")[5:40].strip("-").lower()
    client = ShareClient(files.account_url, name, credential=files.credential, connection_verify=files.ca_path,
                         retry_total=0)
    client.create_share()
    return client


def test_create_directory_answers_201_and_exists_on_disk(files: FilesEndpoint, share: ShareClient) -> None:
    share.create_directory("models", metadata={"kind": "outputs"})
    assert (files.share_dir(share.share_name) / "models").is_dir()
    props = share.get_directory_client("models").get_directory_properties()
    assert props.metadata == {"kind": "outputs"}
    assert props.is_directory
    assert props.file_attributes == "Directory"


def test_create_existing_directory_answers_409_resource_already_exists(share: ShareClient) -> None:
    share.create_directory("once")
    with pytest.raises(ResourceExistsError) as raised:
        share.create_directory("once")
    assert raised.value.error_code == "ResourceAlreadyExists"


def test_create_directory_without_parent_answers_404_parent_not_found(share: ShareClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        share.create_directory("no/such/parent")
    assert raised.value.error_code == "ParentNotFound"


def test_nested_directories_are_created_parents_first(files: FilesEndpoint, share: ShareClient) -> None:
    share.create_directory("a")
    share.get_directory_client("a").create_subdirectory("b")
    share.create_directory("a/b/c")
    assert (files.share_dir(share.share_name) / "a" / "b" / "c").is_dir()


def test_directory_properties_of_a_file_path_answer_404(share: ShareClient) -> None:
    share.get_file_client("plain.txt").upload_file(b"x")
    with pytest.raises(ResourceNotFoundError):
        share.get_directory_client("plain.txt").get_directory_properties()
    assert share.get_directory_client("plain.txt").exists() is False


def test_delete_non_empty_directory_answers_409_then_empty_one_is_removed(files: FilesEndpoint, share: ShareClient) -> None:
    directory = share.create_directory("full")
    directory.upload_file("inside.txt", b"data")
    with pytest.raises(ResourceExistsError) as raised:
        directory.delete_directory()
    assert raised.value.error_code == "DirectoryNotEmpty"
    directory.delete_file("inside.txt")
    directory.delete_directory()
    assert not (files.share_dir(share.share_name) / "full").exists()


def test_directory_metadata_is_replaced(share: ShareClient) -> None:
    directory = share.create_directory("meta")
    directory.set_directory_metadata({"x": "1"})
    assert directory.get_directory_properties().metadata == {"x": "1"}


def test_listing_returns_files_with_sizes_and_directories(share: ShareClient) -> None:
    share.create_directory("tree")
    share.create_directory("tree/sub")
    share.get_file_client("tree/one.bin").upload_file(b"1" * 10)
    share.get_file_client("tree/two.bin").upload_file(b"")
    items = {item.name: item for item in share.list_directories_and_files("tree")}
    assert set(items) == {"sub", "one.bin", "two.bin"}
    assert items["sub"].is_directory
    assert items["one.bin"].size == 10
    assert items["two.bin"].size == 0


def test_listing_with_include_reports_timestamps_etag_attributes_and_permission_key(share: ShareClient) -> None:
    share.get_file_client("f.txt").upload_file(b"abc")
    share.create_directory("d")
    items = {item.name: item for item in share.list_directories_and_files(
        include=["timestamps", "Etag", "Attributes", "PermissionKey"], include_extended_info=True)}
    listed = items["f.txt"]
    props = share.get_file_client("f.txt").get_file_properties()
    assert listed.etag == props.etag
    # The SDK hands listing times over as the wire's strings (seven fractional digits).
    assert str(listed.last_write_time).startswith(props.last_write_time.strftime("%Y-%m-%dT%H:%M:%S.%f"))
    assert listed.creation_time is not None and listed.change_time is not None
    assert listed.file_attributes == "Archive"
    assert listed.permission_key
    assert items["d"].file_attributes == "Directory"


def test_listing_filters_by_prefix(share: ShareClient) -> None:
    for name in ("app.py", "app_test.py", "readme.md"):
        share.get_file_client(name).upload_file(b"#")
    names = [item.name for item in share.list_directories_and_files(name_starts_with="app")]
    assert sorted(names) == ["app.py", "app_test.py"]


def test_listing_pages_with_markers_return_every_entry_once(share: ShareClient) -> None:
    names = [f"file-{i:03d}.txt" for i in range(23)]
    for name in names:
        share.get_file_client(name).create_file(0)
    pages = share.list_directories_and_files(results_per_page=5).by_page()
    seen: list[str] = []
    page_count = 0
    for page in pages:
        page_count += 1
        seen.extend(item.name for item in page)
    assert page_count == 5
    assert sorted(seen) == names
    assert len(seen) == len(set(seen))


def test_listing_an_invalid_marker_answers_400(share: ShareClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        list(share.list_directories_and_files().by_page(continuation_token="not-a-marker"))
    assert raised.value.status_code == 400


def test_listing_a_missing_directory_answers_404(share: ShareClient) -> None:
    with pytest.raises(ResourceNotFoundError):
        list(share.list_directories_and_files("nowhere"))


def test_files_written_by_apps_on_the_mount_appear_in_listings(files: FilesEndpoint, share: ShareClient) -> None:
    # The container runtime mounts the share directory; what an app writes there is on the share.
    (files.share_dir(share.share_name) / "written-by-app.log").write_text("hello")
    item = next(iter(share.list_directories_and_files(name_starts_with="written-by-app")))
    assert item.size == 5
    assert share.get_file_client("written-by-app.log").download_file().readall() == b"hello"


def test_percent_encoded_slashes_in_directory_paths_address_nested_directories(files: FilesEndpoint,
                                                                                share: ShareClient) -> None:
    # azure-cli sends nested directory paths with %2F inside one segment.
    import requests

    from tests.sync.signing import signed_headers

    share.create_directory("x")
    url = f"{files.account_url}/{share.share_name}/x%2Fy?restype=directory"
    response = requests.put(url, headers=signed_headers(files, "PUT", url), verify=files.ca_path, timeout=10)
    assert response.status_code == 201, response.text
    assert (files.share_dir(share.share_name) / "x" / "y").is_dir()
