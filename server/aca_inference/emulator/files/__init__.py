"""Azure Files data plane of the local emulator (one folder per emulated service, as Azurite does).

`create_files_app(account_keys=..., shares_root=...)` returns the aiohttp application the emulator serves on
its files port. Layout: `app` (URLs, SharedKey, dispatch, error XML) -> `*_handlers` (one module per resource
kind, the wire format) -> `store` (shares as plain directories) + `properties` (SQLite beside them).
"""

from .app import create_files_app

__all__ = ["create_files_app"]
