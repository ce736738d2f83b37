"""CSV bytes as they stream by: the digest (sha256, size, rows), the header-row rewrite, and the join of parts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from exportctl.errors import DownloadError

# Parts are read and joined in blocks this size: large enough for few system calls, small in memory.
JOIN_CHUNK = 1024 * 1024

# Every byte value except `"` and `\n`: deleting them leaves only what decides where records end.
_NOT_QUOTE_OR_NEWLINE = bytes(b for b in range(256) if b not in b'"\n')


class CsvDigest:
    """sha256, size and record count of a CSV, fed in chunks of any size.

    Rows are counted as newlines outside double quotes, so a quoted value with a line break is one row.
    Every step runs in C: a chunk is reduced to its quotes and newlines, adjacent quote pairs are dropped
    (two toggles cancel, which also covers escaped quotes), and in the rare remainder the pieces at even
    positions (odd ones when the chunk starts inside a quoted value) are the ones outside quotes.
    """

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.bytes = 0
        self._newlines = 0
        self._in_quotes = False
        self._last = b""

    def update(self, data: bytes | bytearray) -> None:
        """Add the next bytes of the CSV."""
        self.count(data)
        self.hash(data)

    def hash(self, data: bytes | bytearray) -> None:
        """Add the next bytes to the sha256 alone (hashlib releases the GIL: a writer thread can do it)."""
        self._sha.update(data)

    def count(self, data: bytes | bytearray) -> None:
        """Add the next bytes to the size and row count alone; `hash` must see the same bytes in the same order."""
        if not data:
            return
        self.bytes += len(data)
        self._last = bytes(data[-1:])
        marks = bytes(data.translate(None, _NOT_QUOTE_OR_NEWLINE)).replace(b'""', b"")
        if b'"' not in marks:
            if not self._in_quotes:
                self._newlines += len(marks)
            return
        pieces = marks.split(b'"')
        outside = pieces[1::2] if self._in_quotes else pieces[0::2]
        self._newlines += sum(len(piece) for piece in outside)
        if (len(pieces) - 1) % 2:
            self._in_quotes = not self._in_quotes

    @property
    def rows(self) -> int:
        """Records after the header; a last record without a final newline counts too."""
        records = self._newlines + (1 if self._last not in (b"", b"\n") else 0)
        return max(0, records - 1)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def rewrite_first_line(
    chunks: Iterable[bytes | bytearray], header: Callable[[bytes], bytes]
) -> Iterator[bytes | bytearray]:
    """`chunks` with their first line (up to and including the first newline) replaced by `header(line)`."""
    pending = b""
    iterator = iter(chunks)
    for chunk in iterator:
        pending += chunk
        end = pending.find(b"\n")
        if end >= 0:
            yield header(pending[: end + 1]) + pending[end + 1 :]
            yield from iterator
            return
    if pending:
        # A CSV of one line without a final newline: that line is the header.
        yield header(pending)


def joined_rows(paths: list[Path], header: Callable[[bytes], bytes] | None) -> Iterator[bytes]:
    """CSV files joined: one header row, then each file's records in order; DownloadError if headers differ."""
    first: bytes | None = None
    ending = b"\r\n"
    for path in paths:
        with path.open("rb") as handle:
            line = handle.readline()
            if not line:
                continue  # an empty part has no header and no records
            stripped = line.rstrip(b"\r\n")
            if first is None:
                first = stripped
                ending = line[len(stripped) :] or ending
                row = stripped + ending
                yield header(row) if header is not None else row
            elif stripped != first:
                raise DownloadError(
                    f"{path.name} has another header row than the first window's; the windows cannot be joined."
                )
            last = b"\n"
            while block := handle.read(JOIN_CHUNK):
                last = block[-1:]
                yield block
            if last != b"\n":
                # A part whose last record has no line ending must not run into the next part's first record.
                yield ending


def digested(blocks: Iterator[bytes], digest: CsvDigest) -> Iterator[bytes]:
    """`blocks` unchanged, each one added to `digest` on its way through."""
    for block in blocks:
        digest.update(block)
        yield block
