"""DuckDB's typed SQL reads every cell as formats/types.py does: the same value, or NULL where parse refuses."""

from __future__ import annotations

from typing import Any

import pytest

from exportctl.formats.types import Kind, parse
from exportctl.warehouse.duckdb_sql import typed

duckdb = pytest.importorskip("duckdb")

HOSTILE: dict[Kind, list[str]] = {
    Kind.INTEGER: [
        "1",
        "+42",
        "-0",
        "007",
        "1.0",
        "1.",
        ".5",
        "1e5",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        " 1",
        "1 ",
        "１２",
        "0x10",
        "--1",
        "1_0",
    ],
    Kind.DOUBLE: [
        "1.",
        "(1)",
        ".5",
        "1e5",
        "1E-3",
        "nan",
        "inf",
        "Infinity",
        "1e999",
        "-1e308",
        "1_000",
        " 1",
        "+.5e+2",
        "e5",
        ".",
        "0x1p3",
        "1,5",
    ],
    Kind.BOOLEAN: ["true", "FALSE", "True", "yes", "1", "t", " true", "truE", "on"],
    Kind.DATE: [
        "2028-02-29",
        "2027-02-29",
        "0000-01-01",
        "0001-01-01",
        "2026-1-01",
        "2026-03-01T00:00:00Z",
        "20260301",
        "9999-12-31",
        "2026-13-01",
        "-2026-01-01",
    ],
    Kind.TIMESTAMP: [
        "2026-03-01T12:00:00.123456Z",
        "2026-03-01T12:00:00.1234567890Z",
        "2026-03-01T12:00:00.123456789Z",
        "2026-03-01 12:00",
        "2026-03-01T24:00:00Z",
        "2026-03-01T23:60:00Z",
        "2026-03-01T12:00:60Z",
        "2026-02-30T00:00:00Z",
        "2026-03-01T01:00:00+01:99",
        "2026-03-01T01:00:00+0200",
        "2026-03-01T01:00:00+24:00",
        "2026-03-01T01:00:00-23:59",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-02:00",
        "2026-03-01",
        "yesterday",
        "2026-03-01T12:00:00.5z",
        "2026-03-01t12:00:00Z",
        "2026-03-01T12:00:00 UTC",
        "2026-03-01T12Z",
    ],
    Kind.JSON: [
        "{}",
        "[1,]",
        '{"a":1,}',
        "/*c*/1",
        "'a'",
        " 1 ",
        "01",
        "1.",
        "-",
        '"\\x"',
        '"\\ud800"',
        '"\\ud83d\\ude00"',
        "1e400",
        "[NaN]",
        '{"a":"NaN"}',
        '{"a":"x,]"}',
        '{ "a" : 1 }',
        "true",
        "nul",
        "[Infinity]",
        "-Infinity",
        '"a\\"]"',
        "[1,\n]",
        "[1]x",
        "\t[]\n",
        "\u00a0[]",
        '{"a" 1}',
        "[1 2]",
        "null",
    ],
}
CASES = [(kind, text) for kind, texts in HOSTILE.items() for text in texts]


@pytest.fixture(scope="module")
def conn() -> Any:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.mark.parametrize(("kind", "text"), CASES, ids=[f"{k.value}-{t!r}" for k, t in CASES])
def test_duckdb_reads_a_cell_as_types_parse_does(conn: Any, kind: Kind, text: str) -> None:
    try:
        expected: Any = parse(kind, text)
    except (ValueError, OverflowError, RecursionError):
        expected = None
    got = conn.execute(f"SELECT {typed(kind, 'x')} FROM (SELECT ?::VARCHAR AS x)", [text]).fetchone()[0]
    if kind is Kind.JSON:
        assert (got is not None) == (expected is not None or text.strip() == "null")
        if got is not None:
            assert got == text  # the text as written, not a re-serialisation
    else:
        assert got == expected


def test_an_empty_cell_is_null_for_every_kind(conn: Any) -> None:
    for kind in Kind:
        assert (
            conn.execute(f"SELECT {typed(kind, 'NULLIF(x, chr(0))')} FROM (SELECT NULL::VARCHAR AS x)").fetchone()[0]
            is None
        )
