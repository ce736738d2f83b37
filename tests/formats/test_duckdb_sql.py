"""DuckDB's typed SELECT agrees with types.parse on every cell, hostile ones first."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from exportctl.formats import duckdb_sql
from exportctl.formats.types import UNPARSED, Column, Kind, infer, parse

duckdb = pytest.importorskip("duckdb")

HOSTILE: dict[Kind, list[str]] = {
    Kind.INTEGER: [
        "0",
        "-0",
        "+5",
        "007",
        "1.0",
        "1e3",
        " 1",
        "1 ",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "0x10",
        "1_000",
        "١٢",
        "--1",
        "+",
        "NaN",
    ],
    Kind.DOUBLE: [
        "1",
        "1.",
        ".5",
        "-.5e-3",
        "1e999",
        "-1e999",
        "1e-400",
        "inf",
        "NaN",
        "Infinity",
        "1,5",
        " 2",
        "0x1p3",
        "1e",
        "e5",
        "200.00",
        "1.7976931348623157e308",
        "١.٥",
    ],
    Kind.BOOLEAN: [
        "true",
        "TRUE",
        "False",
        "yes",
        "no",
        "1",
        "0",
        "t",
        "f",
        "on",
        " true",
        "true ",
        "\u017ftrue",
        "fal\u017fe",
        "tru\u0435",
        "FALSE",
    ],
    Kind.TIMESTAMP: [
        "2026-03-01T12:00:00.000Z",
        "2026-03-01T12:00:00Z",
        "2026-03-01 12:00",
        "2026-03-01T12:00:00.1239Z",
        "2026-03-01T12:00:00+01:00",
        "2026-03-01T12:00:00-0530",
        "2026-03-01T12:00:00+23:59",
        "2026-03-01T12:00:00+24:00",
        "2026-03-01T12:00:00+00:99",
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-03-01T24:00:00Z",
        "2026-03-01T23:60:00Z",
        "2026-03-01T23:59:60Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
        "2026-03-01",
        "2026-03-01T12",
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2026-03-01t12:00:00Z",
        "yes",
    ],
    Kind.DATE: [
        "2026-03-01",
        "2026-02-29",
        "2024-02-29",
        "0000-01-01",
        "0001-01-01",
        "9999-12-31",
        "2026-3-1",
        "2026-03-01T00:00:00Z",
        "20260301",
        "2026-00-10",
        "2026-04-31",
    ],
    Kind.JSON: [
        '{"a": 1}',
        "[1, 2]",
        "5",
        '"x"',
        "true",
        "null",
        "{",
        '{"a":1,}',
        "NaN",
        '{"a": 1e999}',
        '{"a": "\\ud800"}',
        '{"a": "x\ty"}',
        '{"a":1,"a":2}',
        " {} ",
        "{}x",
        "01",
        "[" * 2000,
    ],
    Kind.STRING: ["anything", " ", "'; DROP TABLE x; --", '"', "\u2028"],
}


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "cells.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


# Texts that a value does or does not round-trip to, for every kind (types.parse's one rule).
ROUND_TRIP = [
    *("02139", "+4915112345678", "12345678901234567891", "9223372036854775807", "-0", "0", "-7", " 7", "7 "),
    *("1.0", "1.50", "200.00", "0.1", "0.10000000000000001", "1e5", "1E5", "1.5e-7", "-0.0", "-1.5", ".5", "5."),
    *("0.30000000000000004", "123456789012345.6", "1234567890123456.7", "100000000000000000000.0", "1e+16"),
    *("true", "TRUE", "False", "2026-03-01T12:00:00.000Z", "2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123456Z"),
    *("2026-03-01T12:00:00.123000Z", "2026-03-01T13:00:00.000+01:00", "0999-01-01T00:00:00.000Z", "2026-03-01"),
]


def _expected(kind: Kind, text: str, exact: bool = False) -> tuple[Any, bool]:
    try:
        value = parse(kind, text, exact=exact)
    except (ValueError, OverflowError, RecursionError):
        return None, True
    if kind is Kind.JSON:
        return text, False  # DuckDB's output keeps the JSON text; types.parse only says whether it is JSON
    return value, False


def _run(columns: list[Column], path: Path, width: int) -> tuple[list[Column], Any]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")  # as the engines do, whatever the machine's zone
    source = duckdb_sql.read_csv(path, width)
    fixed = duckdb_sql.prepare(connection, columns, source)
    return fixed, connection.execute(duckdb_sql.typed_select(fixed, source))


@pytest.mark.parametrize("exact", [False, True], ids=["schema", "inferred"])
@pytest.mark.parametrize("kind", list(HOSTILE), ids=lambda k: k.value)
def test_duckdb_reads_every_cell_as_types_parse_does(tmp_path: Path, kind: Kind, exact: bool) -> None:
    cells = [*HOSTILE[kind], *ROUND_TRIP]
    path = _write(tmp_path, [["x"], *([cell] for cell in cells)])
    columns = [Column("x", "x", kind, inferred=exact)]
    rows = _run(columns, path, 1)[1].fetchall()
    assert len(rows) == len(cells)
    for cell, (value, unparsed) in zip(cells, rows, strict=True):
        expected, bad = _expected(kind, cell, exact)
        if isinstance(expected, datetime):
            assert value is not None and value.astimezone(timezone.utc) == expected, cell
        else:
            assert value == expected and type(value) is type(expected), cell
        assert (json.loads(unparsed) if unparsed else None) == ({"x": cell} if bad else None), cell


def test_inferred_kinds_agree_with_types_infer(tmp_path: Path) -> None:
    values = {
        "ints": ["1", "-2", "", "7"],
        "doubles": ["1.0", "2.5", "", "1000.0"],
        "bools": ["true", "false", "", "true"],
        "stamps": ["2026-01-01T00:00:00.000Z", "2026-01-01T10:00:00.000Z", "", "2025-12-31T23:00:00.000Z"],
        "mixed": ["1", "x", "", "true"],
        "empty": ["", "", "", ""],
        "spaces": [" ", "1", "", "2"],
        "almost": ["true", "yes", "", "false"],
    }
    names = list(values)
    rows = [list(row) for row in zip(*values.values(), strict=True)]
    path = _write(tmp_path, [names, *rows])
    columns = [Column(name, name, None) for name in names]
    got, _ = _run(columns, path, len(names))
    assert [c.kind for c in got] == [c.kind for c in infer(columns, rows)]
    assert [c.kind for c in got][:5] == [Kind.INTEGER, Kind.DOUBLE, Kind.BOOLEAN, Kind.TIMESTAMP, Kind.STRING]


def test_inference_never_guesses_in_sql_either(tmp_path: Path) -> None:
    """A column with one value that does not round-trip (`007`, `1e3`, `TRUE`, a zone) stays a string."""
    values = {
        "ints": ["1", "-2", "", "007"],
        "doubles": ["1.0", "2.5", "", "1e3"],
        "bools": ["true", "FALSE", "", "true"],
        "stamps": ["2026-01-01T00:00:00.000Z", "2026-01-01 10:00", "", "2026-01-01T00:00:00.000Z"],
        "phone": ["+4915112345678", "", "", ""],
        "big": ["12345678901234567891", "", "", ""],
    }
    names = list(values)
    rows = [list(row) for row in zip(*values.values(), strict=True)]
    path = _write(tmp_path, [names, *rows])
    columns = [Column(name, name, None) for name in names]
    got, _ = _run(columns, path, len(names))
    assert [c.kind for c in got] == [c.kind for c in infer(columns, rows)] == [Kind.STRING] * len(names)


def test_hostile_names_never_reach_the_sql_unquoted(tmp_path: Path) -> None:
    names = ['a"b', "c'd", "e]f", "g\x00h", "x" * 300, UNPARSED + "_2", "Ünï"]
    path = _write(tmp_path, [names, ["1", "2", "3", "4", "5", "6", "oops"]])
    columns = [Column(n, n, Kind.INTEGER) for n in names]
    _, result = _run(columns, path, len(names))
    assert [d[0] for d in result.description] == [*names, UNPARSED]
    row = result.fetchone()
    assert row[:6] == (1, 2, 3, 4, 5, 6) and json.loads(row[7]) == {"Ünï": "oops"}
