"""SharedKey-signed raw requests for tests that need exact wire control (what the CLI sends, bad bodies)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from email.utils import formatdate
from urllib.parse import unquote, urlsplit


def signed_headers(files, method: str, url: str, headers: dict[str, str] | None = None,
                   content_length: int = 0, *, lite: bool = False) -> dict[str, str]:
    """Headers with a SharedKey signature made by the documented canonicalization (written independently of the
    server's code, so a test through it checks the server against the documentation)."""
    headers = {"x-ms-version": "2026-04-06", "x-ms-date": formatdate(usegmt=True), **(headers or {})}
    parts = urlsplit(url)
    standard = ["Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date",
                "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range"]
    values = {**headers, "Content-Length": str(content_length) if content_length else ""}
    lines = [method] + [values.get(name, "") for name in standard]
    canonical_headers = "".join(f"{name.lower()}:{value}\n" for name, value in
                                sorted(headers.items(), key=lambda item: item[0].lower())
                                if name.lower().startswith("x-ms-"))
    query = sorted((pair.split("=", 1) + [""])[:2] for pair in parts.query.split("&") if pair)
    canonical_query = "".join(f"\n{name.lower()}:{unquote(value)}" for name, value in query)
    string_to_sign = "\n".join(lines) + "\n" + canonical_headers + f"/{files.account}{parts.path}" + canonical_query
    if lite:  # SharedKeyLite: verb, Content-MD5, Content-Type, Date, x-ms headers, path (+ ?comp=)
        comp = dict(query).get("comp")
        string_to_sign = (f"{method}\n{values.get('Content-MD5', '')}\n{values.get('Content-Type', '')}\n"
                          f"{values.get('Date', '')}\n{canonical_headers}/{files.account}{parts.path}"
                          + (f"?comp={comp}" if comp else ""))
    signature = base64.b64encode(hmac.new(base64.b64decode(files.key), string_to_sign.encode(),
                                          hashlib.sha256).digest()).decode()
    scheme = "SharedKeyLite" if lite else "SharedKey"
    return {**headers, "Authorization": f"{scheme} {files.account}:{signature}"}
