"""Run one CSV through the four typed paths and read every output back as the same shape of Python values.

The paths: `--format jsonl` and `--format parquet` (formats.convert.convert_csv), `--into sqlite:` and
`--into duckdb:` (warehouse.load.load_file). Each output is read back as rows of (cells, unparsed): one
cell per CSV column, in the CSV's order, as its kind's canonical text (`types.canonical`; JSON as sorted
compact JSON), None for null; `unparsed` the `_unparsed` object, None when absent. Columns are matched by
position and by the names `csv_source.typed_columns` gives (the JSON Lines keys), never by spelling a
name here, so the test holds whatever the naming rules become.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from exportctl.formats.convert import convert_csv
from exportctl.formats.csv_source import typed_columns
from exportctl.formats.types import UNPARSED, Column, Kind
from exportctl.schema import ExportObject
from exportctl.warehouse.load import load_file

PATHS = ("jsonl", "parquet", "sqlite", "duckdb")
Row = tuple[list[str | None], dict[str, str] | None]


@dataclass
class Outputs:
    columns: list[Column]  # the typed view (kinds fixed) by types.py
    rows: dict[str, list[Row]]  # path -> rows
    types: dict[str, list[str]]  # path -> each column's type as the output declares it
    names: dict[str, list[str]] = field(default_factory=dict)  # path -> its column names, `_unparsed` aside


def run_four(obj: ExportObject, source: Path, *, fields: list[str] | None = None, style: str = "api") -> Outputs:
    """The CSV at `source` (an export of `obj`, of `fields` with headers in `style`) through the four paths,
    each into its own new output."""
    pytest.importorskip("duckdb")
    pq = pytest.importorskip("pyarrow.parquet")
    root = source.parent
    columns = typed_columns(obj, source, fields, style)
    rows: dict[str, list[Row]] = {}
    types: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {"jsonl": [column.name for column in columns]}  # _jsonl_row checks the keys
    for fmt in ("jsonl", "parquet"):
        target = root / f"out.{fmt}"
        convert_csv(
            obj, source, target, output_format=fmt, fields=fields, header_style=style, unparsed="keep", force=False
        )
        if fmt == "jsonl":
            # Records end at b"\n" only (splitlines would cut at U+2028 inside a string).
            documents = [json.loads(line) for line in target.read_bytes().split(b"\n") if line]
            rows[fmt] = [_jsonl_row(columns, document) for document in documents]
            types[fmt] = [str(column.kind.value) for column in columns if column.kind is not None]
        else:
            table = pq.read_table(target)
            assert table.column_names[-1] == UNPARSED and len(table.column_names) == len(columns) + 1
            data = [table.column(i).to_pylist() for i in range(len(columns) + 1)]
            rows[fmt] = [_row(columns, [d[n] for d in data[:-1]], data[-1][n]) for n in range(table.num_rows)]
            types[fmt] = [str(table.schema.field(i).type) for i in range(len(columns))]
            names[fmt] = table.column_names[:-1]
    for engine in ("sqlite", "duckdb"):
        database = root / f"db.{engine}"
        load_file(engine, obj, source, database, "t", fields=fields, style=style)
        table_names, records, declared = _table(engine, database)
        position = table_names.index(UNPARSED)
        assert len(table_names) == len(columns) + 1, table_names
        names[engine] = [name for i, name in enumerate(table_names) if i != position]
        rows[engine] = [
            _row(columns, [v for i, v in enumerate(record) if i != position], record[position]) for record in records
        ]
        types[engine] = [t for i, t in enumerate(declared) if i != position]
    for found in rows.values():  # a table has no order: every output sorted alike (the keys are unique)
        found.sort(key=lambda row: json.dumps(row[0]))
    return Outputs(columns, rows, types, names)


def _table(engine: str, database: Path) -> tuple[list[str], list[tuple[Any, ...]], list[str]]:
    if engine == "sqlite":
        connection = sqlite3.connect(database)
        try:
            cursor = connection.execute('SELECT * FROM "t" ORDER BY rowid')
            declared = [row[2] for row in connection.execute('PRAGMA table_info("t")').fetchall()]
            return [d[0] for d in cursor.description], cursor.fetchall(), declared
        finally:
            connection.close()
    import duckdb

    db = duckdb.connect(str(database), read_only=True)
    try:
        db.execute("SET TimeZone = 'UTC'")
        result = db.execute('SELECT * FROM "t"')
        names = [d[0] for d in result.description]
        found = result.fetchall()
        declared = [
            row[0]
            for row in db.execute(
                "SELECT data_type FROM duckdb_columns() WHERE table_name = 't' ORDER BY column_index"
            ).fetchall()
        ]
        return names, found, declared
    finally:
        db.close()


def _jsonl_row(columns: list[Column], document: dict[str, Any]) -> Row:
    keys = [column.name for column in columns]
    assert list(document)[: len(keys)] == keys and set(document) <= {*keys, UNPARSED}, list(document)
    unparsed = document.get(UNPARSED)
    return [_cell(c, document[c.name], parsed_json=True) for c in columns], unparsed


def _row(columns: list[Column], values: list[Any], unparsed: Any) -> Row:
    cells = [_cell(column, value, parsed_json=False) for column, value in zip(columns, values, strict=True)]
    return cells, json.loads(unparsed) if unparsed is not None else None


def _cell(column: Column, value: Any, *, parsed_json: bool) -> str | None:
    """`value` as the text it stands for: its kind's canonical text; the type checked on the way."""
    if value is None:
        return None
    kind = column.kind
    if kind is Kind.JSON:
        parsed = value if parsed_json else json.loads(value)
        # The JSON value null is null: JSON Lines cannot tell it from an empty cell, the tables keep `null`.
        return None if parsed is None else json.dumps(parsed, sort_keys=True, separators=(",", ":"))
    if kind is Kind.BOOLEAN:
        assert value in (True, False, 0, 1) and type(value) in (bool, int), (column.name, value)
        return canonical(kind, bool(value))
    if kind is Kind.INTEGER:
        assert type(value) is int, (column.name, value)
    if kind is Kind.DOUBLE:
        assert type(value) is float, (column.name, value)
    if kind is Kind.TIMESTAMP and isinstance(value, datetime):
        return canonical(kind, value.astimezone(timezone.utc))
    if kind is Kind.DATE and isinstance(value, date):
        return value.isoformat()
    if kind in (Kind.TIMESTAMP, Kind.DATE, Kind.STRING):
        assert isinstance(value, str), (column.name, value)
        return value
    return canonical(kind, value)  # type: ignore[arg-type]


