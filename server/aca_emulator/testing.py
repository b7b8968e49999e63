"""The emulator in-process, for tests and benchmarks: a background thread with its own event loop.

Same behaviour as `serve`; it also writes `<data_dir>/emulator.json` (pid = this process) so CLI subprocesses
and the LSP daemon started by a test find it through `control.status`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .control import EmulatorInfo
from .server import Emulator
from .settings import load_settings


@contextmanager
def running_emulator(data_dir: Path, *, time_scale: float = 0.01, **settings: Any) -> Iterator[EmulatorInfo]:
    config = load_settings(Path(data_dir), time_scale=time_scale, **settings)
    emulator = Emulator(config)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []
    stopped = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            try:
                await emulator.start()
            except BaseException as exc:  # reported to the caller's thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            await stopped.wait()
            await emulator.stop()

        # asyncio.Runner closes the loop as asyncio.run does: tasks still running (a stopped replica's probe, its
        # cancellation not yet delivered) are cancelled and awaited first, not left for the garbage collector.
        with asyncio.Runner(loop_factory=lambda: loop) as runner:
            runner.run(main())

    thread = threading.Thread(target=run, name="aca-emulator", daemon=True)
    thread.start()
    ready.wait(60)
    if failure:
        thread.join(5)
        raise failure[0]
    info = EmulatorInfo(running=True, pid=emulator.info_dict()["pid"], management_endpoint=emulator.management_endpoint,
                        files_endpoint=emulator.files_endpoint, ca_path=str(emulator.ca_path),
                        subscription_id=emulator.subscription_id, data_dir=str(config.data_dir))
    try:
        yield info
    finally:
        loop.call_soon_threadsafe(stopped.set)
        thread.join(30)
