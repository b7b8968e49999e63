"""What the product asks of an Azure Files share: the calls sync/, the releases and the deploy checks make.

`AzureSession.share` returns the SDK's `azure.storage.fileshare.aio.ShareClient`, which has these methods with
these signatures; naming them here (instead of `Any`) lets the type checker hold every caller to the calls
that exist, and shows a reader in one place what of Azure Files the product depends on - the surface the
emulator's Files side must get right. Protocols, not a wrapper: no code sits between the caller and the SDK. (The SDK's methods are plain functions
returning awaitables, hence `Awaitable` rather than `async def`.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol


class ShareDownload(Protocol):
    """A started download (`StorageStreamDownloader`): the product reads small files whole."""

    async def readall(self) -> bytes: ...


class ShareFile(Protocol):
    """One file's client (`ShareFileClient`)."""

    def create_file(self, size: int, **kwargs: Any) -> Awaitable[dict[str, Any]]: ...

    def upload_range(self, data: bytes, offset: int, length: int, **kwargs: Any) -> Awaitable[dict[str, Any]]: ...

    def upload_file(self, data: Any, length: int | None = None, **kwargs: Any) -> Awaitable[dict[str, Any]]: ...

    def download_file(self, offset: int | None = None, length: int | None = None,
                      **kwargs: Any) -> Awaitable[ShareDownload]: ...

    def get_file_properties(self, **kwargs: Any) -> Awaitable[Any]: ...

    def rename_file(self, new_name: str, **kwargs: Any) -> Awaitable[Any]: ...

    def delete_file(self, **kwargs: Any) -> Awaitable[None]: ...

    def exists(self, **kwargs: Any) -> Awaitable[bool]: ...


class ShareDirectory(Protocol):
    """One directory's client (`ShareDirectoryClient`)."""

    def create_directory(self, **kwargs: Any) -> Awaitable[dict[str, Any]]: ...

    def get_directory_properties(self, **kwargs: Any) -> Awaitable[Any]: ...

    def delete_directory(self, **kwargs: Any) -> Awaitable[None]: ...

    def list_directories_and_files(self, name_starts_with: str | None = None,
                                   **kwargs: Any) -> AsyncIterator[Any]: ...

    def get_subdirectory_client(self, directory_name: str, **kwargs: Any) -> ShareDirectory: ...


class ShareStore(Protocol):
    """One file share (`ShareClient`), authenticated: where the app's code, releases and models live."""

    @property
    def share_name(self) -> str: ...

    @property
    def account_name(self) -> str | None: ...

    @property
    def url(self) -> str: ...

    def get_file_client(self, file_path: str) -> ShareFile: ...

    def get_directory_client(self, directory_path: str | None = None) -> ShareDirectory: ...

    def create_directory(self, directory_name: str, **kwargs: Any) -> Awaitable[ShareDirectory]: ...
