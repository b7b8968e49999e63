"""Assemble the app: API routes first, auth in front of them, the Gradio page mounted at `/` last."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI

from .admin import build_admin
from .api import build_api, install_error_handlers
from .auth import ApiKeyMiddleware
from .gradio_queue import calm_gradio_queue
from .model_files import ModelFiles
from .model_service import ModelService
from .settings import Settings
from .sign_in import RedactTickets, SignIn
from .startup import StartupReport

log = logging.getLogger(__name__)


def create_app(settings: Settings, files: ModelFiles, *, on_load_failure: Callable[[], None] | None = None,
               report: StartupReport | None = None) -> FastAPI:
    """`on_load_failure` runs when the model cannot be loaded (the entry point stops the server: a replica that
    can never serve should exit, so the platform reports and restarts it)."""
    # No phoning home from the page or the server (an ACA replica may have no internet, and it is not ours).
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from .ui import build_ui

    service = ModelService(settings, files, report)
    sign_in = SignIn(settings.api_key.get_secret_value() if settings.api_key else None)
    logging.getLogger("uvicorn.access").addFilter(RedactTickets())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def load() -> None:
            try:
                await service.load()
            except Exception:
                if on_load_failure is not None:
                    on_load_failure()

        task = asyncio.create_task(load())
        try:
            yield
        finally:
            task.cancel()
            await service.close()

    app = FastAPI(title="ACA Inference", lifespan=lifespan, docs_url="/v1/docs", redoc_url=None,
                  openapi_url="/v1/openapi.json")
    app.state.model_service = service
    install_error_handlers(app)
    app.include_router(build_api(service, settings))
    app.include_router(build_admin(service, sign_in))
    if settings.api_key is not None:
        app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key.get_secret_value())
    page = build_ui(service, settings, sign_in)
    mounted = gr.mount_gradio_app(app, page, path="/", ssr_mode=False)
    calm_gradio_queue(page)
    return mounted


def quiet_server(config: Any) -> Any:
    """A uvicorn Server that ticks once a second instead of ten times (the other idle wake-ups, with Gradio's).

    uvicorn's tick refreshes the Date header (once a second anyway) and looks for a shutdown request; a tick of
    1 s means a stop is noticed within a second."""
    import uvicorn

    class QuietServer(uvicorn.Server):
        async def main_loop(self) -> None:
            counter = 0
            should_exit = await self.on_tick(counter)
            while not should_exit:
                counter = (counter + 10) % 864000  # on_tick's "every 10th tick" work, now every tick
                await asyncio.sleep(1.0)
                should_exit = await self.on_tick(counter)

    return QuietServer(config)
