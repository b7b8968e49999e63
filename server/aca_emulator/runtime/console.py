"""A container's console output: the last lines in memory (what the log stream serves) and the whole of it
in a file beside the app, so nothing is lost when the ring buffer turns over."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path

RING_LINES = 10_000


class Console:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lines: deque[tuple[float, str]] = deque(maxlen=RING_LINES)
        self._file = path.open("a", encoding="utf-8", buffering=1)
        self._changed = asyncio.Event()
        self._total = 0
        self.closed = False

    def write(self, line: str) -> None:
        if self.closed:
            return
        stamp = time.time()
        self._lines.append((stamp, line))
        self._total += 1
        with contextlib.suppress(ValueError):  # a closed file
            self._file.write(line + "\n")
        self._changed.set()
        self._changed = asyncio.Event()

    def notice(self, message: str) -> None:
        """A line from the emulator itself, marked so it is not mistaken for the app's output."""
        self.write(f"[local emulator] {message}")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._file.close()
            self._changed.set()

    def tail(self, count: int) -> list[tuple[float, str]]:
        return list(self._lines)[-count:] if count else []

    async def lines(self, *, tail: int, follow: bool) -> AsyncIterator[tuple[float, str]]:
        for entry in self.tail(tail):
            yield entry
        seen = self._total
        while follow and not self.closed:
            changed = self._changed
            await changed.wait()
            fresh = self._total - seen
            seen = self._total
            for entry in list(self._lines)[-fresh:] if fresh > 0 else []:
                yield entry


async def pump(stream: asyncio.StreamReader, console: Console) -> None:
    """Copies a process's output into its console line by line (a carriage return keeps the last segment)."""
    carry = b""
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            break
        carry += chunk
        *complete, carry = carry.split(b"\n")
        for raw in complete:
            console.write(raw.rstrip(b"\r").rsplit(b"\r", 1)[-1].decode("utf-8", errors="replace"))
        if len(carry) > 1 << 20:
            console.write(carry.decode("utf-8", errors="replace"))
            carry = b""
    if carry:
        console.write(carry.rstrip(b"\r").decode("utf-8", errors="replace"))
