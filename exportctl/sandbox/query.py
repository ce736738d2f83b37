"""From `parameters` (fields, order, filters) to one SQL query, and from its cursor to a CSV file.

Compilation reads schema.py (the request was checked against it in validation.py): the filter
fields with their types and the record attribute each one tests. Formatting happens in SQL
(booleans as `true`/`false`, JSON as compact text), so the rows stream from the cursor through
`csv.writer` without a Python step per cell.

The filters compile in `filtering` (semantics there and in docs/sandbox.md); this module selects the
columns, orders the rows and writes the file.
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exportctl import schema
from exportctl.sandbox import tables
from exportctl.sandbox.filtering import Condition, InvalidExport, compile_filters, json_path, sql_text

__all__ = [
    "Column",
    "Condition",
    "ExportSpec",
    "InvalidExport",
    "build_sql",
    "columns",
    "compile_filters",
    "header",
    "metadata_keys",
    "write_csv",
]

CSV_LINE_TERMINATOR = "\r\n"
METADATA = "metadata"  # the whole-metadata field, which expands into one column per key
# Rows per fetchmany: 5,000 rows of 30 cells outgrow the CPU caches between fetching and writing (5% more CPU
# than csv.writer over the cursor itself); 500 measured 2-3% less than that (docs/performance.md).
FETCH_ROWS = 500


@dataclass
class ExportSpec:
    """A validated export: what the worker turns into a CSV file."""

    exported_object: str
    fields: tuple[str, ...]
    order: str | None
    filters: dict[str, Any]
    scope: tuple[Condition, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)  # what the export object echoes


def _json_cell(column: str, path: str) -> str:
    # json_extract turns JSON booleans into 1/0; json_type tells them apart from numbers.
    return (
        f"CASE json_type(\"{column}\", {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
        f'ELSE json_extract("{column}", {path}) END'
    )


# A gift card's value is money, which the documented download example writes in currency units with two
# decimals (`2000.00`); the store keeps cents. A loyalty card's points and a discount's value stay as stored.
_VOUCHER_VALUE = "CASE voucher_type WHEN 'GIFT_VOUCHER' THEN printf('%.2f', \"value\" / 100.0) ELSE \"value\" END"


def _select_sql(obj: schema.ExportObject, name: str) -> str:
    field_def = next((f for f in schema.accepted_fields(obj.exported_object) if f.name == name), None)
    if field_def is not None:
        expr = f'"{name}"'
        if field_def.type is schema.ValueType.BOOLEAN:
            return f"CASE {expr} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
        if obj.exported_object == "voucher" and name == "value":
            return _VOUCHER_VALUE
        return expr
    column = name.partition(".")[0]
    return _json_cell(column, json_path(name[len(column) + 1 :]))


def _metadata_key_sql(key: str) -> str:
    # Looked up by json_each rather than a JSON path: a path cannot address every key (one holding a
    # double quote, say), and a key with a dot is one key, not a nested path.
    return (
        "(SELECT CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE j.value END "
        f'FROM json_each("{METADATA}") AS j WHERE j.key = {sql_text(key)})'
    )


@dataclass(frozen=True)
class Column:
    """One CSV column: its title in the header row and the SQL expression of its cells."""

    title: str
    sql: str


def columns(spec: ExportSpec, metadata_keys: tuple[str, ...] = ()) -> list[Column]:
    """The export's columns in order; the whole-`metadata` field becomes one column per key in `metadata_keys`."""
    obj = schema.API_OBJECTS[spec.exported_object]
    out: list[Column] = []
    for name in spec.fields:
        if name == METADATA:
            out.extend(Column(key, _metadata_key_sql(key)) for key in metadata_keys)
        else:
            out.append(Column(obj.title_of(name), _select_sql(obj, name)))
    if not out:
        # `metadata` alone over rows without metadata: one empty column keeps every line a CSV record.
        out.append(Column(obj.title_of(METADATA), "NULL"))
    return out


def header(spec: ExportSpec, metadata_keys: tuple[str, ...] = ()) -> list[str]:
    """The CSV header row: each field's title from the schema tables, as the API writes them."""
    return [column.title for column in columns(spec, metadata_keys)]


# the query and the file --------------------------------------------------------------------------------
def _where(spec: ExportSpec) -> tuple[str, str, list[Any]]:
    obj = schema.API_OBJECTS[spec.exported_object]
    where, params = compile_filters(obj, spec.filters, spec.scope)
    return tables.TABLE_NAMES[spec.exported_object], where, params


def metadata_keys(conn: sqlite3.Connection, spec: ExportSpec) -> tuple[str, ...]:
    """The metadata keys of the rows the export selects, sorted; () when `metadata` is not a field."""
    if METADATA not in spec.fields:
        return ()
    table, where, params = _where(spec)
    # The subquery keeps json_each's own columns (id, key, value, type) apart from the table's.
    sql = (
        f'SELECT DISTINCT j.key FROM (SELECT "{METADATA}" AS m FROM {table} WHERE {where}) AS t, json_each(t.m) AS j '
        "WHERE json_type(t.m) = 'object'"
    )
    return tuple(sorted(str(row[0]) for row in conn.execute(sql, params)))


def build_sql(spec: ExportSpec, metadata_keys: tuple[str, ...] = ()) -> tuple[str, list[Any]]:
    """The SELECT producing the export's rows, already formatted, in order."""
    select = ", ".join(column.sql for column in columns(spec, metadata_keys))
    table, where, params = _where(spec)
    order = "rowid"
    if spec.order:
        column = spec.order.lstrip("-")
        direction = "DESC" if spec.order.startswith("-") else "ASC"
        # rowid breaks ties so that equal keys still come out in the same order every time.
        order = f'"{column}" {direction}, rowid'
    return f"SELECT {select} FROM {table} WHERE {where} ORDER BY {order}", params


def write_csv(conn: sqlite3.Connection, spec: ExportSpec, path: Path) -> int:
    """Stream the export's rows from a cursor into `path`; returns the number of data rows.

    With `metadata` among the fields, a first pass reads the distinct metadata keys of the selected rows,
    so the header is known before the rows stream.
    """
    keys = metadata_keys(conn, spec)
    sql, params = build_sql(spec, keys)
    cursor = conn.execute(sql, params)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator=CSV_LINE_TERMINATOR)
        writer.writerow(header(spec, keys))
        while batch := cursor.fetchmany(FETCH_ROWS):
            writer.writerows(batch)
            rows += len(batch)
    return rows
