"""The language server: one small class; its commands come from the operation registry (ops/registry.py)
through commands.py, one `acaInference.server.<name>` per operation VS Code offers, plus the app view's
messages (app_view.py).

Nothing heavy is imported here - `initialize` must answer fast; operations import Azure SDKs lazily.
"""

from __future__ import annotations

from typing import Any

from pygls.lsp.server import LanguageServer

from .. import __version__
from . import APP_STATE, COPY_API_KEY, OPEN_ENDPOINT, WATCH_APP
from .commands import register_commands


class AcaInferenceServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(name="aca-inference", version=__version__)


def register_app_view(server: LanguageServer) -> None:
    """The app view's requests; app_view.py (and what it reads with) loads on the client's first one."""

    @server.feature(APP_STATE)
    async def app_state(ls: LanguageServer, params: Any) -> dict[str, Any]:
        from .app_view import feed_of

        return (await feed_of(ls).refresh()).as_json()

    @server.feature(WATCH_APP)
    def watch_app(ls: LanguageServer, params: Any) -> None:
        from .app_view import POLL_SECONDS, feed_of

        def field(name: str) -> Any:
            return params.get(name) if isinstance(params, dict) else getattr(params, name, None)

        every = field("everySeconds")
        feed_of(ls).watch(bool(field("watch")), float(every) if isinstance(every, int | float) else POLL_SECONDS)

    @server.feature(OPEN_ENDPOINT)
    async def open_endpoint(ls: LanguageServer, params: Any) -> dict[str, Any]:
        from .app_view import feed_of, user_action

        return await user_action(ls, feed_of(ls).open_endpoint())

    @server.feature(COPY_API_KEY)
    async def copy_api_key(ls: LanguageServer, params: Any) -> dict[str, Any]:
        from .app_view import feed_of, user_action

        return await user_action(ls, feed_of(ls).copy_api_key())


def build_server() -> AcaInferenceServer:
    server = AcaInferenceServer()
    register_commands(server)
    register_app_view(server)
    return server
