"""Lease File and Lease Share (`comp=lease`), and the lease check every write goes through.

A file lease is infinite (the service allows no other duration); a share lease lasts 15-60 s or is infinite
and can be renewed. A leased file or share refuses writes and deletes that do not carry its lease id
(412 LeaseIdMissing / LeaseIdMismatchWithFileOperation, as the service answers); reads need no lease id.
The lease lives in the item's properties, so it survives an emulator restart like the service's does.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import StorageError
from .store import Node
from .wire import rfc1123

if TYPE_CHECKING:  # context reports lease headers, so it imports this module; annotations only here
    from .context import FileServiceRequest

_ACTIONS = ("acquire", "release", "change", "renew", "break")


def lease_state(node: Node) -> tuple[str, dict[str, Any] | None]:
    """("available" | "leased" | "breaking" | "broken" | "expired", the lease record)."""
    lease = node.props.get("lease")
    if not isinstance(lease, dict):
        return "available", None
    now = time.time()
    if lease["state"] == "leased" and lease.get("expires") is not None and now >= lease["expires"]:
        return "expired", lease
    if lease["state"] == "breaking" and now >= lease["breaks_at"]:
        return "broken", lease
    return lease["state"], lease


def lease_headers(node: Node) -> dict[str, str]:
    """x-ms-lease-state/-status/-duration as Get Properties reports them."""
    state, lease = lease_state(node)
    headers = {"x-ms-lease-state": "available" if state == "expired" else state,
               "x-ms-lease-status": "locked" if state in ("leased", "breaking") else "unlocked"}
    if state == "leased" and lease is not None:
        headers["x-ms-lease-duration"] = "infinite" if lease.get("expires") is None else "fixed"
    return headers


def check_lease(node: Node, headers: Mapping[str, str], *, header: str = "x-ms-lease-id", kind: str = "File") -> None:
    """412 unless a write to `node` may go ahead: no active lease, or the request names it."""
    state, lease = lease_state(node)
    sent = headers.get(header)
    active = state in ("leased", "breaking") and lease is not None
    if active and not sent:
        raise StorageError(412, "LeaseIdMissing",
                           f"There is currently a lease on the {kind.lower()} and no lease ID was specified in the request.")
    if sent and (not active or lease is None or sent.lower() != lease["id"].lower()):
        code = f"LeaseIdMismatchWith{kind}Operation" if active else f"LeaseNotPresentWith{kind}Operation"
        raise StorageError(412, code, f"The lease ID specified did not match the lease ID for the {kind.lower()}."
                           if active else f"There is currently no lease on the {kind.lower()}.")


def _duration(req: FileServiceRequest, *, share: bool) -> float | None:
    """Seconds, or None for infinite; files take only infinite (-1)."""
    value = req.headers.get("x-ms-lease-duration", "-1")
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if seconds == -1:
        return None
    if not share or not 15 <= seconds <= 60:
        raise StorageError(400, "InvalidHeaderValue",
                           f"x-ms-lease-duration '{value}' must be -1{' or 15-60' if share else ''}.")
    return float(seconds)


def _break_period(req: FileServiceRequest) -> float | None:
    value = req.headers.get("x-ms-lease-break-period")
    if value is None:
        return None
    if not value.isdigit() or int(value) > 60:
        raise StorageError(400, "InvalidHeaderValue", f"x-ms-lease-break-period '{value}' must be 0-60 seconds.")
    return float(value)


def _proposed(req: FileServiceRequest) -> str:
    value = req.headers.get("x-ms-proposed-lease-id") or str(uuid.uuid4())
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise StorageError(400, "InvalidHeaderValue", f"The lease id '{value}' is not a GUID.") from None


def _apply(req: FileServiceRequest, node: Node, *, share: bool) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
    """(status, the new lease record or None, extra headers) of the request's lease action on `node`."""
    kind = "Share" if share else "File"
    action = (req.headers.get("x-ms-lease-action") or "").lower()
    if action not in _ACTIONS or (action == "renew" and not share):
        raise StorageError(400, "InvalidHeaderValue", f"x-ms-lease-action '{action}' is not one of "
                           f"{', '.join(a for a in _ACTIONS if share or a != 'renew')}.")
    state, lease = lease_state(node)
    active = state in ("leased", "breaking") and lease is not None
    sent = (req.headers.get("x-ms-lease-id") or "").lower()
    if action == "acquire":
        proposed = _proposed(req)
        if state == "breaking" or (active and lease is not None and lease["id"] != proposed):
            raise StorageError(409, "LeaseAlreadyPresent", "There is already a lease present.")
        duration = _duration(req, share=share)
        record = {"id": proposed, "state": "leased", "expires": None if duration is None else time.time() + duration,
                  "seconds": duration}
        return 201, record, {"x-ms-lease-id": proposed}
    if action == "break":
        if lease is None or state in ("available", "expired"):
            raise StorageError(409, "LeaseNotPresentWithLeaseOperation", f"There is currently no lease on the {kind.lower()}.")
        remaining = 0.0 if lease.get("expires") is None else max(0.0, lease["expires"] - time.time())
        # Files break at once; a share waits the break period asked for, else what its lease has left.
        wait = _break_period(req) if share else 0.0
        wait = remaining if wait is None else wait
        record = {**lease, "state": "breaking" if wait > 0 else "broken", "breaks_at": time.time() + wait}
        return 202, record, {"x-ms-lease-time": str(int(wait))}
    if lease is None or (state in ("available", "expired") and action != "renew"):
        raise StorageError(409, "LeaseNotPresentWithLeaseOperation", f"There is currently no lease on the {kind.lower()}.")
    if sent != lease["id"]:
        raise StorageError(409, "LeaseIdMismatchWithLeaseOperation",
                           f"The lease ID specified did not match the lease ID for the {kind.lower()}.")
    if action == "release":
        return 200, None, {}
    if action == "renew":
        if state in ("breaking", "broken"):
            raise StorageError(409, "LeaseIsBrokenAndCannotBeRenewed", "The lease ID matched, but the lease has been broken.")
        seconds = lease.get("seconds")
        return 200, {**lease, "state": "leased", "expires": None if seconds is None else time.time() + seconds}, \
            {"x-ms-lease-id": lease["id"]}
    if state == "breaking":  # change
        raise StorageError(409, "LeaseIsBreakingAndCannotBeChanged", "The lease ID matched, but the lease is being broken.")
    if state == "broken":
        raise StorageError(409, "LeaseNotPresentWithLeaseOperation", f"There is currently no lease on the {kind.lower()}.")
    proposed = _proposed(req)
    return 200, {**lease, "id": proposed}, {"x-ms-lease-id": proposed}


