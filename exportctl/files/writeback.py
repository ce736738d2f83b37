"""Early write-back: the kernel starts writing a file's new bytes to disk while the download goes on.

The atomic writer fsyncs the `.part` before renaming it into place. Without help, most of the file is still
only in the page cache at that moment (by default Linux starts writing dirty pages in the background past 10%
of memory, or after 30 seconds), so that fsync waits for the whole file to reach the disk: 50-100 ms for
200 MB on the benchmark machine, a third of curl's time for the same download. Started every few megabytes,
the write-back overlaps the download and the final fsync has only the last few megabytes left (2-8 ms).
Durability still rests on that fsync.

Standard library only (ctypes, on Linux); elsewhere, or where the call is refused, this does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

# Bytes written between two requests to start writing back: large enough for few system calls.
WRITEBACK_STEP = 8 * 1024 * 1024
_SYNC_FILE_RANGE_WRITE = 2  # <fcntl.h>: start writing the range's dirty pages, do not wait

_start: Callable[[int, int, int, int], int] | None = None
_looked_up = False


def start_writeback(fd: int, offset: int, length: int) -> bool:
    """Ask the kernel to start writing bytes `offset` to `offset + length` of `fd` to disk, without waiting.

    False when it cannot (not Linux, or the file system refuses): the caller's fsync does all the work then.
    """
    start = _sync_file_range()
    if start is None or length <= 0:
        return False
    return start(fd, offset, length, _SYNC_FILE_RANGE_WRITE) == 0


def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """glibc's (or musl's) `sync_file_range`, looked up once; None where there is none."""
    global _start, _looked_up
    if _looked_up:
        return _start
    _looked_up = True
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError, ImportError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    _start = function
    return _start
