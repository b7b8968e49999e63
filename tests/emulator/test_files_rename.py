"""Rename File and Rename Directory through the official client, sync and async: the item moves (bytes,
properties and children with it), and the service's answers when the destination is taken."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.fileshare import ContentSettings, NTFSAttributes, ShareClient

from tests.emulator.files_shares import error_code, new_share
from tests.sync.files_endpoint import FilesEndpoint


@pytest.fixture
def share(files: FilesEndpoint, request: pytest.FixtureRequest) -> ShareClient:
    return new_share(files, request, "mv")


def test_renaming_a_file_moves_its_bytes_and_properties(files: FilesEndpoint, share: ShareClient) -> None:
    share.create_directory("archive")
    old = share.get_file_client("draft.txt")
    old.upload_file(b"v1", metadata={"owner": "ana"}, content_settings=ContentSettings(content_type="text/plain"))
    renamed = old.rename_file("archive/final.txt")
    assert renamed.download_file().readall() == b"v1"
    props = renamed.get_file_properties()
    assert props.metadata == {"owner": "ana"}
    assert props.content_settings.content_type == "text/plain"
    assert not (files.share_dir(share.share_name) / "draft.txt").exists()
    assert (files.share_dir(share.share_name) / "archive" / "final.txt").read_bytes() == b"v1"


def test_renaming_a_directory_moves_its_whole_tree(files: FilesEndpoint, share: ShareClient) -> None:
    share.create_directory("build")
    share.get_directory_client("build").set_directory_metadata({"stage": "done"})
    share.create_directory("build/logs")
    share.get_file_client("build/logs/run.log").upload_file(b"ok", metadata={"lines": "1"})
    moved = share.get_directory_client("build").rename_directory("release")
    assert moved.get_directory_properties().metadata == {"stage": "done"}
    assert share.get_file_client("release/logs/run.log").get_file_properties().metadata == {"lines": "1"}
    assert not share.get_directory_client("build").exists()


def test_renaming_onto_an_existing_file_answers_409_unless_replace_is_asked(share: ShareClient) -> None:
    share.get_file_client("a.txt").upload_file(b"a")
    share.get_file_client("b.txt").upload_file(b"b")
    with pytest.raises(ResourceExistsError) as raised:
        share.get_file_client("a.txt").rename_file("b.txt")
    assert error_code(raised.value) == "ResourceAlreadyExists"
    share.get_file_client("a.txt").rename_file("b.txt", overwrite=True)
    assert share.get_file_client("b.txt").download_file().readall() == b"a"
    assert not share.get_file_client("a.txt").exists()


def test_replacing_a_read_only_file_needs_ignore_read_only(share: ShareClient) -> None:
    share.get_file_client("new.txt").upload_file(b"new")
    locked = share.get_file_client("locked.txt")
    locked.upload_file(b"old")
    locked.set_http_headers(ContentSettings(), file_attributes=NTFSAttributes(read_only=True))
    with pytest.raises(HttpResponseError) as raised:
        share.get_file_client("new.txt").rename_file("locked.txt", overwrite=True)
    assert (raised.value.status_code, error_code(raised.value)) == (409, "ReadOnlyAttribute")
    share.get_file_client("new.txt").rename_file("locked.txt", overwrite=True, ignore_read_only=True)
    assert share.get_file_client("locked.txt").download_file().readall() == b"new"


def test_renaming_a_missing_file_answers_404(share: ShareClient) -> None:
    with pytest.raises(ResourceNotFoundError):
        share.get_file_client("ghost.txt").rename_file("still-ghost.txt")


def test_renaming_into_a_missing_directory_answers_404_parent_not_found(share: ShareClient) -> None:
    share.get_file_client("f.txt").upload_file(b"f")
    with pytest.raises(ResourceNotFoundError) as raised:
        share.get_file_client("f.txt").rename_file("nowhere/f.txt")
    assert error_code(raised.value) == "ParentNotFound"


def test_a_directory_is_never_replaced(share: ShareClient) -> None:
    share.create_directory("one")
    share.create_directory("two")
    with pytest.raises(ResourceExistsError):
        share.get_directory_client("one").rename_directory("two", overwrite=True)


def test_rename_sets_the_smb_properties_it_is_given(share: ShareClient) -> None:
    share.get_file_client("plain.txt").upload_file(b"p")
    renamed = share.get_file_client("plain.txt").rename_file(
        "stamped.txt", file_attributes="ReadOnly|Archive", file_creation_time="2020-01-02T03:04:05.1234567Z",
        file_last_write_time="2021-01-02T03:04:05.0000000Z", metadata={"renamed": "yes"})
    props = renamed.get_file_properties()
    assert props.creation_time.year == 2020
    assert props.last_write_time.year == 2021
    assert "ReadOnly" in str(props.file_attributes)
    assert props.metadata == {"renamed": "yes"}


async def test_the_async_client_renames_files_and_directories(files: FilesEndpoint, share: ShareClient) -> None:
    from azure.storage.fileshare.aio import ShareClient as AsyncShareClient

    async with AsyncShareClient(files.account_url, share.share_name, credential=files.credential,
                                connection_verify=files.ca_path) as client:
        await client.create_directory("src")
        await client.get_file_client("src/x.bin").upload_file(b"xyz")
        renamed = await client.get_file_client("src/x.bin").rename_file("src/y.bin")
        assert await (await renamed.download_file()).readall() == b"xyz"
        moved = await client.get_directory_client("src").rename_directory("dst")
        assert [item.name async for item in moved.list_directories_and_files()] == ["y.bin"]
        with pytest.raises(ResourceNotFoundError):
            await client.get_directory_client("src").get_directory_properties()
