"""Who may make a request: SharedKey / SharedKeyLite (documented canonicalization) or a SAS (`sas.py`).

With IP-style URLs (`https://127.0.0.1:PORT/<account>/<share>/...`) the canonicalized resource is
`/<account>` followed by the raw URL path, i.e. `/<account>/<account>/<share>/...` (what the SDKs and the
CLI sign, the scheme Azurite uses).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from aiohttp import web

from .errors import StorageError
from .sas import Grant, PolicyLookup, has_sas, verify_sas

# What the service sends with 401 NoAuthenticationInformation: where to get a bearer token for storage.
_CHALLENGE = ("Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize "
              "resource_id=https://storage.azure.com")

# The standard headers of the SharedKey string-to-sign, in order.
_SIGNED_HEADERS = ("Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date",
                   "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range")
_CLOCK_SKEW = timedelta(minutes=15)


def _canonical_headers(request: web.Request, *, service_collation: bool) -> str:
    grouped: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower.startswith("x-ms-"):
            grouped.setdefault(lower, []).append(value)
    # The service sorts with a collation that ignores '-' at first; plain ordinal order is the documented one.
    # Both agree for nearly every real header set; accepting either costs one extra HMAC.
    key = (lambda n: (n.replace("-", ""), n)) if service_collation else None
    return "".join(f"{name}:{','.join(grouped[name])}\n" for name in sorted(grouped, key=key))


def _canonical_query(request: web.Request) -> str:
    grouped: dict[str, list[str]] = {}
    for name, value in request.query.items():
        grouped.setdefault(name.lower(), []).append(unquote(value))
    return "".join(f"\n{name}:{','.join(sorted(grouped[name]))}" for name in sorted(grouped))


def _raw_path(request: web.Request) -> str:
    return request.raw_path.split("?", 1)[0]


def _shared_key_strings(request: web.Request, account: str) -> Iterable[str]:
    values = []
    for name in _SIGNED_HEADERS:
        value = request.headers.get(name, "")
        if name == "Content-Length" and value == "0":
            value = ""
        values.append(value)
    head = request.method + "\n" + "\n".join(values) + "\n"
    query = _canonical_query(request)
    raw = _raw_path(request)
    for path in dict.fromkeys((raw, unquote(raw))):  # raw first; decoded for clients that sign the decoded path
        for collation in (True, False):
            yield head + _canonical_headers(request, service_collation=collation) + f"/{account}{path}" + query


def _shared_key_lite_strings(request: web.Request, account: str) -> Iterable[str]:
    head = "\n".join((request.method, request.headers.get("Content-MD5", ""), request.headers.get("Content-Type", ""),
                      request.headers.get("Date", ""))) + "\n"
    comp = request.query.get("comp")
    suffix = f"?comp={comp}" if comp is not None else ""
    for collation in (True, False):
        yield head + _canonical_headers(request, service_collation=collation) + f"/{account}{_raw_path(request)}{suffix}"


def _check_date(request: web.Request) -> None:
    value = request.headers.get("x-ms-date") or request.headers.get("Date")
    if not value:
        raise StorageError(403, "AuthenticationFailed", detail="The Date header or x-ms-date header is required.")
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise StorageError(403, "AuthenticationFailed", detail=f"The date '{value}' is not in RFC 1123 format.") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs(datetime.now(UTC) - sent) > _CLOCK_SKEW:
        raise StorageError(403, "AuthenticationFailed",
                           detail=f"Request date header too old or too far in the future: '{value}'.")


def authenticate(request: web.Request, account: str, account_keys: Callable[[str], list[str] | None], *,
                 share: str, path: str, policy_of: PolicyLookup) -> Grant:
    """The request's grant, or the service's 401/403: SharedKey with one of the account's keys, or a SAS.

    Anonymous requests get 401 NoAuthenticationInformation with the bearer challenge, as the storage services
    answer since version 2019-12-12 (Azure Files has no anonymous access at all)."""
    header = request.headers.get("Authorization")
    if not header and has_sas(request.query):
        keys = account_keys(account)
        if not keys:
            raise StorageError(403, "AuthenticationFailed", detail=f"The storage account '{account}' does not exist.")
        return verify_sas(request.query, account=account, share=share, path=path, keys=keys, remote=request.remote,
                          scheme=request.scheme, policy_of=policy_of)
    if not header:
        raise StorageError(401, "NoAuthenticationInformation", headers={"WWW-Authenticate": _CHALLENGE})
    _check_shared_key(request, account, account_keys, header)
    return Grant("key")


def _check_shared_key(request: web.Request, account: str, account_keys: Callable[[str], list[str] | None],
                      header: str) -> None:
    scheme, _, credential = header.partition(" ")
    signer, _, signature = credential.strip().rpartition(":")
    if scheme not in ("SharedKey", "SharedKeyLite") or not signer or not signature:
        raise StorageError(403, "AuthenticationFailed", detail="The Authorization header is not SharedKey or SharedKeyLite.")
    if signer != account:
        raise StorageError(403, "AuthenticationFailed",
                           detail=f"The account in the Authorization header ('{signer}') is not the account of the URL.")
    keys = account_keys(account)
    if not keys:
        raise StorageError(403, "AuthenticationFailed", detail=f"The storage account '{account}' does not exist.")
    _check_date(request)
    try:
        sent = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise StorageError(403, "AuthenticationFailed", detail="The signature is not valid base64.") from None
    secrets = []
    for key in keys:
        try:
            secrets.append(base64.b64decode(key))
        except (binascii.Error, ValueError):
            continue
    candidates = _shared_key_strings(request, account) if scheme == "SharedKey" else _shared_key_lite_strings(request, account)
    first = None
    for string_to_sign in candidates:
        first = first or string_to_sign
        message = string_to_sign.encode()
        for secret in secrets:
            if hmac.compare_digest(hmac.new(secret, message, hashlib.sha256).digest(), sent):
                return
    # Like the service: the string the server signed (no secret in it) helps find the client's mistake.
    raise StorageError(403, "AuthenticationFailed",
                       detail=f"The MAC signature found in the HTTP request '{signature}' is not the same as any computed "
                              f"signature. Server used following string to sign: '{first}'.")
