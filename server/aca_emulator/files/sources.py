"""The other end of Rename, Copy File and Put Range From URL: a URL on this emulator, and who may read it.

A source in the same account is authorized by the request's own account key; any other source (or a request
made with a SAS) needs a SAS on the source URL that grants read. Sources outside this emulator are refused:
it has nowhere to fetch them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from .context import FileServiceRequest
from .errors import StorageError
from .sas import verify_sas
from .store import check_path


@dataclass(frozen=True)
class Source:
    account: str
    share: str
    path: str
    query: dict[str, str]


def parse_source(req: FileServiceRequest, url: str, *, header: str) -> Source:
    """`url` (full, or a path on this host) as account/share/path; trailing dots as
    `x-ms-source-allow-trailing-dot` says."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc.lower() != req.request.host.lower():
        raise StorageError(400, "InvalidHeaderValue", f"The {header} '{url}' is not on this emulator "
                           f"({req.request.host}): it copies and renames only within its own accounts.")
    segments = parts.path.lstrip("/").split("/", 2)
    if len(segments) < 3 or not segments[2]:
        raise StorageError(400, "InvalidHeaderValue", f"The {header} '{url}' names no file or directory.")
    account, share, path = (unquote(segment) for segment in segments)
    path = check_path(path, allow_trailing_dot=req.flag("x-ms-source-allow-trailing-dot"))
    return Source(account, share, path, dict(parse_qsl(parts.query, keep_blank_values=True)))


def authorize_source(req: FileServiceRequest, source: Source) -> None:
    """403 unless the request may read `source` (see the module's docstring)."""
    if source.account == req.account and req.grant.kind == "key" and "sig" not in source.query:
        return
    if "sig" not in source.query:
        raise StorageError(403, "CannotVerifyCopySource", "The source needs a SAS granting read: it is in another "
                           "account, or the request itself is authorized by a SAS.",
                           headers={"x-ms-copy-source-status-code": "401",
                                    "x-ms-copy-source-error-code": "NoAuthenticationInformation"})
    keys = req.account_keys(source.account) or []
    try:
        grant = verify_sas(source.query, account=source.account, share=source.share, path=source.path, keys=keys,
                           remote=req.request.remote, scheme="https", policy_of=req.policy_of(source.account))
        grant.allow(level="object", permission="r")
    except StorageError as error:
        raise StorageError(error.status, "CannotVerifyCopySource", error.message,
                           headers={"x-ms-copy-source-status-code": str(error.status),
                                    "x-ms-copy-source-error-code": error.code}) from None
