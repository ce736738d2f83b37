"""JSON Lines: one JSON object per record, keys = the column names (field names), values typed (types.py).

- integers and doubles as JSON numbers, booleans as `true`/`false`, an empty cell as `null`;
- timestamps as ISO 8601 in UTC with milliseconds and `Z` (`2026-03-01T12:00:00.000Z`), dates as
  `YYYY-MM-DD`;
- JSON fields (`details`, `metadata`) as the parsed JSON value;
- `_unparsed`, only on a record that has a value that did not fit its column: an object
  {column: the text as the API wrote it}.

Written streaming (one record at a time, in chunks) through `files.atomic` (temporary file, fsync,
rename), or to a stream for `-o -`. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from exportctl.formats.csv_source import Unparsed, typed_rows
from exportctl.formats.types import UNPARSED, Column, Kind
from exportctl.request.values import iso_ms

CHUNK = 1024 * 1024
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _plain(value: Any) -> Any:
    """A timestamp or date value as JSON Lines writes it."""
    if isinstance(value, datetime):
        return iso_ms(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class Counts:
    """What a writer wrote: records, and records with an `_unparsed` object."""

    def __init__(self) -> None:
        self.rows = 0
        self.unparsed_rows = 0


def jsonl_chunks(path: Path, columns: Sequence[Column], counts: Counts, *, fail: str | None = None) -> Iterator[bytes]:
    """The JSON Lines of the CSV at `path`, as chunks of about 1 MiB; `counts` is updated as they go.

    With `fail` (the message's subject), the first value that does not fit raises UnparsedValueError instead.
    """
    names = [column.name for column in columns]
    kinds = {column.name: str(column.kind.value) for column in columns if column.kind is not None}
    # Only timestamps and dates need turning into text again; the rest of a record is JSON as it is.
    temporal = [i for i, column in enumerate(columns) if column.kind in (Kind.TIMESTAMP, Kind.DATE)]
    buffer: list[bytes] = []
    size = 0
    for row in typed_rows(path, columns):
        values = row.values
        for i in temporal:
            if values[i] is not None:
                values[i] = _plain(values[i])
        document = dict(zip(names, values, strict=True))
        if row.unparsed and fail is not None:
            name, text = next(iter(row.unparsed.items()))
            raise Unparsed(counts.rows + 1, name, kinds.get(name, "column"), text).error(fail)
        if row.unparsed:
            document[UNPARSED] = row.unparsed
            counts.unparsed_rows += 1
        # No lone surrogate can reach here: the CSV is strict UTF-8 and a JSON cell with one does not fit.
        line = _COMPACT.encode(document).encode("utf-8")
        buffer.append(line)
        buffer.append(b"\n")
        size += len(line) + 1
        counts.rows += 1
        if size >= CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)
