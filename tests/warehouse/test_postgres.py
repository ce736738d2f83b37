"""What only PostgreSQL needs: texts it cannot hold, its identifier limit, and watermarks it keeps."""

from __future__ import annotations

import json

import pytest

from exportctl.formats.identifiers import quote_postgres
from tests.postgres import PgServer
from tests.warehouse.conftest import Warehouse


@pytest.fixture
def postgres(tmp_path, postgres_server: PgServer, pg_schema: str) -> Warehouse:
    return Warehouse("postgres", tmp_path, server=(postgres_server, pg_schema))


def test_a_nul_in_a_cell_goes_to_unparsed_in_postgres(postgres: Warehouse) -> None:
    header = ["ID", "Code", "Metadata", "note"]
    rows = [
        ["v_1", "A\x00B", '{"a": "x\\u0000y"}', "fine"],
        ["v_2", "C", '{"a": "\\u00e9"}', "n\x00l"],
    ]
    result = postgres.load(header, rows)
    assert (result.inserted, result.unparsed_rows) == (2, 2)
    got = postgres.rows("id, code, metadata, note, _unparsed")
    assert got[0][:4] == ("v_1", None, None, "fine")
    assert json.loads(got[0][4]) == {"code": "A\ufffdB", "metadata": '{"a": "x\\u0000y"}'}
    assert got[1][:2] == ("v_2", "C") and json.loads(got[1][2]) == {"a": "é"}
    assert got[1][3] is None and json.loads(got[1][4]) == {"note": "n\ufffdl"}
    # The same load again: the same values, nothing updated.
    again = postgres.load(header, rows)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_percent_signs_and_question_marks_are_data(postgres: Warehouse) -> None:
    header = ["ID", "Code", "%s", "?", "%(x)s"]
    postgres.load(header, [["v_1", "%s ? %%", "1", "2", "%"]])
    assert postgres.rows('code, "%s", "?", "%(x)s"') == [("%s ? %%", 1, 2, "%")]


def test_the_quoting_function_refuses_what_postgresql_would_cut_or_cannot_hold() -> None:
    assert quote_postgres('a"b') == '"a""b"'
    assert quote_postgres("é" * 31) == '"' + "é" * 31 + '"'
    for bad in ("", "a\x00b", "k" * 64, "é" * 32):
        with pytest.raises(ValueError):
            quote_postgres(bad)


EDGE_HEADER = ["ID", "Code", "Value", "Active", "Creation Date", "Redemption Limit", "Metadata", "tier", "zip", "at"]
EDGE_ROWS = [
    [
        "v_1",
        "A",
        "200.00",
        "TRUE",
        "2026-03-01T12:00:00.123Z",
        "5",
        '{"tier": 1}',
        "1",
        "02139",
        "2026-01-01T00:00:00.000Z",
    ],
    ["v_2", "", "0.10000000000000001", "yes", "2026-02-30T00:00:00Z", "1.0", "{", "x", "12345", ""],
    ["v_3", "C", "1e999", "false", "2026-03-01 12:00+02:00", "-0", '{"a": NaN}', "", "", "2026-01-01"],
    ["v_4", "D\r\nE", "-5", "False", "9999-12-31T23:59:59.999Z", "9223372036854775808", "[1, 2]", "7", "1", "x"],
    ["v_2", "B", "5", "true", "2026-03-02T00:00:00.000Z", "", '"s"', "3", "9", ""],
]


def _table(warehouse: Warehouse) -> list[tuple[object, ...]]:
    rows = warehouse.rows()
    return [tuple(json.loads(v) if isinstance(v, str) and v[:1] in "{[" else v for v in row) for row in rows]


def test_the_duckdb_and_the_python_reader_fill_the_same_table(
    tmp_path, postgres_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("duckdb")
    from exportctl.warehouse import pg_fast

    fast = Warehouse("postgres", tmp_path, server=(postgres_server, "edge_fast_" + tmp_path.name[-8:].lower()))
    first = fast.load(EDGE_HEADER, EDGE_ROWS)
    monkeypatch.setattr(pg_fast, "available", lambda: False)
    slow = Warehouse("postgres", tmp_path, server=(postgres_server, "edge_slow_" + tmp_path.name[-8:].lower()))
    second = slow.load(EDGE_HEADER, EDGE_ROWS)
    assert first.summary() == second.summary()
    assert (first.rows, first.inserted, first.unchanged, first.unparsed_rows) == (5, 4, 1, 3)
    assert fast.columns() == slow.columns()
    assert _table(fast) == _table(slow)


def test_a_record_over_duckdb_s_default_line_size_is_read_again_by_duckdb_not_by_python(
    postgres: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB reads with its default line size (which lets it use every CPU) and, at a record over 2 MB, reads
    the file again with room for it: the load stays on DuckDB's way, and the cell is whole."""
    pytest.importorskip("duckdb")
    from exportctl.warehouse import pg_fast

    attempts: list[bool] = []
    typed_copy = pg_fast._typed_copy

    def spy(*args: object, long: bool) -> object:
        attempts.append(long)
        return typed_copy(*args, long=long)  # type: ignore[arg-type]

    monkeypatch.setattr(pg_fast, "_typed_copy", spy)
    big = "x" * 3_000_000
    result = postgres.load(["ID", "Code", "note"], [["v_1", "A", big], ["v_2", "B", "y"]])
    assert attempts == [False, True]
    assert (result.rows, result.inserted) == (2, 2)
    assert postgres.rows("id, note") == [("v_1", big), ("v_2", "y")]
