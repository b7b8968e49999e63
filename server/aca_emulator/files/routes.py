"""What each request is: (method, restype, comp) per URL level -> the handler, and what a SAS must grant for
it (the account-SAS resource type, the permission letters any one of which suffices)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from . import copy_handlers as copies
from . import directory_handlers as directories
from . import file_handlers as files
from . import handles, leases, permissions, range_list
from . import rename_handlers as renames
from . import service_handlers as service
from . import share_handlers as shares
from . import share_policy_handlers as share_policies
from .context import FileServiceRequest
from .errors import StorageError

Handler = Callable[[FileServiceRequest], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    level: str  # "service" | "share" | "object": the account-SAS resource type (s, c, o)
    permission: str  # SAS permission letters, any of which allows the operation
    guarded: bool = False  # a write or delete a lease can refuse (leases.guard_write)


async def _head_file(req: FileServiceRequest) -> web.StreamResponse:
    return await files.get_file(req, head=True)


async def _put_file(req: FileServiceRequest) -> web.StreamResponse:
    """PUT on a file is Create File, or Copy File when it names a copy source."""
    if req.headers.get("x-ms-copy-source"):
        return await copies.copy_file_from_url(req)
    return await files.create_file(req)


async def _put_range(req: FileServiceRequest) -> web.StreamResponse:
    """Put Range, or Put Range From URL when it names a copy source."""
    if req.headers.get("x-ms-copy-source"):
        return await copies.put_range_from_url(req)
    return await files.put_range(req)


Table = dict[tuple[str, str | None, str | None], Route]

ACCOUNT: Table = {
    ("GET", None, "list"): Route(shares.list_shares, "service", "l"),
    ("GET", "service", "properties"): Route(service.get_service_properties, "service", "r"),
    ("PUT", "service", "properties"): Route(service.set_service_properties, "service", "w"),
}
SHARE: Table = {
    ("PUT", "share", None): Route(shares.create_share, "share", "c"),
    ("GET", "share", None): Route(shares.share_properties, "share", "r"),
    ("HEAD", "share", None): Route(shares.share_properties, "share", "r"),
    ("DELETE", "share", None): Route(shares.delete_share, "share", "d", guarded=True),
    ("PUT", "share", "metadata"): Route(shares.set_share_metadata, "share", "w", guarded=True),
    ("PUT", "share", "properties"): Route(shares.set_share_properties, "share", "w", guarded=True),
    ("GET", "share", "acl"): Route(share_policies.get_share_acl, "share", "r"),
    ("HEAD", "share", "acl"): Route(share_policies.get_share_acl, "share", "r"),
    ("PUT", "share", "acl"): Route(share_policies.set_share_acl, "share", "w", guarded=True),
    ("GET", "share", "stats"): Route(share_policies.share_stats, "share", "r"),
    ("PUT", "share", "lease"): Route(leases.lease_share, "share", "w"),
    ("PUT", "share", "filepermission"): Route(permissions.create_permission, "share", "cw"),
    ("GET", "share", "filepermission"): Route(permissions.get_permission, "share", "r"),
}
DIRECTORY: Table = {
    ("PUT", "directory", None): Route(directories.create_directory, "object", "cw"),
    ("GET", "directory", None): Route(directories.directory_properties, "object", "r"),
    ("HEAD", "directory", None): Route(directories.directory_properties, "object", "r"),
    ("DELETE", "directory", None): Route(directories.delete_directory, "object", "d"),
    ("PUT", "directory", "metadata"): Route(directories.set_directory_metadata, "object", "w"),
    ("PUT", "directory", "properties"): Route(directories.set_directory_properties, "object", "w"),
    ("GET", "directory", "list"): Route(directories.list_directory, "share", "l"),
    ("PUT", "directory", "rename"): Route(renames.rename_directory, "object", "w"),
    ("GET", "directory", "listhandles"): Route(handles.list_handles, "object", "l"),
    ("PUT", "directory", "forceclosehandles"): Route(handles.force_close_handles, "object", "w"),
}
FILE: Table = {
    ("PUT", None, None): Route(_put_file, "object", "cw", guarded=True),
    ("PUT", None, "range"): Route(_put_range, "object", "w", guarded=True),
    ("GET", None, None): Route(files.get_file, "object", "r"),
    ("HEAD", None, None): Route(_head_file, "object", "r"),
    ("DELETE", None, None): Route(files.delete_file, "object", "d", guarded=True),
    ("PUT", None, "properties"): Route(files.set_file_properties, "object", "w", guarded=True),
    ("PUT", None, "metadata"): Route(files.set_file_metadata, "object", "w", guarded=True),
    ("GET", None, "rangelist"): Route(range_list.list_ranges, "object", "r"),
    ("PUT", None, "rename"): Route(renames.rename_file, "object", "w", guarded=True),
    ("PUT", None, "copy"): Route(copies.abort_copy, "object", "w", guarded=True),
    ("PUT", None, "lease"): Route(leases.lease_file, "object", "w"),
    ("GET", None, "listhandles"): Route(handles.list_handles, "object", "l"),
    ("PUT", None, "forceclosehandles"): Route(handles.force_close_handles, "object", "w"),
}


def route(method: str, share: str, path: str, restype: str | None, comp: str | None) -> Route:
    if not share:
        table = ACCOUNT
    elif restype == "share":
        table = SHARE
    elif restype == "directory":
        table = DIRECTORY
    elif path:
        table = FILE
    else:
        raise StorageError(400, "InvalidQueryParameterValue",
                           "A request on a share needs restype=share or restype=directory.")
    found = table.get((method, restype, comp))
    if found is None:
        if any(m == method for m, *_ in table):
            raise StorageError(400, "InvalidQueryParameterValue",
                               f"restype={restype} comp={comp} is not an operation this emulator supports here.")
        raise StorageError(405, "UnsupportedHttpVerb")
    return found