def guard_write(req: FileServiceRequest) -> None:
    """The lease check of a write or delete, before its handler runs: a share's lease guards deleting the share
    (and any share write that names a lease id); a file's lease guards every change to the file."""
    share_level = req.query.get("restype") == "share"
    if (req.account, req.share, "" if share_level else req.path) not in req.store.lease_hints:
        return  # never leased: the common case costs one set lookup
    if share_level:
        node = req.store.share_node(req.account, req.share)
        if req.request.method == "DELETE" or req.headers.get("x-ms-lease-id"):
            check_lease(node, req.headers, kind="Share")
        return
    try:
        node = req.store.node(req.account, req.share, req.path, directory=False)
    except StorageError:
        return  # nothing there yet (or a directory): nothing leased
    renaming = req.query.get("comp") == "rename"
    check_lease(node, req.headers, header="x-ms-destination-lease-id" if renaming else "x-ms-lease-id")


async def lease_file(req: FileServiceRequest) -> web.Response:
    node = req.store.node(req.account, req.share, req.path, directory=False)
    status, record, extra = _apply(req, node, share=False)
    req.store.lease_hints.add((req.account, req.share, req.path))
    node = req.store.set_properties(req.account, req.share, node, {"lease": record})
    return web.Response(status=status, headers={"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns),
                                                **extra})


async def lease_share(req: FileServiceRequest) -> web.Response:
    node = req.store.share_node(req.account, req.share)
    status, record, extra = _apply(req, node, share=True)
    req.store.lease_hints.add((req.account, req.share, ""))
    node = req.store.set_share_properties(req.account, req.share, {"lease": record})
    return web.Response(status=status, headers={"ETag": node.etag, "Last-Modified": rfc1123(node.last_modified_ns),
                                                **extra})
