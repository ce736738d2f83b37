"""CSV bytes as they stream by: the digest (sha256, size, rows), the header-row rewrite, and the join of parts."""

from __future__ import annotations

import csv
import hashlib
import io
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
    Every scan runs in C at `memchr` speed: all newlines are counted by deleting them (`bytes.replace`
    finds each with `memchr`, where `bytes.count` compares byte by byte, three times slower), then the
    walk from quote to quote (`find`) subtracts those inside quoted values. A quote pair `""` inside a
    value closes and reopens it with nothing between, so escaped quotes need no special case. Where quotes
    are dense (more than one quoted value per KB) the walk would cost more than the byte-by-byte reduction
    to quotes and newlines (`bytes.translate`), which then counts the rest of the chunk. See
    docs/performance.md for the figures.
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
        """Add the next bytes to the sha256 alone (hashlib releases the GIL for large chunks)."""
        self._sha.update(data)

    def count(self, data: bytes | bytearray) -> None:
        """Add the next bytes to the size and row count alone; `hash` must see the same bytes in the same order."""
        size = len(data)
        if not size:
            return
        self.bytes += size
        self._last = bytes(data[-1:])
        newlines = size - len(data.replace(b"\n", b""))
        if b'"' in data:
            newlines -= self._quoted_newlines(data)
        elif self._in_quotes:
            newlines = 0
        self._newlines += newlines

    def _quoted_newlines(self, data: bytes | bytearray) -> int:
        """The newlines of `data` inside quoted values; leaves `_in_quotes` as it is at the end of `data`."""
        find = data.find
        opening = -1 if self._in_quotes else find(b'"')  # -1: the chunk starts inside a quoted value
        inside = walked = 0
        while True:
            closing = find(b'"', opening + 1)
            if closing < 0:
                self._in_quotes = True
                return inside + data.count(b"\n", opening + 1)
            if find(b"\n", opening + 1, closing) >= 0:
                inside += data.count(b"\n", opening + 1, closing)
            opening = find(b'"', closing + 1)
            if opening < 0:
                self._in_quotes = False
                return inside
            walked += 1
            if walked >= 16 and opening < walked << 10:  # more than one quoted value per KB so far
                return inside + self._reduced_quoted_newlines(data[opening:])

    def _reduced_quoted_newlines(self, data: bytes | bytearray) -> int:
        """`_quoted_newlines` of `data`, which starts outside quotes, by reducing it to its quotes and newlines.

        Adjacent quote pairs are dropped (two toggles cancel); the pieces between the quotes left are
        alternately outside and inside a quoted value.
        """
        marks = bytes(data.translate(None, _NOT_QUOTE_OR_NEWLINE)).replace(b'""', b"")
        pieces = marks.split(b'"')
        self._in_quotes = len(pieces) % 2 == 0
        return sum(len(piece) for piece in pieces[1::2])

    @property
    def rows(self) -> int:
        """Records after the header; a last record without a final newline counts too."""
        records = self._newlines + (1 if self._last not in (b"", b"\n") else 0)
        return max(0, records - 1)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def first_record_end(data: bytes) -> int:
    """The index of the newline that ends the first record of `data` (the first one outside double quotes:
    a header cell may hold a line break), -1 when `data` holds none yet."""
    start = quotes = 0
    while (end := data.find(b"\n", start)) >= 0:
        quotes += data.count(b'"', start, end)
        if quotes % 2 == 0:
            return end
        start = end + 1
    return -1


def rewrite_first_line(
    chunks: Iterable[bytes | bytearray], header: Callable[[bytes], bytes]
) -> Iterator[bytes | bytearray]:
    """`chunks` with their first record, the header row (up to and including the newline that ends it,
    outside quotes), replaced by `header(line)`."""
    pending = b""
    iterator = iter(chunks)
    for chunk in iterator:
        pending += chunk
        end = first_record_end(pending)
        if end >= 0:
            yield header(pending[: end + 1]) + pending[end + 1 :]
            yield from iterator
            return
    if pending:
        # A CSV of one line without a final newline: that line is the header.
        yield header(pending)


