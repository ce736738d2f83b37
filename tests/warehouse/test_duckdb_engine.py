"""warehouse/duckdb_engine.py: a new table gets its primary key after its rows (DuckDB 1.2's ALTER TABLE ...
ADD PRIMARY KEY), which must leave the same table as declaring the key first, and still send a file that
repeats or misses a key the staged way."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportctl.warehouse import duckdb_engine
from exportctl.warehouse.base import LoadError
from tests.warehouse.conftest import Warehouse

duckdb = pytest.importorskip("duckdb")

HEADER = ["ID", "Code", "Value", "Creation Date", "tier", "zip"]
ROWS = [
    ["v_1", "A", "1.5", "2026-03-01T12:00:00.000Z", "1", "02139"],
    ["v_2", "B", "2", "2026-03-02T12:00:00.000Z", "2", "12345"],
    ["v_3", "C", "", "", "3", ""],
]


def _shape(warehouse: Warehouse) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    conn = duckdb.connect(str(warehouse.database), read_only=True)
    try:
        sql = conn.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'voucher'").fetchall()
        constraints = conn.execute(
            "SELECT constraint_type, constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = 'voucher' ORDER BY constraint_type"
        ).fetchall()
    finally:
        conn.close()
    return sql, constraints, warehouse.rows()


@pytest.mark.parametrize("rows", [ROWS, [*ROWS, ["v_1", "A2", "9", "", "4", ""]]], ids=["unique", "repeated"])
def test_the_key_added_after_the_rows_makes_the_table_the_key_declared_first_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[str]]
) -> None:
    if not duckdb_engine.adds_key_later():
        pytest.skip("this DuckDB declares the key first only")
    later = Warehouse("duckdb", tmp_path / "later")
    (tmp_path / "later").mkdir()
    first_result = later.load(HEADER, rows)
    monkeypatch.setattr(duckdb_engine, "adds_key_later", lambda: False)
    first = Warehouse("duckdb", tmp_path / "first")
    (tmp_path / "first").mkdir()
    second_result = first.load(HEADER, rows)
    assert first_result.summary() == second_result.summary()
    assert _shape(later) == _shape(first)
    _, constraints, _ = _shape(later)
    assert ("PRIMARY KEY", ["id"]) in constraints
    # The key holds: a later load merges on it.
    again = later.load(HEADER, [["v_2", "B", "7", "", "2", "12345"]])
    assert (again.inserted, again.updated) == (0, 1)


def test_a_new_file_that_misses_a_key_is_refused_with_the_key_added_later(tmp_path: Path) -> None:
    warehouse = Warehouse("duckdb", tmp_path)
    with pytest.raises(LoadError, match="Row 3 has no id"):
        warehouse.load(HEADER, [ROWS[0], ROWS[1], ["", *ROWS[2][1:]]])
    assert "voucher" not in warehouse.tables()
