"""The File service's error answers: status, `x-ms-error-code` header and the `<Error>` XML body."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from aiohttp import web

# The service's own messages for the codes this emulator answers with.
MESSAGES = {
    "AuthenticationFailed": "Server failed to authenticate the request. Make sure the value of Authorization header is "
                            "formed correctly including the signature.",
    "NoAuthenticationInformation": "Server failed to authenticate the request. Please refer to the information in the "
                                   "www-authenticate header.",
    "ShareNotFound": "The specified share does not exist.",
    "ShareAlreadyExists": "The specified share already exists.",
    "ResourceNotFound": "The specified resource does not exist.",
    "ParentNotFound": "The specified parent path does not exist.",
    "ResourceAlreadyExists": "The specified resource already exists.",
    "ResourceTypeMismatch": "The specified resource type does not match the type of the existing resource.",
    "DirectoryNotEmpty": "The specified directory is not empty.",
    "InvalidRange": "The range specified is invalid for the current size of the resource.",
    "Md5Mismatch": "The MD5 value specified in the request did not match with the MD5 value calculated by the server.",
    "InvalidMd5": "The MD5 value specified in the request is invalid. The MD5 value must be 128 bits and Base64-encoded.",
    "InvalidHeaderValue": "The value for one of the HTTP headers is not in the correct format.",
    "MissingRequiredHeader": "An HTTP header that's mandatory for this request is not specified.",
    "InvalidQueryParameterValue": "Value for one of the query parameters specified in the request URI is invalid.",
    "OutOfRangeQueryParameterValue": "One of the query parameters specified in the request URI is outside the "
                                     "permissible range.",
    "OutOfRangeInput": "One of the request inputs is out of range.",
    "InvalidResourceName": "The specifed resource name contains invalid characters.",
    "InvalidUri": "The requested URI does not represent any resource on the server.",
    "UnsupportedHttpVerb": "The resource doesn't support specified Http Verb.",
    "UnsupportedHeader": "One of the HTTP headers specified in the request is not supported.",
    "RequestBodyTooLarge": "The request body is too large and exceeds the maximum permissible limit.",
    "InvalidMetadata": "The metadata specified is invalid. It has characters that are not permitted.",
    "MissingContentLengthHeader": "The Content-Length header was not specified.",
    "InvalidInput": "One of the request inputs is not valid.",
    "ConditionNotMet": "The condition specified using HTTP conditional header(s) is not met.",
    "InternalError": "Server encountered an internal error. Please try again after some time.",
}


class StorageError(Exception):
    """Raised by handlers; the app turns it into the service's error response."""

    def __init__(self, status: int, code: str, message: str | None = None, *,
                 detail: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, code)
        self.detail = detail
        self.headers = headers or {}


def error_response(error: StorageError, *, method: str, request_id: str | None = None) -> web.Response:
    request_id = request_id or str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    headers = {"x-ms-error-code": error.code, "x-ms-request-id": request_id, **error.headers}
    if method == "HEAD":
        return web.Response(status=error.status, headers=headers)
    detail = f"<AuthenticationErrorDetail>{escape(error.detail)}</AuthenticationErrorDetail>" if error.detail else ""
    body = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{error.code}</Code>'
            f"<Message>{escape(error.message)}\nRequestId:{request_id}\nTime:{now}</Message>{detail}</Error>")
    return web.Response(status=error.status, body=body.encode(), content_type="application/xml", charset="utf-8",
                        headers=headers)
