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
