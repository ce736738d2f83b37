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

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from exportctl.formats.cells import COMPACT, Encoder, cell_encoder
from exportctl.formats.csv_source import Unparsed, records
from exportctl.formats.speculate import Watch
from exportctl.formats.types import UNPARSED, Column

CHUNK = 1024 * 1024
_UNFIT = (ValueError, OverflowError, RecursionError)


class Counts:
    """What a writer wrote: records, and records with an `_unparsed` object."""

    def __init__(self) -> None:
        self.rows = 0
        self.unparsed_rows = 0


def jsonl_chunks(
    path: Path, columns: Sequence[Column], counts: Counts, *, fail: str | None = None, watch: Watch | None = None
) -> Iterator[bytes]:
    """The JSON Lines of the CSV at `path`, as chunks of about 1 MiB; `counts` is updated as they go.

    With `fail` (the message's subject), the first value that does not fit raises UnparsedValueError instead.
    With `watch`, the inferred kinds of `columns` are guesses, checked record by record (speculate.py).
    """
    rows = records(path)
    next(rows, None)
    yield from jsonl_of(rows, columns, counts, fail=fail, watch=watch)


def jsonl_of(
    rows: Iterable[list[str]],
    columns: Sequence[Column],
    counts: Counts,
    *,
    fail: str | None = None,
    watch: Watch | None = None,
) -> Iterator[bytes]:
    """The JSON Lines of `rows` (records after the header row), as `jsonl_chunks`; also for a part of the file
    (jsonl_parallel.py), where a record number in a message counts from the part's start.

    Each line is written from the cells' text (`cells.cell_encoder`): no Python value is built for a cell
    already in its canonical form, and the line is the same text `json` would write for the typed record.
    """
    encoders = [cell_encoder(column) for column in columns]
    keys = [COMPACT.encode(column.name) + ":" for column in columns]
    prefixes = [("{" if i == 0 else ",") + key for i, key in enumerate(keys)]
    plan = [(prefix, prefix + "null", encode) for prefix, encode in zip(prefixes, encoders, strict=True)]
    width = len(plan)
    empty = "{}\n" if not plan else ""
    buffer: list[str] = []
    size = 0
    for cells in rows:
        if watch is not None:
            watch.observe(cells)
        line = empty
        if len(cells) == width:
            try:
                line = "".join(
                    [
                        prefix + encode(text) if text else null
                        for (prefix, null, encode), text in zip(plan, cells, strict=True)
                    ]
                )
                line += "}\n"
            except _UNFIT:
                line = ""
        if not line:
            line = _slow_line(columns, plan, cells, counts, fail)
        buffer.append(line)
        size += len(line)
        counts.rows += 1
        if size >= CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _slow_line(
    columns: Sequence[Column], plan: list[tuple[str, str, Encoder]], cells: list[str], counts: Counts, fail: str | None
) -> str:
    """The line of a record with a value that does not fit (or a record of another width): `_unparsed` holds
    each such text under its column's name, cells beyond the columns under `_column<N>` (as types.RowReader)."""
    width = len(plan)
    unparsed: dict[str, str] = {}
    parts: list[str] = []
    for (prefix, null, encode), column, text in zip(
        plan, columns, [*cells[:width], *[""] * (width - len(cells))], strict=True
    ):
        if not text:
            parts.append(null)
            continue
        try:
            parts.append(prefix + encode(text))
        except _UNFIT:
            parts.append(null)
            unparsed[column.name] = text
    for i in range(width, len(cells)):
        if cells[i]:
            unparsed[f"_column{i + 1}"] = cells[i]
    if unparsed and fail is not None:
        name, text = next(iter(unparsed.items()))
        kinds = {column.name: str(column.kind.value) for column in columns if column.kind is not None}
        raise Unparsed(counts.rows + 1, name, kinds.get(name, "column"), text).error(fail)
    if unparsed:
        counts.unparsed_rows += 1
        # No lone surrogate can reach here: the CSV is strict UTF-8.
        parts.append(("," if parts else "{") + f'"{UNPARSED}":' + COMPACT.encode(unparsed))
    return "".join(parts) + ("}\n" if parts else "{}\n")
