"""Wire formats of the File service: dates, ETags, byte ranges, metadata, MD5 values, request XML."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

from .errors import StorageError

MAX_RANGE_BYTES = 4 * 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_METADATA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def rfc1123(ns: int) -> str:
    return format_datetime(datetime.fromtimestamp(ns / 1e9, UTC), usegmt=True)


def file_time(ns: int) -> str:
    """ISO 8601 with the service's seven fractional digits: 2017-05-10T17:52:33.9551861Z."""
    seconds, rest = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{rest // 100:07d}Z"


def parse_file_time(value: str, *, header: str) -> int | None:
    """Nanoseconds since the epoch, None for 'now'/'preserve' (the caller decides), 400 when malformed."""
    if value.lower() in ("now", "preserve"):
        return None
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z", value)
    if not match:
        raise StorageError(400, "InvalidHeaderValue", f"The value '{value}' of header {header} is not an ISO 8601 time.")
    base = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    fraction = (match.group(2) or "").ljust(7, "0")
    return int(base.timestamp()) * 1_000_000_000 + int(fraction) * 100


def etag(*parts: object) -> str:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=7).hexdigest().upper()
    return f'"0x8{digest}"'


def parse_range(value: str, *, header: str) -> tuple[int, int | None]:
    """`bytes=start-end` -> (start, end inclusive or None when open-ended)."""
    match = _RANGE.match(value.strip())
    if not match:
        raise StorageError(400, "InvalidHeaderValue", f"The value '{value}' of header {header} is not a byte range.")
    start, end = int(match.group(1)), int(match.group(2)) if match.group(2) else None
    if end is not None and end < start:
        raise StorageError(400, "InvalidHeaderValue", f"The range '{value}' ends before it starts.")
    return start, end


def decode_md5(value: str, *, header: str) -> bytes:
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise StorageError(400, "InvalidMd5", detail=None,
                           message=f"The MD5 value specified in {header} is invalid. It must be 128 bits, Base64-encoded.")
    return digest


def encode_md5(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def metadata_from(headers: Mapping[str, str]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower().startswith("x-ms-meta-"):
            key = name[len("x-ms-meta-"):]
            if not _METADATA_NAME.match(key):
                raise StorageError(400, "InvalidMetadata",
                                   f"The metadata name '{key}' is not a valid C# identifier.")
            metadata[key] = value
    return metadata


def metadata_headers(metadata: Mapping[str, str]) -> dict[str, str]:
    return {f"x-ms-meta-{name}": value for name, value in metadata.items()}


def int_header(headers: Mapping[str, str], name: str, *, required: bool = False) -> int | None:
    value = headers.get(name)
    if value is None:
        if required:
            raise StorageError(400, "MissingRequiredHeader", f"The header {name} is required for this request.")
        return None
    try:
        number = int(value)
    except ValueError:
        raise StorageError(400, "InvalidHeaderValue", f"The value '{value}' of header {name} is not an integer.") from None
    if number < 0:
        raise StorageError(400, "OutOfRangeInput", f"The value of header {name} must not be negative.")
    return number


def request_xml(body: bytes, root_tag: str, what: str) -> ElementTree.Element:
    """A request's XML document, refused as the service refuses it (400 InvalidXmlDocument) when it is not
    well-formed or its root is not `root_tag`."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise StorageError(400, "InvalidXmlDocument", f"The XML of {what} is not well-formed.") from None
    if root.tag != root_tag:
        raise StorageError(400, "InvalidXmlDocument", f"The root element must be {root_tag}.")
    return root