def joined_rows(paths: list[Path], header: Callable[[bytes], bytes] | None) -> Iterator[bytes]:
    """CSV files joined: one header row, then each file's records in order.

    Parts with the same header row are copied byte for byte. Parts whose columns differ (`metadata` is one
    column per key present in the data) are joined by column name into the union of their columns: the
    columns of the first part with records in its order, then every other column in order of first
    appearance (part by part, left to right); each record is placed under its own headers and empty
    elsewhere. A record with more cells than its part's header row cannot be placed and is a DownloadError,
    never a misaligned row.
    """
    heads = [(path, _first_line(path)) for path in paths]
    present = [(path, line) for path, line in heads if line]  # an empty part has no header and no records
    if not present:
        return
    first = present[0][1]
    stripped = first.rstrip(b"\r\n")
    ending = first[len(stripped) :] or b"\r\n"
    if all(line.rstrip(b"\r\n") == stripped for _, line in present):
        yield from _copied(present, stripped + ending, ending, header)
    else:
        yield from _union(present, ending, header)


def _first_line(path: Path) -> bytes:
    """The header row's bytes with their line ending: lines up to the first newline outside quotes."""
    line = b""
    with path.open("rb") as handle:
        while piece := handle.readline():
            line += piece
            if first_record_end(line) >= 0:
                break
    return line


def _copied(
    parts: list[tuple[Path, bytes]], row: bytes, ending: bytes, header: Callable[[bytes], bytes] | None
) -> Iterator[bytes]:
    """Parts with one header row: that row once, then every part's bytes after it, unchanged."""
    yield header(row) if header is not None else row
    for path, line in parts:
        with path.open("rb") as handle:
            handle.seek(len(line))
            last = b"\n"
            while block := handle.read(JOIN_CHUNK):
                last = block[-1:]
                yield block
            if last != b"\n":
                # A part whose last record has no line ending must not run into the next part's first record.
                yield ending


def _column_keys(cells: list[str]) -> list[tuple[str, int]]:
    """Each column as (name, occurrence): a name the header repeats is matched occurrence by occurrence."""
    seen: dict[str, int] = {}
    keys = []
    for cell in cells:
        keys.append((cell, seen.get(cell, 0)))
        seen[cell] = seen.get(cell, 0) + 1
    return keys


def _union(parts: list[tuple[Path, bytes]], ending: bytes, header: Callable[[bytes], bytes] | None) -> Iterator[bytes]:
    """Parts with different header rows, joined by column name into the union of their columns."""
    part_keys = [_column_keys(_cells(line)) for _, line in parts]
    # A window without records has the columns of no metadata key: the first one with records leads.
    lead = next((i for i, (path, line) in enumerate(parts) if path.stat().st_size > len(line)), 0)
    union: dict[tuple[str, int], int] = {}
    for keys in (part_keys[lead], *part_keys):
        for key in keys:
            union.setdefault(key, len(union))
    terminator = ending.decode("ascii")
    out = io.StringIO()
    # `\r\n`, then the file's own ending: Python 3.11's writer quotes only cells holding the terminator's
    # characters, and a cell with a lone `\r` or `\n` must stay quoted.
    writer = csv.writer(out, lineterminator="\r\n")

    def write(cells: Iterable[str]) -> None:
        writer.writerow(cells)
        if terminator != "\r\n":
            out.seek(out.tell() - 2)
            out.truncate()
            out.write(terminator)

    write(name for name, _ in union)
    row = out.getvalue().encode("utf-8")
    yield header(row) if header is not None else row
    out.seek(0)
    out.truncate()
    width = len(union)
    for (path, _), keys in zip(parts, part_keys, strict=True):
        places = [union[key] for key in keys]
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            for record in reader:
                if not record:
                    continue
                if len(record) > len(places):
                    raise DownloadError(
                        f"{path.name}: record {reader.line_num} has {len(record)} cells but the header row names "
                        f"{len(places)} columns; it cannot be placed under its headers."
                    )
                cells = [""] * width
                for place, cell in zip(places, record, strict=False):
                    cells[place] = cell
                write(cells)
                if out.tell() >= JOIN_CHUNK:
                    yield out.getvalue().encode("utf-8")
                    out.seek(0)
                    out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def _cells(line: bytes) -> list[str]:
    text = line.rstrip(b"\r\n").decode("utf-8-sig")
    return next(csv.reader([text]), [])


def digested(blocks: Iterator[bytes], digest: CsvDigest) -> Iterator[bytes]:
    """`blocks` unchanged, each one added to `digest` on its way through."""
    for block in blocks:
        digest.update(block)
        yield block
