"""The File service's HTTP front: IP-style URLs, SharedKey, dispatch by method + restype/comp, error XML."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from . import directory_handlers as directories
from . import file_handlers as files
from . import share_handlers as shares
from .auth import authenticate
from .context import FileServiceRequest
from .errors import StorageError, error_response
from .store import ShareStore, check_path

log = logging.getLogger(__name__)

OLDEST_VERSION = "2015-02-21"
NEWEST_VERSION = "2026-10-06"
_VERSION = re.compile(r"^\d{4}-\d\d-\d\d$")
STORE_KEY: web.AppKey[ShareStore] = web.AppKey("files_store", ShareStore)
_KEYS: web.AppKey[Callable[[str], list[str] | None]] = web.AppKey("files_account_keys", object)  # type: ignore[arg-type]

Handler = Callable[[FileServiceRequest], Awaitable[web.StreamResponse]]

# (method, restype, comp) -> handler, per level of the URL: account, share, directory, file.
_ACCOUNT_ROUTES: dict[tuple[str, str | None, str | None], Handler] = {
    ("GET", None, "list"): shares.list_shares,
}
_SHARE_ROUTES: dict[tuple[str, str | None, str | None], Handler] = {
    ("PUT", "share", None): shares.create_share,
    ("GET", "share", None): shares.share_properties,
    ("HEAD", "share", None): shares.share_properties,
    ("DELETE", "share", None): shares.delete_share,
    ("PUT", "share", "metadata"): shares.set_share_metadata,
    ("PUT", "share", "properties"): shares.set_share_properties,
}
_DIRECTORY_ROUTES: dict[tuple[str, str | None, str | None], Handler] = {
    ("PUT", "directory", None): directories.create_directory,
    ("GET", "directory", None): directories.directory_properties,
    ("HEAD", "directory", None): directories.directory_properties,
    ("DELETE", "directory", None): directories.delete_directory,
    ("PUT", "directory", "metadata"): directories.set_directory_metadata,
    ("PUT", "directory", "properties"): directories.set_directory_properties,
    ("GET", "directory", "list"): directories.list_directory,
}


async def _head_file(req: FileServiceRequest) -> web.StreamResponse:
    return await files.get_file(req, head=True)


_FILE_ROUTES: dict[tuple[str, str | None, str | None], Handler] = {
    ("PUT", None, None): files.create_file,
    ("PUT", None, "range"): files.put_range,
    ("GET", None, None): files.get_file,
    ("HEAD", None, None): _head_file,
    ("DELETE", None, None): files.delete_file,
    ("PUT", None, "properties"): files.set_file_properties,
    ("PUT", None, "metadata"): files.set_file_metadata,
}


def _split(request: web.Request) -> tuple[str, str, str]:
    """account, share, decoded path from the raw URL path (`%2F` inside a segment separates directories too)."""
    raw = request.raw_path.split("?", 1)[0]
    segments = raw.lstrip("/").split("/", 2)
    account = unquote(segments[0]) if segments else ""
    share = unquote(segments[1]) if len(segments) > 1 else ""
    path = unquote(segments[2]) if len(segments) > 2 else ""
    return account, share, path


def _check_version(request: web.Request) -> None:
    version = request.headers.get("x-ms-version")
    if not version:
        raise StorageError(400, "MissingRequiredHeader", "The header x-ms-version is required.")
    if not _VERSION.match(version) or not OLDEST_VERSION <= version <= NEWEST_VERSION:
        raise StorageError(400, "InvalidHeaderValue",
                           f"The value '{version}' of x-ms-version is not a version this service supports "
                           f"({OLDEST_VERSION} to {NEWEST_VERSION}).")


def _route(method: str, share: str, path: str, restype: str | None, comp: str | None) -> Handler:
    key = (method, restype, comp)
    if not share:
        table = _ACCOUNT_ROUTES
    elif restype == "share":
        table = _SHARE_ROUTES
    elif restype == "directory":
        table = _DIRECTORY_ROUTES
    elif path:
        table = _FILE_ROUTES
    else:
        raise StorageError(400, "InvalidQueryParameterValue",
                           "A request on a share needs restype=share or restype=directory.")
    handler = table.get(key)
    if handler is None:
        if any(m == method for m, *_ in table):
            raise StorageError(400, "InvalidQueryParameterValue",
                               f"restype={restype} comp={comp} is not an operation this emulator supports here.")
        raise StorageError(405, "UnsupportedHttpVerb")
    return handler


async def _dispatch(request: web.Request) -> web.StreamResponse:
    try:
        account, share, path = _split(request)
        if not account:
            raise StorageError(400, "InvalidUri", "The URL names no storage account: use https://host:port/<account>/...")
        authenticate(request, account, request.app[_KEYS])
        _check_version(request)
        restype = request.query.get("restype")
        comp = request.query.get("comp")
        handler = _route(request.method, share, path, restype, comp)
        if share and restype != "share":
            path = check_path(path)
        req = FileServiceRequest(request, request.app[STORE_KEY], account, share, path)
        return await handler(req)
    except StorageError as error:
        return error_response(error, method=request.method)
    except (ConnectionError, asyncio.IncompleteReadError, web.HTTPException):
        raise  # the client went away mid-body (or aiohttp answers itself): nothing to tell it
    except Exception:
        log.exception("Files: %s %s failed", request.method, request.path)
        return error_response(StorageError(500, "InternalError"), method=request.method)


async def _service_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))  # errors set theirs (it is in the body too)
    response.headers.setdefault("x-ms-version", request.headers.get("x-ms-version", NEWEST_VERSION))
    response.headers["Server"] = "Windows-Azure-File/1.0 Microsoft-HTTPAPI/2.0"


def create_files_app(*, account_keys: Callable[[str], list[str] | None], shares_root: Path) -> web.Application:
    """The Azure Files data plane: `/{account}/{share}/{path}` on this app's root.

    `account_keys(account)` returns the account's base64 keys (None/empty for an unknown account);
    `shares_root/<account>/<share>/` are the shares' directories; the properties the service keeps beside the
    bytes go to `shares_root/.files-meta.sqlite`.
    """
    app = web.Application()
    app[STORE_KEY] = ShareStore(Path(shares_root))
    app[_KEYS] = account_keys
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    app.on_response_prepare.append(_service_headers)

    async def close_store(app: web.Application) -> None:
        app[STORE_KEY].close()

    app.on_cleanup.append(close_store)
    return app
