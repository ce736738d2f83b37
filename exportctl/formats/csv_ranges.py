"""A CSV cut into byte ranges at record boundaries, each read on its own as Python's reader reads the whole.

`split_points(path, n)` cuts the file into (about) `n` ranges of equal size, each ending right after a line
end outside quotes: the parity of the `"` bytes before an offset tells whether it is inside a quoted cell
(`""` keeps the parity), and the cut is after the next `\\n` at even parity. A file whose quotes mislead the
count (a `"` inside a cell that is not quoted, which Python's reader takes as text) may be cut inside a
record: `range_records` then finds it out, since it reads with the reader's `strict` mode, which raises at
the end of a range that ends inside a record.

That is also why the records of the ranges are the records of the whole file: range 0 starts where the
file does; a range read from the start of a record that ends, without an error, right after a line end
ends at the start of a record; so the next range starts at one too, and Python's reader goes through the
same states in both readings. (Blank lines are no record, the cells of a record must be as many as the
header row's, a byte order mark is skipped at the start of the file only: as `csv_source.records`.)

Standard library only.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

BLOCK = 1024 * 1024


class RangeError(ValueError):
    """A range that cannot be read as the whole file's reader would read it: the caller reads the whole."""


def split_points(path: Path, n: int, *, first: float = 1.0) -> list[int]:
    """The offsets of the ranges' starts after the first (0): at most `n - 1`, increasing, each right after a
    `\\n` outside quotes (by the parity of quotes before it); fewer when a range would be empty. The ranges
    are of about equal size, the first `first` times as large as the others."""
    size = path.stat().st_size
    wanted = rough_cuts(size, n, first=first)
    points: list[int] = []
    with path.open("rb") as handle:
        offset = 0  # bytes counted so far
        quotes = 0  # `"` bytes before `offset`
        for target in wanted:
            if points and target < points[-1]:
                continue
            start = max(target, points[-1] if points else 0)
            while offset < start:
                handle.seek(offset)
                block = handle.read(min(BLOCK, start - offset))
                if not block:
                    break
                quotes += block.count(b'"')
                offset += len(block)
            point = _next_record(handle, offset, quotes % 2 == 1)
            if point is None or point >= size:
                break
            if not points or point > points[-1]:
                points.append(point)
    return points


def rough_cuts(size: int, n: int, *, first: float = 1.0) -> list[int]:
    """Where `split_points` starts looking for each cut of `size` bytes into `n` ranges."""
    total = first + n - 1
    return [int(size * (first + k - 1) / total) for k in range(1, n)]


def _next_record(handle: io.BufferedReader, offset: int, in_quotes: bool) -> int | None:
    """The offset right after the first `\\n` at or after `offset` with an even number of quotes before it."""
    handle.seek(offset)
    while block := handle.read(BLOCK):
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            if block.count(b'"', start, end) % 2:
                in_quotes = not in_quotes
            if not in_quotes:
                return offset + end + 1
            start = end + 1
        if block.count(b'"', start) % 2:
            in_quotes = not in_quotes
        offset += len(block)
    return None


class _Window(io.RawIOBase):
    """Bytes `start` to `end` of an open file, read with pread."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        super().__init__()
        self._fd = fd
        self._at = start
        self._end = end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        size = min(len(buffer), self._end - self._at)
        if size <= 0:
            return 0
        data = os.pread(self._fd, size, self._at)
        buffer[: len(data)] = data
        self._at += len(data)
        return len(data)


def range_records(path: Path, start: int, end: int, width: int | None) -> Iterator[list[str]]:
    """The records of bytes `start` to `end` of the CSV (from 0: the header row first), read strictly.

    `width` is the header row's number of cells (None from the start of the file: the header row's own).
    A record of another width is a RangeError; a quote left open at the end, text after a closing quote and
    bytes that are not UTF-8 raise csv.Error and UnicodeDecodeError: the caller then reads the whole file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        raw = _Window(fd, start, end)
        text = io.TextIOWrapper(
            io.BufferedReader(raw, BLOCK), encoding="utf-8-sig" if start == 0 else "utf-8", newline=""
        )
        for record in csv.reader(text, strict=True):
            if not record:
                continue
            if width is None:
                width = len(record)
            elif len(record) != width:
                raise RangeError(f"a record of {len(record)} cells where the header row has {width}")
            yield record
    finally:
        os.close(fd)
