"""Shared access signatures for the File service: account SAS and service SAS (share `sr=s`, file `sr=f`).

The signature is checked first (HMAC-SHA256 with an account key over the documented string-to-sign for the
signed version), then the validity window, IP range and protocol, then - per operation, once the request is
routed - the services, resource types and permissions. Failures answer with the service's codes: a wrong
signature or time is `403 AuthenticationFailed`; an IP, protocol, service, resource-type or permission
mismatch is `403 Authorization*Mismatch`.

User delegation SAS (`skoid`...) needs an Entra ID key and is refused as a bad signature: the emulator issues
no user delegation keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import StorageError

# Stored access policy of a share: {"start": ..., "expiry": ..., "permission": ...} (strings as sent) or None.
PolicyLookup = Callable[[str, str], Mapping[str, str] | None]

_SERVICE_FIELDS_AFTER_RESOURCE = ("si", "sip", "spr", "sv", "rscc", "rscd", "rsce", "rscl", "rsct")
# Response headers a service SAS may override on Get File (query parameter -> header).
OVERRIDES = {"rscc": "Cache-Control", "rscd": "Content-Disposition", "rsce": "Content-Encoding",
             "rscl": "Content-Language", "rsct": "Content-Type"}
_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d)(?::(\d\d)(?:\.\d{1,7})?)?)?(Z|[+-]\d\d:\d\d)?$")
_ACCOUNT_SAS_ENCRYPTION_SCOPE_SINCE = "2020-12-06"  # the string-to-sign gained a signedEncryptionScope line


@dataclass(frozen=True)
class Grant:
    """What authorized a request: the account key (everything) or a SAS (what its fields allow)."""

    kind: str  # "key" | "account-sas" | "service-sas"
    permissions: str = ""
    services: str = ""
    resource_types: str = ""
    signed_resource: str = ""  # service SAS: "s" (share) or "f" (file)
    overrides: dict[str, str] = field(default_factory=dict)

    def allow(self, *, level: str, permission: str) -> None:
        """Raise 403 unless this grant covers an operation at `level` ("service", "share", "object")
        needing one of the `permission` letters."""
        if self.kind == "key":
            return
        if self.kind == "account-sas":
            wanted = {"service": "s", "share": "c", "object": "o"}[level]
            if wanted not in self.resource_types:
                raise StorageError(403, "AuthorizationResourceTypeMismatch",
                                   "This request is not authorized to perform this operation using this resource type.")
        elif level != "object" and not (level == "share" and self.signed_resource == "s" and permission in ("r", "l")):
            raise StorageError(403, "AuthorizationResourceTypeMismatch",
                               "This request is not authorized to perform this operation using this resource type.")
        if not any(letter in self.permissions for letter in permission):
            raise StorageError(403, "AuthorizationPermissionMismatch",
                               "This request is not authorized to perform this operation using this permission.")


def parse_sas_time(value: str, *, name: str) -> datetime:
    """`st`/`se`/policy times: ISO 8601 in UTC, date-only or with minutes, seconds and fractions."""
    match = _TIME.match(value)
    if not match:
        raise StorageError(403, "AuthenticationFailed", detail=f"The value of {name} ('{value}') is not a valid time.")
    day, clock, seconds, zone = match.groups()
    text = f"{day}T{clock or '00:00'}:{seconds or '00'}{'' if zone in (None, 'Z') else zone}"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _sign(secret: bytes, text: str) -> bytes:
    return hmac.new(secret, text.encode(), hashlib.sha256).digest()


def _account_string(account: str, q: Mapping[str, str]) -> str:
    fields = [account, *(q.get(name, "") for name in ("sp", "ss", "srt", "st", "se", "sip", "spr", "sv"))]
    if q.get("sv", "") >= _ACCOUNT_SAS_ENCRYPTION_SCOPE_SINCE:
        fields.append(q.get("ses", ""))
    return "\n".join(fields) + "\n"


def _service_string(account: str, share: str, path: str, q: Mapping[str, str]) -> str:
    resource = f"/file/{account}/{share}" + (f"/{path}" if q.get("sr") == "f" and path else "")
    return "\n".join([q.get("sp", ""), q.get("st", ""), q.get("se", ""), resource,
                      *(q.get(name, "") for name in _SERVICE_FIELDS_AFTER_RESOURCE)])


def _check_signature(q: Mapping[str, str], string_to_sign: str, keys: list[str]) -> None:
    try:
        sent = base64.b64decode(q["sig"], validate=True)
    except (binascii.Error, ValueError):
        sent = b""
    for key in keys:
        try:
            secret = base64.b64decode(key)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(_sign(secret, string_to_sign), sent):
            return
    raise StorageError(403, "AuthenticationFailed",
                       detail=f"Signature did not match. String to sign used was {string_to_sign}")


def _check_window(start: str | None, expiry: str | None) -> None:
    if not expiry:
        raise StorageError(403, "AuthenticationFailed", detail="Signed expiry time (se) is required.")
    now = datetime.now(UTC)
    ends = parse_sas_time(expiry, name="se")
    begins = parse_sas_time(start, name="st") if start else None
    if begins is not None and begins > ends:
        raise StorageError(403, "AuthenticationFailed",
                           detail=f"Signed expiry time [{expiry}] must be after signed start time [{start}]")
    if now > ends or (begins is not None and now < begins):
        raise StorageError(403, "AuthenticationFailed",
                           detail=f"Signature not valid in the specified time frame: Start [{start or ''}] - "
                                  f"Expiry [{expiry}] - Current [{now:%a, %d %b %Y %H:%M:%S GMT}]")


def _check_ip_and_protocol(q: Mapping[str, str], remote: str | None, scheme: str) -> None:
    signed_ip = q.get("sip")
    if signed_ip:
        low, _, high = signed_ip.partition("-")
        try:
            # Compared as integers: an IPv4 range never holds an IPv6 client (and the reverse).
            client, first, last = (ipaddress.ip_address(value) for value in (remote or "", low, high or low))
            inside = client.version == first.version == last.version and int(first) <= int(client) <= int(last)
        except ValueError:
            inside = False
        if not inside:
            raise StorageError(403, "AuthorizationSourceIPMismatch",
                               f"This request is not authorized to perform this operation using this source IP {remote}.")
    protocols = q.get("spr")
    if protocols:
        allowed = {part.strip() for part in protocols.split(",")}
        if not allowed <= {"https", "http"} or "https" not in allowed:
            # http alone is not a permitted value: the SAS is malformed, so it does not authenticate.
            raise StorageError(403, "AuthenticationFailed", detail=f"spr '{protocols}' must be https or https,http.")
        if scheme not in allowed:
            raise StorageError(403, "AuthorizationProtocolMismatch",
                               "This request is not authorized to perform this operation using this protocol.")


def _with_policy(q: Mapping[str, str], share: str, policy_of: PolicyLookup) -> dict[str, str]:
    """The SAS fields, completed from the share's stored access policy named by `si`: a field given in both
    places is refused, as the service does."""
    fields = dict(q)
    identifier = q.get("si")
    if not identifier:
        return fields
    policy = policy_of(share, identifier)
    if policy is None:
        raise StorageError(403, "AuthenticationFailed",
                           detail=f"The specified signed identifier '{identifier}' does not exist on share '{share}'.")
    for query_name, policy_name in (("st", "start"), ("se", "expiry"), ("sp", "permission")):
        if policy.get(policy_name):
            if fields.get(query_name):
                raise StorageError(403, "AuthenticationFailed",
                                   detail=f"{query_name} is given by both the SAS and the access policy '{identifier}'.")
            fields[query_name] = policy[policy_name]
    return fields


def verify_sas(q: Mapping[str, str], *, account: str, share: str, path: str, keys: list[str], remote: str | None,
               scheme: str, policy_of: PolicyLookup) -> Grant:
    """The grant of a SAS-carrying request (query parameters `q`, decoded), or the service's 403."""
    if any(name in q for name in ("skoid", "sktid", "skt", "ske")):
        raise StorageError(403, "AuthenticationFailed",
                           detail="User delegation SAS is not supported by the emulator (it issues no delegation keys).")
    if not q.get("sv"):
        raise StorageError(403, "AuthenticationFailed", detail="The signed version (sv) is required.")
    if "ss" in q or "srt" in q:  # account SAS
        _check_signature(q, _account_string(account, q), keys)
        _check_window(q.get("st"), q.get("se"))
        _check_ip_and_protocol(q, remote, scheme)
        if "f" not in q.get("ss", ""):
            raise StorageError(403, "AuthorizationServiceMismatch",
                               "This request is not authorized to perform this operation using this service.")
        return Grant("account-sas", permissions=q.get("sp", ""), services=q.get("ss", ""),
                     resource_types=q.get("srt", ""))
    signed_resource = q.get("sr", "")
    if signed_resource not in ("s", "f"):
        raise StorageError(403, "AuthenticationFailed", detail=f"Signed resource (sr) '{signed_resource}' is not s or f.")
    if not share:
        raise StorageError(403, "AuthorizationResourceTypeMismatch",
                           "This request is not authorized to perform this operation using this resource type.")
    _check_signature(q, _service_string(account, share, path, q), keys)
    fields = _with_policy(q, share, policy_of)
    _check_window(fields.get("st"), fields.get("se"))
    _check_ip_and_protocol(q, remote, scheme)
    overrides = {header: q[name] for name, header in OVERRIDES.items() if q.get(name)}
    return Grant("service-sas", permissions=fields.get("sp", ""), signed_resource=signed_resource, overrides=overrides)


def has_sas(query: Mapping[str, Any]) -> bool:
    return "sig" in query
