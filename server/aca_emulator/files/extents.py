"""Which byte ranges of a file hold data: what List Ranges answers and Clear Range takes away.

The files are sparse files on disk, so the filesystem already knows: `SEEK_DATA`/`SEEK_HOLE` give the data
extents (block-aligned) and Clear Range punches holes (`fallocate(PUNCH_HOLE)`). The service reports ranges
in 512-byte units, so the zero sectors that only pad a partly written block are trimmed off each extent's
edges; bytes an app writes through the mount show up like those written over REST. Where the filesystem
cannot punch holes (or the cleared range is smaller than a block), the bytes are zeroed and stay listed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os

SECTOR = 512
_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_fallocate = getattr(_libc, "fallocate", None)
if _fallocate is not None:
    _fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]


def _punch(fd: int, offset: int, length: int) -> bool:
    if _fallocate is None or length <= 0:
        return False
    if _fallocate(fd, _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE, offset, length) == 0:
        return True
    if ctypes.get_errno() in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(ctypes.get_errno(), "fallocate(PUNCH_HOLE) failed")


def clear(fd: int, offset: int, length: int) -> None:
    """Zero `length` bytes at `offset`, freeing the whole blocks inside the range."""
    if not _punch(fd, offset, length):
        zeros = bytes(min(length, 4 * 1024 * 1024))
        done = 0
        while done < length:
            done += os.pwrite(fd, zeros[: length - done], offset + done)


def _trim(fd: int, start: int, end: int) -> tuple[int, int] | None:
    """[start, end) without the all-zero 512-byte sectors at its edges that only pad a partly written block.

    A block that is zero throughout is kept whole: zeros written on purpose look the same, and the service
    reports written zeros as a range."""
    block = os.fstatvfs(fd).f_bsize or 4096
    head = os.pread(fd, min(block, end - start), start)
    if any(head):
        skip = 0
        while not any(head[skip:skip + SECTOR]):
            skip += SECTOR
        start += skip
    tail_start = max(start, end - block)
    tail = os.pread(fd, end - tail_start, tail_start)
    if any(tail):
        keep = len(tail)
        while not any(tail[((keep - 1) // SECTOR) * SECTOR:keep]):
            keep = ((keep - 1) // SECTOR) * SECTOR
        end = tail_start + keep
    return (start, end) if end > start else None


def data_ranges(fd: int, size: int, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Inclusive (first, last) byte ranges holding data within [start, end], in order."""
    end = size - 1 if end is None else min(end, size - 1)
    ranges: list[tuple[int, int]] = []
    position = start
    while position <= end:
        try:
            data = os.lseek(fd, position, os.SEEK_DATA)
        except OSError as error:
            if error.errno == errno.ENXIO:
                break  # no data after this point
            raise
        if data > end:
            break
        hole = min(os.lseek(fd, data, os.SEEK_HOLE), size)
        trimmed = _trim(fd, data, hole)
        if trimmed is not None:
            first, last = max(trimmed[0], start), min(trimmed[1] - 1, end)
            if first <= last:
                if ranges and ranges[-1][1] + 1 == first:
                    ranges[-1] = (ranges[-1][0], last)
                else:
                    ranges.append((first, last))
        position = hole
    return ranges
