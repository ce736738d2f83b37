"""A row filter on a CSV as it streams: the header row, then only the records whose cell in one column is kept.

The kind-specific transaction commands use it to keep their kind (`CREDITS_*` or `POINTS_*`) by the `type`
column where the API has no endpoint for one kind. Records are passed on byte for byte as received; a
record may span lines inside double quotes and chunks may end anywhere.

Standard library only.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator

from exportctl.errors import DownloadError, ExportFailedError
from exportctl.files.csv_header import title_key

RowFilter = Callable[[Iterable[bytes | bytearray]], Iterator[bytes | bytearray]]


def keep_rows(columns: tuple[str, ...], keep: Iterable[str]) -> RowFilter:
    """A filter keeping the records whose cell under the first of `columns` found in the header is in `keep`."""
    kept = frozenset(keep)

    def apply(chunks: Iterable[bytes | bytearray]) -> Iterator[bytes | bytearray]:
        return _kept_records(chunks, columns, kept)

    return apply


def _kept_records(
    chunks: Iterable[bytes | bytearray], columns: tuple[str, ...], kept: frozenset[str]
) -> Iterator[bytes]:
    pending = b""
    record = bytearray()
    in_quotes = False
    index: int | None = None

    def take(line: bytes) -> bytes:
        """The complete record `line` ends, if it is one that is kept; b"" otherwise."""
        nonlocal index, in_quotes
        record.extend(line)
        if line.count(b'"') % 2:
            in_quotes = not in_quotes
        if in_quotes:
            return b""
        done = bytes(record)
        record.clear()
        if index is None:
            index = _column(done, columns)
            return done
        return done if _cell(done, index) in kept else b""

    for chunk in chunks:
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        out = b"".join(take(line + b"\n") for line in lines)
        if out:
            yield out
    if pending or record:
        # The last record without a final newline.
        last = take(pending) if pending else b""
        if record:  # an unterminated quote: no record to keep or drop, and never a silent loss
            raise DownloadError("The CSV ends inside a quoted value; its last record is incomplete.")
        if last:
            yield last


def _cells(record: bytes) -> list[str]:
    text = record.rstrip(b"\r\n").decode("utf-8-sig")
    return next(csv.reader([text]), [])


def _column(header: bytes, columns: tuple[str, ...]) -> int:
    cells = _cells(header)
    for name in columns:
        if name in cells:
            return cells.index(name)
    # Then the title without case and punctuation (`TYPE`, `type:`), as `csv_header.match_header` reads titles,
    # when exactly one cell has it.
    keys = {title_key(name) for name in columns} - {None}
    near = [i for i, cell in enumerate(cells) if title_key(cell) in keys]
    if len(near) == 1:
        return near[0]
    raise ExportFailedError(
        f"The export's header row has no {columns[0]} column, so its rows cannot be kept by their kind."
    )


def _cell(record: bytes, index: int) -> str | None:
    if b'"' not in record:
        cells = record.rstrip(b"\r\n").split(b",")
        return cells[index].decode("utf-8", "replace") if index < len(cells) else None
    cells_text = _cells(record)
    return cells_text[index] if index < len(cells_text) else None
