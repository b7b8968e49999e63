"""The local target's starter: the one place the product reaches the local Azure emulator (`aca_emulator`).

The emulator is a separate package that never imports the product; the product imports it only here, and
lazily (inside each function), so the daemon starts without loading it. Its start failures become
`OperationFailed`, the product's user-facing error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OperationFailed

if TYPE_CHECKING:
    from aca_emulator.control import EmulatorInfo as EmulatorInfo  # re-exported: ops/ names it through here


def default_data_dir() -> Path:
    from aca_emulator import control

    return control.default_data_dir()


async def start(data_dir: Path) -> EmulatorInfo:
    """The emulator serving `data_dir`, started in the background when none answers."""
    import anyio

    from aca_emulator import control

    try:
        return await anyio.to_thread.run_sync(lambda: control.start_background(data_dir))
    except control.EmulatorDidNotStart as error:
        raise OperationFailed(str(error)) from error


async def stop(data_dir: Path) -> bool:
    """Stops the background emulator of `data_dir`; False when none was running."""
    import anyio

    from aca_emulator import control

    return await anyio.to_thread.run_sync(lambda: control.stop(data_dir))


async def status(data_dir: Path) -> EmulatorInfo | None:
    import anyio

    from aca_emulator import control

    return await anyio.to_thread.run_sync(lambda: control.status(data_dir))
