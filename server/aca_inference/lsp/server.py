"""The language server: one small class; every command is registered from one table in commands.py.

Nothing heavy is imported here - `initialize` must answer fast; operations import Azure SDKs lazily.
"""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from .. import __version__


class AcaInferenceServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(name="aca-inference", version=__version__)


def build_server() -> AcaInferenceServer:
    from .commands import register_commands

    server = AcaInferenceServer()
    register_commands(server)
    return server
