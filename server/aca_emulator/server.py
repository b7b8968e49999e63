"""The emulator process: two HTTPS servers on loopback (management = ARM + admin + log stream, files = the
Azure Files data plane), the store, long-running operations and the container runtime."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .admin import admin_routes
from .middleware import Faults, RequestLog, make_middleware
from .resource_types import STORAGE_ACCOUNT
from .settings import EmulatorSettings
from .store import Store
from .tls import ensure_certificates, server_context

if TYPE_CHECKING:
    from .arm.operations import Operations
    from .files.store import ShareStore
    from .runtime import Runtime

log = logging.getLogger("aca_emulator")
INFO_FILE = "emulator.json"


def _files_app(emulator: Emulator, shares: ShareStore) -> web.Application:
    """The Azure Files data plane (its own package), on the share store ARM uses too."""
    from .files import create_files_app

    return create_files_app(account_keys=emulator.account_keys, store=shares)


class Emulator:
    def __init__(self, settings: EmulatorSettings, *, write_info: bool = True) -> None:
        self.settings = settings
        self.write_info = write_info
        self.request_log = RequestLog()
        self.faults = Faults()
        # getAuthtoken tokens for the log stream: token -> (container app id, lower case; expiry)
        self.app_tokens: dict[str, tuple[str, float]] = {}
        self.store: Store | None = None
        self.shares: ShareStore | None = None
        self.runtime: Runtime | None = None
        self.operations: Operations | None = None
        self.ca_path: Path | None = None
        self.management_endpoint = ""
        self.files_endpoint = ""
        self._runners: list[web.AppRunner] = []

    @property
    def subscription_id(self) -> str:
        return self.settings.subscriptions[0].subscription_id

    def info_dict(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "management_endpoint": self.management_endpoint,
                "files_endpoint": self.files_endpoint, "ca_path": str(self.ca_path),
                "subscription_id": self.subscription_id, "data_dir": str(self.settings.data_dir)}

    def account_keys(self, account: str) -> list[str] | None:
        assert self.store is not None
        for record in self.store.of_type(STORAGE_ACCOUNT.type):
            if record.name.lower() == account.lower() and record.body["properties"].get("provisioningState") == "Succeeded":
                return [k["value"] for k in record.internal.get("keys", [])]
        return None

    async def start(self) -> None:
        from .arm import build_arm
        from .arm.context import ArmContext
        from .arm.operations import Operations
        from .arm.subscription_checks import admin_routes as subscription_admin_routes
        from .files.store import ShareStore
        from .runtime import Runtime, RuntimeHost

        data_dir = self.settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.shares_root.mkdir(parents=True, exist_ok=True)
        self.ca_path, server_pem = ensure_certificates(data_dir)
        ssl_context = server_context(server_pem)
        self.store = Store(data_dir / "state.sqlite")
        self.shares = ShareStore(self.settings.shares_root)
        self.operations = Operations(self.store)
        self.runtime = Runtime(RuntimeHost(store=self.store, settings=self.settings, account_keys=self.account_keys))

        management = web.Application(client_max_size=64 * 1024 * 1024,
                                     middlewares=[make_middleware("management", self.request_log, self.faults)])
        management.add_routes(admin_routes(settings=self.settings, faults=self.faults, request_log=self.request_log,
                                           info=self.info_dict, apps=self.runtime.describe))
        management.add_routes(subscription_admin_routes(self.settings.subscription_state))
        arm = build_arm(ArmContext(store=self.store, operations=self.operations, settings=self.settings,
                                   runtime=self.runtime, endpoints=self, app_tokens=self.app_tokens,
                                   shares=self.shares))
        management.router.add_route("*", "/{tail:.*}", arm)

        files = _wrap_files(_files_app(self, self.shares), self.request_log, self.faults)

        self.management_endpoint = await self._serve(management, self.settings.management_port, ssl_context)
        self.files_endpoint = await self._serve(files, self.settings.files_port, ssl_context)
        await self.operations.resume_pending()
        await self.runtime.start()
        if self.write_info:
            self._write_info()
        log.info("emulator ready: management %s, files %s", self.management_endpoint, self.files_endpoint)

    async def _serve(self, app: web.Application, port: int, ssl_context: Any) -> str:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=ssl_context, backlog=256)
        await site.start()
        self._runners.append(runner)
        sockets = site._server.sockets  # type: ignore[union-attr]
        return f"https://127.0.0.1:{sockets[0].getsockname()[1]}"

    def _write_info(self) -> None:
        path = self.settings.data_dir / INFO_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.info_dict(), indent=2))
        tmp.replace(path)

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
        if self.operations is not None:
            await self.operations.close()
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        if self.write_info:
            path = self.settings.data_dir / INFO_FILE
            try:
                if json.loads(path.read_text()).get("pid") == os.getpid():
                    path.unlink()
            except (OSError, ValueError):
                pass
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.shares is not None:
            self.shares.close()
            self.shares = None


def _wrap_files(inner: web.Application, request_log: RequestLog, faults: Faults) -> web.Application:
    """The files app with our shared middlewares in front of its own."""
    inner.middlewares.insert(0, make_middleware("files", request_log, faults))
    return inner


async def serve_forever(settings: EmulatorSettings) -> None:
    import signal

    emulator = Emulator(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await emulator.start()
    try:
        await stop.wait()
    finally:
        await emulator.stop()
