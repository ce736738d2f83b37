"""What a load is asked to do and what it reports, shared by both engines."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from exportctl.errors import UnparsedValueError, UsageError
from exportctl.formats.csv_source import records
from exportctl.formats.types import Column, columns_for, fits
from exportctl.masking import printable
from exportctl.schema import ExportObject
from exportctl.warehouse.layout import Layout

csv.field_size_limit(sys.maxsize)  # a cell of `details` may be long; an export's CSV is trusted data


class LoadError(UnparsedValueError):
    """The export's rows could not be loaded (exit 9): a value that does not fit with --unparsed fail, a
    row without the key it is merged on; the table is as it was."""


@dataclass(frozen=True)
class LoadRequest:
    """Load the CSV at `source` (an export of `obj`) into `table` of the database at `database`."""

    obj: ExportObject
    source: Path
    database: Path
    table: str
    fields: tuple[str, ...] | None = None  # the requested fields (None: the API's defaults)
    style: str = "api"  # the header's: `api` titles or `fields` names (--headers fields)
    unparsed: str = "keep"  # `keep`: values that do not fit go to _unparsed; `fail`: LoadError


@dataclass(frozen=True)
class LoadResult:
    engine: str
    database: str
    table: str
    rows: int  # records in the CSV
    inserted: int
    updated: int  # rows whose key was there and whose values changed
    unchanged: int  # rows whose key was there with the same values (and repeated keys of the CSV)
    unparsed_rows: int = 0  # rows of the CSV with a value in _unparsed
    columns_added: list[str] = field(default_factory=list)  # SQL names of the columns this load created
    created: bool = False  # the table was created by this load
    columns: list[dict[str, str]] = field(default_factory=list)  # {header, name, type}: the CSV's cells' columns

    @classmethod
    def of(
        cls,
        engine: str,
        request: LoadRequest,
        layout: Layout,
        rows: int,
        inserted: int,
        updated: int,
        unparsed_rows: int,
    ) -> LoadResult:
        """The result of a committed load: the rows neither inserted nor updated were unchanged."""
        return cls(
            engine=engine,
            database=str(request.database),
            table=layout.table,
            rows=rows,
            inserted=inserted,
            updated=updated,
            unchanged=rows - inserted - updated,
            unparsed_rows=unparsed_rows,
            columns_added=[column.sql for column in layout.new],
            created=layout.create,
            columns=layout.mapping(),
        )

    def summary(self) -> dict[str, object]:
        return {
            "rows_loaded": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unparsed_rows": self.unparsed_rows,
            "columns_added": self.columns_added,
            "table_created": self.created,
            "columns": self.columns,
        }


def open_csv(path: Path) -> Iterator[list[str]]:
    """The records of the CSV at `path` (the header first): the one strict reader of every typed path."""
    return records(path)


def typed_columns(request: LoadRequest) -> list[Column]:
    """The typed columns of the CSV's header (kinds None where they are to be inferred)."""
    header = next(open_csv(request.source), None)
    if header is None:
        raise LoadError(f"The export's file {printable(str(request.source))} is empty: it has no header row.")
    return columns_for(request.obj, header, request.fields, style=request.style)


def unfit(row: int, column: str, text: str) -> LoadError:
    return LoadError(
        f"Row {row}: the value {printable(text[:80])!r} of column {printable(column)!r} does not fit its type; "
        "nothing was loaded.",
        hint="Load it as text in _unparsed with --unparsed keep.",
    )


def no_key(row: int, key: str) -> LoadError:
    return LoadError(
        f"Row {row} has no {printable(key)}, on which rows are merged; nothing was loaded.",
    )


def check_database_parent(database: Path) -> None:
    if database.is_dir():
        raise UsageError(f"{printable(str(database))} is a directory, not a database file.")
    if not database.parent.is_dir():
        raise UsageError(
            f"The directory of the database, {printable(str(database.parent))}, does not exist.",
            hint=f"Create it with: mkdir -p {database.parent}",
        )


def first_problem(request: LoadRequest, layout: Layout, *, keys_only: bool) -> LoadError:
    """The error naming the first record without its key (or, unless `keys_only`, with a value that does
    not fit), found by formats/types.py's rules: an engine that saw one in SQL asks here which row it was."""
    records = open_csv(request.source)
    next(records, None)
    key_names = {column.name for column in layout.key}
    exact = {i for i, column in enumerate(typed_columns(request)) if column.kind is None}  # inferred
    for number, record in enumerate(records, start=1):
        for index, column in layout.columns:
            text = record[index] if index < len(record) else ""
            fit = fits(column.kind, text, exact=index in exact)
            if column.name in key_names and (not text or not fit):
                return no_key(number, column.sql)
            if not keys_only and text and not fit:
                return unfit(number, column.sql, text)
    return LoadError("A row could not be loaded; nothing was loaded.")  # the engine saw one: not reached
