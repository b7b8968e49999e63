"""Azure Resource Manager for the resources this project manages, one module per provider.

`build_arm(ctx)` returns the aiohttp handler for every non-admin path of the management port. Any
well-formed bearer token is accepted (`Authorization: Bearer <non-empty>`): there is no identity locally.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from . import (
    containerapps,
    environments,
    loganalytics,
    resources,
    storage,
    subscription_checks,
    workload_profile_catalog,
)
from .context import ArmContext
from .errors import ArmError, error_response
from .logstream import LOGSTREAM, serve_logstream
from .routing import Router

log = logging.getLogger(__name__)


def build_arm(ctx: ArmContext) -> Any:
    router = Router()
    # The subscription's checks and the location catalog first: their routes answer before a provider's.
    for module in (subscription_checks, workload_profile_catalog, resources, storage, loganalytics, environments,
                   containerapps):
        module.register(router, ctx)

    async def handle(request: web.Request) -> web.StreamResponse:
        request_id = request.headers.get("x-ms-client-request-id", "")
        try:
            stream = LOGSTREAM.match(request.path)
            if stream and request.method == "GET":
                return await serve_logstream(ctx, request, stream)
            authorization = request.headers.get("Authorization", "")
            if not authorization:
                raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is "
                                                            "missing.")
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid: expected "
                                                                  "'Authorization: Bearer <token>'.")
            # ARM's own refusals (registration, permissions, names taken), then the location's, before a provider
            guarded = subscription_checks.guard(ctx, request)
            if guarded is None and (refused := await workload_profile_catalog.refusal(ctx, request)) is not None:
                raise refused
            response = guarded or await router.dispatch(request)
        except ArmError as error:
            response = error.response()
        except Exception:  # a bug of ours: answer as ARM does, keep the traceback in our log
            log.exception("unhandled error for %s %s", request.method, request.path)
            response = error_response(500, "InternalServerError", "The local emulator failed to process the request; "
                                                                 "see its log.")
        if request_id and not response.prepared:
            response.headers["x-ms-client-request-id"] = request_id
        if not response.prepared:
            response.headers.setdefault("x-ms-request-id", request_id or "local")
        return response

    return handle