def canonical(kind: Kind, value: Any) -> str:
    """A value's canonical text, written out here rather than taken from types.py: what the test holds."""
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    if kind is Kind.TIMESTAMP:
        utc = value.astimezone(timezone.utc)
        return str(utc.isoformat(timespec="milliseconds")).replace("+00:00", "Z").rjust(24, "0")
    if kind is Kind.DOUBLE:
        return repr(value)
    return str(value)


def disagreements(outputs: Outputs) -> list[str]:
    """Every cell (and `_unparsed`) on which the four outputs differ, described; [] when they agree."""
    problems = []
    reference = outputs.rows["jsonl"]
    for path in PATHS[1:]:
        got = outputs.rows[path]
        if len(got) != len(reference):
            problems.append(f"{path}: {len(got)} rows, jsonl {len(reference)}")
            continue
        for number, ((cells, unparsed), (want, want_unparsed)) in enumerate(zip(got, reference, strict=True)):
            for column, cell, expected in zip(outputs.columns, cells, want, strict=True):
                if cell != expected:
                    problems.append(f"{path} row {number + 1} {column.name!r}: {cell!r}, jsonl {expected!r}")
            if unparsed != want_unparsed:
                problems.append(f"{path} row {number + 1} _unparsed: {unparsed!r}, jsonl {want_unparsed!r}")
    return problems
