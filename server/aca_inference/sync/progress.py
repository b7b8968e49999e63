"""Progress in files and bytes, reported to the caller at most every 100 ms (and once at the end)."""

from __future__ import annotations

import time
from collections.abc import Callable

# files_done, files_total, bytes_done, bytes_total
ProgressCallback = Callable[[int, int, int, int], None]


class TransferProgress:
    def __init__(self, callback: ProgressCallback | None, *, files_total: int, bytes_total: int) -> None:
        self._callback = callback
        self.files_total = files_total
        self.bytes_total = bytes_total
        self.files_done = 0
        self.bytes_done = 0
        self._last = 0.0

    def add(self, *, files: int = 0, nbytes: int = 0) -> None:
        self.files_done += files
        self.bytes_done += nbytes
        now = time.monotonic()
        if self._callback and now - self._last >= 0.1:
            self._last = now
            self._callback(self.files_done, self.files_total, self.bytes_done, self.bytes_total)

    def finish(self) -> None:
        if self._callback:
            self._callback(self.files_done, self.files_total, self.bytes_done, self.bytes_total)
