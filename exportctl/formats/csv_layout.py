"""The CSV that DuckDB reads: the export's own file when DuckDB's reader sees it as Python's does, else a copy.

DuckDB's CSV reader and Python's `csv` module (`csv_source.records`, the reader of JSON Lines and SQLite)
agree on the files a CSV writer makes, but not on every file: DuckDB guesses the line ending from the
first line, so a header cell with a line break (a metadata key `"ship\\nto"`) before `\\r\\n` line ends
gives no rows at all, with no error; mixed line ends fail; a blank line is a row of nulls in a file of one
column. `scan` looks for all of these in one pass at C speed (the bytes reduced to quotes, commas and line
breaks, much as `files.csv.CsvDigest` counts rows), and counts the records by their line ends outside quotes.
`readable` hands DuckDB the file when it is plain, or a copy rewritten by Python's reader and writer
(`\\r\\n` line ends, a plain header `c0,c1,...`), created with O_EXCL under a name no other run can compute,
beside the file, and removed on every exit.

The count is checked against the rows DuckDB returns (`records`), so that a file DuckDB reads otherwise
is an error, never rows missing with exit 0.

Standard library only.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from exportctl.errors import OutputError
from exportctl.formats.csv_source import check, records
from exportctl.masking import printable

CHUNK = 1024 * 1024
# Every byte but `"`, `,`, `\r` and `\n`: deleting them leaves what decides where records end, and the
# commas, so that two line ends with nothing between them are still next to each other.
_NOT_MARK = bytes(b for b in range(256) if b not in b'",\r\n')
# A blank line (also one inside a quoted cell: a false alarm costs only the copy). Searched for in the bytes
# reduced to marks, a tenth of the file: deleting bytes never separates a blank line's two line ends, and a
# line of text brings a comma between them unless the file has one column (then the copy is made).
_BLANK = (b"\n\n", b"\n\r\n", b"\r\r")


@dataclass(frozen=True)
class Scan:
    records: int  # records after the header row, by their line ends outside quotes
    plain: bool  # DuckDB reads the file as Python's csv does


def scan(path: Path) -> Scan:
    """One pass over the CSV's bytes (and a strict read of its header row)."""
    header = next(records(path), None)
    if header is None:
        return Scan(0, True)
    plain = not any("\r" in cell or "\n" in cell for cell in header)
    ends = {"lf": 0, "crlf": 0, "cr": 0}
    in_quotes = False
    carry = b""
    last = last_two = b""
    with path.open("rb") as handle:
        block = handle.read(CHUNK)
        while block:
            following = handle.read(CHUNK)
            data = carry + block
            carry = b""
            if following and data.endswith(b"\r"):  # half of a `\r\n`, perhaps: read it with the next block
                data, carry = data[:-1], b"\r"
            reduced = data.translate(None, _NOT_MARK)
            seam = last_two + reduced[:2]  # a blank line across two blocks
            if plain and any(blank in reduced or blank in seam for blank in _BLANK):
                plain = False
            last_two = (last_two + reduced)[-2:]
            last = data[-1:] or last
            marks = reduced.translate(None, b",").replace(b'""', b"")
            pieces = marks.split(b'"')
            for piece in pieces[1::2] if in_quotes else pieces[0::2]:
                crlf = piece.count(b"\r\n")
                ends["crlf"] += crlf
                ends["lf"] += piece.count(b"\n") - crlf
                ends["cr"] += piece.count(b"\r") - crlf
            if (len(pieces) - 1) % 2:
                in_quotes = not in_quotes
            block = following
    if in_quotes:
        check(path)  # a quote left open: the message of every typed path
    if sum(1 for count in ends.values() if count) > 1:
        plain = False  # line ends of more than one kind
    lines = sum(ends.values()) + (1 if last not in (b"\n", b"\r") else 0)
    return Scan(max(0, lines - 1), plain)


@dataclass(frozen=True)
class Readable:
    path: Path  # the file DuckDB reads
    records: int  # the records DuckDB must return


@contextlib.contextmanager
def readable(path: Path) -> Iterator[Readable]:
    """The CSV at `path` as DuckDB is to read it (see the module's docstring)."""
    found = scan(path)
    if found.plain:
        yield Readable(path, found.records)
        return
    handle, name = tempfile.mkstemp(prefix=".exportctl-", suffix=".csv", dir=path.parent)
    copy = Path(name)
    try:
        count = -1
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")  # quotes every cell with a `\r` or `\n`
            for record in records(path):
                writer.writerow(record if count >= 0 else [f"c{i}" for i in range(len(record))])
                count += 1
        yield Readable(copy, max(0, count))
    finally:
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()


def missing_rows(path: Path, expected: int, got: int) -> OutputError:
    """The error when DuckDB returned another number of rows than the CSV has records."""
    return OutputError(
        f"DuckDB read {got} rows of the CSV {printable(path.name)}, which has {expected} records; nothing was "
        "written or loaded.",
        hint="--format jsonl and --into sqlite: read the file with Python's reader.",
    )
