"""Routes for the operator rather than the chat: reload the adapters, and the page's sign-in ticket.

`/admin/*` and `/auth/ticket` need the bearer API key (ApiKeyMiddleware); `/auth/redeem` needs only the ticket."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from .engine import RequestRejected
from .model_service import ModelService
from .sign_in import SignIn, TicketRefused, cookie_header


def build_admin(service: ModelService, sign_in: SignIn) -> APIRouter:
    router = APIRouter()

    @router.post("/admin/reload")
    async def reload() -> JSONResponse:
        if service.state != "ready":
            raise RequestRejected("The model is still loading; reload once GET /health says ready.")
        result = await service.reload()
        return JSONResponse({**asdict(result), "seconds": round(result.seconds, 3), "models": service.served_ids()})

    @router.post("/auth/ticket")
    async def ticket(request: Request) -> JSONResponse:
        value, expires = sign_in.mint_ticket()
        # The link as the client reached us (deploy knows the public URL too; this one is for convenience).
        link = str(request.base_url).rstrip("/") + "/auth/redeem?" + urlencode({"ticket": value})
        return JSONResponse({"ticket": value, "expires_at": expires, "url": link},
                            headers={"Cache-Control": "no-store"})

    @router.get("/auth/redeem", response_model=None)
    async def redeem(ticket: str = "") -> RedirectResponse | HTMLResponse:
        try:
            session = sign_in.redeem(ticket)
        except TicketRefused as error:
            return HTMLResponse(_refused_page(str(error)), status_code=401,
                                headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        # 303: the browser follows with a GET to the clean URL; the ticket leaves the address bar and history.
        # "../" (relative: from /auth/redeem to the app's root) keeps a proxy's path prefix, e.g. code-server's
        # /proxy/<port>/ forward of a local endpoint; on ACA it is "/".
        return RedirectResponse("../", status_code=303, headers={
            "Set-Cookie": cookie_header(session), "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    return router


def _refused_page(reason: str) -> str:
    return ("<!doctype html><title>Sign-in link refused</title><h1>Sign-in link refused</h1>"
            f"<p>{reason}</p><p>Open the endpoint again from VS Code (<em>Go to Inference Endpoint</em>), or "
            "<a href=\"/\">open the chat page</a> and enter the API key.</p>")
