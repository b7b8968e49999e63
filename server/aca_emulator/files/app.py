"""The File service's HTTP front: IP-style URLs, who is asking (SharedKey or SAS), dispatch by method +
restype/comp (`routes`), error XML."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from .auth import authenticate
from .context import FileServiceRequest, stored_policy
from .errors import StorageError, error_response
from .leases import guard_write
from .routes import route
from .store import ShareStore, check_path

log = logging.getLogger(__name__)

OLDEST_VERSION = "2015-02-21"
NEWEST_VERSION = "2026-10-06"
_VERSION = re.compile(r"^\d{4}-\d\d-\d\d$")
STORE_KEY: web.AppKey[ShareStore] = web.AppKey("files_store", ShareStore)
_KEYS: web.AppKey[Callable[[str], list[str] | None]] = web.AppKey("files_account_keys", object)  # type: ignore[arg-type]


def _split(request: web.Request) -> tuple[str, str, str]:
    """account, share, decoded path from the raw URL path (`%2F` inside a segment separates directories too)."""
    raw = request.raw_path.split("?", 1)[0]
    segments = raw.lstrip("/").split("/", 2)
    account = unquote(segments[0]) if segments else ""
    share = unquote(segments[1]) if len(segments) > 1 else ""
    path = unquote(segments[2]) if len(segments) > 2 else ""
    return account, share, path


def _check_version(request: web.Request, *, sas: bool) -> None:
    """x-ms-version is required, except with a SAS: its signed version (sv) stands in for it."""
    version = request.headers.get("x-ms-version")
    if not version and sas:
        return
    if not version:
        raise StorageError(400, "MissingRequiredHeader", "The header x-ms-version is required.")
    if not _VERSION.match(version) or not OLDEST_VERSION <= version <= NEWEST_VERSION:
        raise StorageError(400, "InvalidHeaderValue",
                           f"The value '{version}' of x-ms-version is not a version this service supports "
                           f"({OLDEST_VERSION} to {NEWEST_VERSION}).")


async def _dispatch(request: web.Request) -> web.StreamResponse:
    try:
        account, share, path = _split(request)
        if not account:
            raise StorageError(400, "InvalidUri", "The URL names no storage account: use https://host:port/<account>/...")
        store, account_keys = request.app[STORE_KEY], request.app[_KEYS]
        grant = authenticate(request, account, account_keys, share=share, path=path.strip("/"),
                             policy_of=lambda name, identifier: stored_policy(store, account, name, identifier))
        _check_version(request, sas=grant.kind != "key")
        restype = request.query.get("restype")
        comp = request.query.get("comp")
        if request.query.get("sharesnapshot"):
            # Share snapshots are not emulated: none exists, so none is served (never the live share instead).
            raise StorageError(404, "ShareSnapshotNotFound", "The specified share snapshot does not exist "
                               "(the emulator keeps no share snapshots).")
        found = route(request.method, share, path, restype, comp)
        grant.allow(level=found.level, permission=found.permission)
        if share and restype != "share":
            trailing_dot = (request.headers.get("x-ms-allow-trailing-dot") or "").lower() == "true"
            path = check_path(path, allow_trailing_dot=trailing_dot)
        req = FileServiceRequest(request, store, account, share, path, grant, account_keys)
        if found.guarded:
            guard_write(req)
        return await found.handler(req)
    except StorageError as error:
        return error_response(error, method=request.method)
    except (ConnectionError, asyncio.IncompleteReadError, web.HTTPException):
        raise  # the client went away mid-body (or aiohttp answers itself): nothing to tell it
    except Exception:
        log.exception("Files: %s %s failed", request.method, request.path)
        return error_response(StorageError(500, "InternalError"), method=request.method)


async def _service_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))  # errors set theirs (it is in the body too)
    # A SAS request may leave x-ms-version out: it is served at the SAS's signed version.
    version = request.headers.get("x-ms-version") or request.query.get("sv") or NEWEST_VERSION
    response.headers.setdefault("x-ms-version", version)
    response.headers["Server"] = "Windows-Azure-File/1.0 Microsoft-HTTPAPI/2.0"


def create_files_app(*, account_keys: Callable[[str], list[str] | None], shares_root: Path | None = None,
                     store: ShareStore | None = None) -> web.Application:
    """The Azure Files data plane: `/{account}/{share}/{path}` on this app's root.

    `account_keys(account)` returns the account's base64 keys (None/empty for an unknown account);
    `shares_root/<account>/<share>/` are the shares' directories; the properties the service keeps beside the
    bytes go to `shares_root/.files-meta.sqlite`. Pass `store` to share one ShareStore with the management
    plane (its owner closes it); else the app opens its own on `shares_root` and closes it on cleanup.
    """
    app = web.Application()
    owned = store is None
    if store is None:
        if shares_root is None:
            raise TypeError("create_files_app needs shares_root or store")
        store = ShareStore(Path(shares_root))
    app[STORE_KEY] = store
    app[_KEYS] = account_keys
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    app.on_response_prepare.append(_service_headers)

    async def close_store(app: web.Application) -> None:
        app[STORE_KEY].close()

    if owned:
        app.on_cleanup.append(close_store)
    return app
