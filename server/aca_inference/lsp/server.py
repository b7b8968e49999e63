"""The language server: one small class; its commands come from the operation registry (ops/registry.py)
through commands.py, one `acaInference.server.<name>` per operation VS Code offers.

Nothing heavy is imported here - `initialize` must answer fast; operations import Azure SDKs lazily.
"""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from .. import __version__
from .commands import register_commands


class AcaInferenceServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(name="aca-inference", version=__version__)


def build_server() -> AcaInferenceServer:
    server = AcaInferenceServer()
    register_commands(server)
    return server
