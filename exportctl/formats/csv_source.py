"""A downloaded CSV read as typed rows, streaming: its columns (kinds fixed), then one TypedRow per record.

From the file on disk and in constant memory. `typed_columns` reads the file once more first when a column's
kind is inferred (metadata keys, unknown titles); `guessed_columns` guesses those kinds from the first
records instead, for a writer that checks the guesses as it goes (speculate.py) and can start again. The
file is read as UTF-8 (a byte order mark is skipped) by the csv module's default dialect, which is how the
API writes its CSVs.

`--unparsed fail` is `first_unparsed`'s job: the first value that does not fit, by record number (1 is the
record after the header row) and column, for the error message.

Standard library only.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from exportctl.errors import OutputError, UnparsedValueError
from exportctl.formats.speculate import Guesses, first_guesses
from exportctl.formats.types import Column, RowReader, TypedRow, columns_for, infer
from exportctl.masking import printable
from exportctl.schema import ExportObject

# A metadata value or a `details` JSON may be long; the csv module's default limit is 128 KiB.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Unparsed:
    """Where a value did not fit: the record (from 1, after the header), the column and the text."""

    record: int
    column: str
    kind: str
    text: str

    def error(self, what: str) -> UnparsedValueError:
        shown = printable(self.text if len(self.text) <= 80 else self.text[:80] + "...")
        problem = f"is not a {self.kind}" if self.kind != "column" else "is a cell beyond the header row's columns"
        return UnparsedValueError(
            f"{what}: record {self.record} (after the header row), column {printable(self.column)}: "
            f"'{shown}' {problem}; nothing was written.",
            hint="Fix the value at its source, or keep such values in the _unparsed column with --unparsed keep.",
        )


def records(path: Path) -> Generator[list[str], None, None]:
    """Every record of the CSV, the header row first (a blank line is no record).

    The one reader of every typed path, strict: a file that is not UTF-8 text or not well-formed CSV (a quote
    left open, text after a closing quote, a record with more or fewer cells than the header row) is an
    OutputError naming the line, before any record is typed."""
    line = 0
    width: int | None = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            for record in reader:
                if record and width is not None and len(record) != width:
                    # DuckDB's reader cannot type such a record: no typed path does
                    raise malformed(path, line + 1, f"has {len(record)} cells where the header row has {width}")
                line = reader.line_num
                if record:
                    width = len(record) if width is None else width
                    yield record
    except UnicodeDecodeError as exc:
        raise malformed(path, _line_of_bad_byte(path), f"is not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise malformed(path, line + 1, f"is not well-formed CSV ({exc})") from None


def malformed(path: Path, line: int, problem: str) -> OutputError:
    """The one message of every typed path for a CSV it cannot read."""
    return OutputError(
        f"The CSV {printable(path.name)}, from line {line}, {problem}; nothing was written or loaded.",
        hint="The download is kept as it is; check it, or export again.",
    )


def _line_of_bad_byte(path: Path) -> int:
    """The line (from 1) of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return line + block.count(b"\n", 0, exc.start)
            line += block.count(b"\n")
    return line


def check(path: Path) -> int:
    """Read the whole CSV strictly (`records`), typing nothing: its number of records after the header row."""
    return sum(1 for _ in records(path)) - 1 if path.stat().st_size else 0


def header_of(path: Path) -> list[str]:
    """The CSV's header row ([] for an empty file)."""
    return next(records(path), [])


def typed_columns(obj: ExportObject, path: Path, fields: Iterable[str] | None, style: str) -> list[Column]:
    """The columns of the CSV at `path`, every kind fixed (a first pass over the records when one is inferred)."""
    rows = records(path)
    header = next(rows, [])
    columns = columns_for(obj, header, fields, style=style)
    if all(column.kind is not None for column in columns):
        return columns
    return infer(columns, rows)


def guessed_columns(
    obj: ExportObject, path: Path, fields: Iterable[str] | None, style: str
) -> tuple[list[Column], Guesses]:
    """The columns of the CSV at `path`, inferred kinds guessed from its first records (speculate.py), and
    the guesses, whose `watch()` checks them on every record."""
    rows = records(path)
    header = next(rows, [])
    return first_guesses(columns_for(obj, header, fields, style=style), rows)


def typed_rows(path: Path, columns: Sequence[Column]) -> Iterator[TypedRow]:
    """One TypedRow per record of the CSV (the header row skipped)."""
    rows = records(path)
    next(rows, None)
    read = RowReader(columns).read
    for cells in rows:
        yield read(cells)


def first_unparsed(path: Path, columns: Sequence[Column]) -> Unparsed | None:
    """The first value of the CSV that does not fit its column, or None when every value fits."""
    for number, row in enumerate(typed_rows(path, columns), start=1):
        if row.unparsed:
            name, text = next(iter(row.unparsed.items()))
            kind = next((str(c.kind.value) for c in columns if c.name == name and c.kind is not None), "column")
            return Unparsed(number, name, kind if name in {c.name for c in columns} else "column", text)
    return None
