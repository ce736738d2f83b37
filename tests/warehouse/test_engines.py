"""Every engine: typed tables, merges on the key, new columns, one transaction, refused files and tables."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import pytest

from exportctl.errors import ExitCode, LockedError, OutputError, UsageError
from exportctl.warehouse.base import LoadError
from tests.warehouse.conftest import ALL_ENGINES, Warehouse

HEADER = ["ID", "Code", "Value", "Active", "Creation Date", "Redemption Limit", "Metadata", "tier", "score"]
ROWS = [
    ["v_1", "A-1", "200.00", "true", "2026-03-01T12:00:00.123Z", "5", '{"tier": 1}', "1", "gold"],
    ["v_2", "A-2", "5", "FALSE", "2026-03-02T00:00:00.000Z", "", '{"n": [1, 2]}', "2", ""],
    ["v_3", "A-3", "", "", "", "7", "", "", "3"],
]
EXPECTED_TYPES = {
    "sqlite": {
        "id": "TEXT",
        "code": "TEXT",
        "value": "REAL",
        "active": "INTEGER",
        "created_at": "TEXT",
        "redemption_quantity": "INTEGER",
        "metadata": "TEXT",
        "tier": "INTEGER",
        "score": "TEXT",
        "_unparsed": "TEXT",
    },
    "duckdb": {
        "id": "VARCHAR",
        "code": "VARCHAR",
        "value": "DOUBLE",
        "active": "BOOLEAN",
        "created_at": "TIMESTAMP WITH TIME ZONE",
        "redemption_quantity": "BIGINT",
        "metadata": "JSON",
        "tier": "BIGINT",
        "score": "VARCHAR",
        "_unparsed": "JSON",
    },
    "postgres": {
        "id": "TEXT",
        "code": "TEXT",
        "value": "DOUBLE PRECISION",
        "active": "BOOLEAN",
        "created_at": "TIMESTAMP WITH TIME ZONE",
        "redemption_quantity": "BIGINT",
        "metadata": "JSONB",
        "tier": "BIGINT",
        "score": "TEXT",
        "_unparsed": "JSONB",
    },
}
BOOLEANS = ("duckdb", "postgres")  # the engines with a BOOLEAN type (SQLite holds 1/0)


def normal(value: Any) -> Any:
    """A value as both engines can be compared: instants as ISO text with ms and Z, booleans as 0/1."""
    if isinstance(value, datetime):
        utc = value.astimezone(timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def normal_rows(warehouse: Warehouse, columns: str = "*") -> list[tuple[Any, ...]]:
    return [tuple(normal(v) for v in row) for row in warehouse.rows(columns)]


def test_the_table_is_created_with_typed_columns(warehouse: Warehouse) -> None:
    result = warehouse.load(HEADER, ROWS)
    assert (result.rows, result.inserted, result.updated, result.unchanged, result.created) == (3, 3, 0, 0, True)
    assert warehouse.columns() == EXPECTED_TYPES[warehouse.engine]
    assert normal_rows(warehouse) == [
        ("v_1", "A-1", 200.0, 1, "2026-03-01T12:00:00.123Z", 5, '{"tier": 1}', 1, "gold", None),
        ("v_2", "A-2", 5.0, 0, "2026-03-02T00:00:00.000Z", None, '{"n": [1, 2]}', 2, None, None),
        ("v_3", "A-3", None, None, None, 7, None, None, "3", None),
    ]


def test_both_engines_hold_the_same_values(make_warehouse: Callable[..., Warehouse]) -> None:
    hostile = [["v_9", "B", "1e999", "yes", "2026-02-30T00:00:00Z", "1.0", "{", "x", "NaN"], *ROWS]
    held = []
    for engine in ALL_ENGINES:
        warehouse = make_warehouse(engine)
        warehouse.load(HEADER, hostile)
        held.append([(*row[:-1], json.loads(row[-1]) if row[-1] else None) for row in normal_rows(warehouse)])
    assert held[0] == held[1] == held[2]
    assert held[0][-1][-1] == {
        "value": "1e999",
        "active": "yes",
        "created_at": "2026-02-30T00:00:00Z",
        "redemption_quantity": "1.0",
        "metadata": "{",
    }  # tier and score: inferred as strings, since "x" and "NaN" are no numbers


def test_a_repeated_load_changes_nothing(warehouse: Warehouse) -> None:
    warehouse.load(HEADER, ROWS)
    before = warehouse.rows()
    again = warehouse.load(HEADER, ROWS)
    assert (again.rows, again.inserted, again.updated, again.unchanged, again.created) == (3, 0, 0, 3, False)
    assert again.columns_added == []
    assert warehouse.rows() == before


def test_an_incremental_load_upserts_on_the_key(warehouse: Warehouse) -> None:
    warehouse.load(HEADER, ROWS)
    changed = [
        ["v_2", "A-2", "6", "true", "2026-03-02T00:00:00.000Z", "", '{"n": [1, 2]}', "2", ""],
        ["v_4", "A-4", "1", "true", "2026-03-04T00:00:00.000Z", "1", "", "4", "x"],
        ["v_3", "A-3", "", "", "", "7", "", "", "3"],
    ]
    result = warehouse.load(HEADER, changed)
    assert (result.rows, result.inserted, result.updated, result.unchanged) == (3, 1, 1, 1)
    assert warehouse.rows("id, value, active") == [
        ("v_1", 200.0, True if warehouse.engine in BOOLEANS else 1),
        ("v_2", 6.0, True if warehouse.engine in BOOLEANS else 1),
        ("v_3", None, None),
        ("v_4", 1.0, True if warehouse.engine in BOOLEANS else 1),
    ]


def test_a_key_repeated_in_one_file_keeps_its_last_row(warehouse: Warehouse) -> None:
    rows = [ROWS[0], [*ROWS[0][:2], "999", *ROWS[0][3:]], ROWS[1]]
    result = warehouse.load(HEADER, rows)
    assert (result.rows, result.inserted, result.unchanged) == (3, 2, 1)
    assert warehouse.rows("id, value") == [("v_1", 999.0), ("v_2", 5.0)]
    warehouse.load(HEADER, rows)
    assert warehouse.rows("id, value") == [("v_1", 999.0), ("v_2", 5.0)]


def test_vouchers_without_id_merge_on_code(warehouse: Warehouse) -> None:
    header = ["Code", "Value"]
    warehouse.load(header, [["A", "1"], ["B", "2"]])
    result = warehouse.load(header, [["B", "3"], ["C", "4"]])
    assert (result.inserted, result.updated) == (1, 1)
    assert warehouse.rows("code, value", order="code") == [("A", 1.0), ("B", 3.0), ("C", 4.0)]
    with pytest.raises(UsageError, match=r"merges voucher rows on code; this export's key would be id"):
        warehouse.load(["ID", "Code"], [["v_1", "A"]])


def test_a_new_metadata_key_adds_a_column_and_a_kept_kind(warehouse: Warehouse) -> None:
    warehouse.load(HEADER, ROWS)
    header = [*HEADER, "region"]
    rows = [["v_1", "A-1", "1", "true", "", "", "", "platinum", "4", "EU"]]
    result = warehouse.load(header, rows)
    assert result.columns_added == ["region"]
    assert list(warehouse.columns())[-1] == "region"
    # tier was made an integer column: a later text value keeps the column's kind and goes to _unparsed.
    row = warehouse.query('SELECT tier, score, region, _unparsed FROM "voucher" WHERE id = ?', ["v_1"])[0]
    assert row[:3] == (None, "4", "EU")
    assert json.loads(row[3]) == {"tier": "platinum"}


HOSTILE_KEYS = [
    'a"b',
    "x]y",
    "semi;colon",
    "'quote'",
    "nul\x00key",
    "k" * 300,
    "Tier",
    "tier",
    "TIER",
    "_unparsed",
    "id",
]


def test_hostile_metadata_keys_never_break_the_sql(warehouse: Warehouse) -> None:
    header = ["ID", *HOSTILE_KEYS]
    values = [str(n) for n in range(len(HOSTILE_KEYS))]
    result = warehouse.load(header, [["v_1", *values]])
    assert result.inserted == 1
    names = list(warehouse.columns())
    assert len({name.casefold() for name in names}) == len(names) == len(HOSTILE_KEYS) + 2
    assert {'a"b', "x]y", "nul_key", "k" * 63, "Tier", "tier_2", "TIER_3"} <= set(names)
    # A later run with one of the case twins finds the column it had, whatever the others.
    again = warehouse.load(["ID", "tier"], [["v_2", "99"]])
    assert again.columns_added == []
    assert warehouse.query('SELECT "tier_2" FROM "voucher" WHERE id = ?', ["v_2"]) == [(99,)]
    assert warehouse.query('SELECT "a""b", "x]y" FROM "voucher" WHERE id = ?', ["v_1"]) == [(0, 1)]
    # A value that no longer fits a hostile key's column lands in _unparsed under the column's name.
    warehouse.load(["ID", "nul\x00key", 'a"b'], [["v_3", "zz", "1"]])
    row = warehouse.query('SELECT "nul_key", "a""b", _unparsed FROM "voucher" WHERE id = ?', ["v_3"])[0]
    assert row[:2] == (None, 1)
    assert json.loads(row[2]) == {"nul_key": "zz"}


def test_unparsed_fail_names_the_row_and_leaves_the_table(warehouse: Warehouse) -> None:
    warehouse.load(HEADER, ROWS)
    before = warehouse.rows()
    bad = [ROWS[0], ["v_5", "A-5", "12,5", "true", "", "", "", "", ""]]
    with pytest.raises(LoadError, match=r"Row 2: the value '12,5' of column 'value' does not fit") as caught:
        warehouse.load(HEADER, bad, unparsed="fail")
    assert caught.value.exit_code == ExitCode.UNPARSED
    assert warehouse.rows() == before


def test_a_row_without_its_key_is_refused(warehouse: Warehouse) -> None:
    with pytest.raises(LoadError, match="Row 2 has no id"):
        warehouse.load(HEADER, [ROWS[0], ["", *ROWS[1][1:]]])
    assert "voucher" not in warehouse.tables()


def test_an_export_without_key_columns_is_refused(warehouse: Warehouse) -> None:
    with pytest.raises(UsageError, match=r"none of the columns that identify a row \(id or code\)"):
        warehouse.load(["Value"], [["1"]])


def test_a_file_that_is_no_database_of_the_engine_is_left_alone(warehouse: Warehouse) -> None:
    if warehouse.server is not None:
        pytest.skip("a server, not a file")
    warehouse.database.write_bytes(b"precious notes\n" * 10)
    with pytest.raises(
        UsageError, match=f"is not an? {'SQLite' if warehouse.engine == 'sqlite' else 'DuckDB'} database"
    ):
        warehouse.load(HEADER, ROWS)
    assert warehouse.database.read_bytes() == b"precious notes\n" * 10


def test_a_database_of_the_other_engine_is_refused(make_warehouse: Callable[..., Warehouse]) -> None:
    lite, duck = make_warehouse("sqlite"), make_warehouse("duckdb")
    lite.load(HEADER, ROWS)
    duck.load(HEADER, ROWS)
    lite_bytes = lite.database.read_bytes()
    lite.database, duck.database = duck.database, lite.database
    with pytest.raises(UsageError, match="is not a DuckDB database"):
        duck.load(HEADER, ROWS)
    assert duck.database.read_bytes() == lite_bytes


def test_a_table_exportctl_did_not_make_is_refused(warehouse: Warehouse) -> None:
    if warehouse.engine == "sqlite":
        conn = sqlite3.connect(warehouse.database)
        conn.execute("CREATE TABLE voucher (id TEXT, mine TEXT)")
        conn.commit()
        conn.close()
    elif warehouse.server is not None:
        server, schema = warehouse.server
        with server.connect() as conn:
            conn.execute(f'CREATE SCHEMA "{schema}" AUTHORIZATION loader')
            conn.execute(f'CREATE TABLE "{schema}"."Voucher" (id TEXT)')
    else:
        import duckdb

        other = duckdb.connect(str(warehouse.database))
        other.execute("CREATE TABLE Voucher (id VARCHAR)")
        other.close()
    with pytest.raises(UsageError, match="exists and was not made by exportctl"):
        warehouse.load(HEADER, ROWS)


def test_a_table_of_another_object_is_refused(warehouse: Warehouse) -> None:
    warehouse.load(HEADER, ROWS)
    warehouse.obj = __import__("exportctl.schema", fromlist=["get_object"]).get_object("order")
    with pytest.raises(UsageError, match="holds voucher exports, not order"):
        warehouse.load(["ID", "Status"], [["o_1", "PAID"]])


def test_a_locked_database_gets_a_clear_message(warehouse: Warehouse, tmp_path: Any) -> None:
    warehouse.load(HEADER, ROWS)
    before = warehouse.rows()
    if warehouse.engine == "sqlite":
        holder = sqlite3.connect(warehouse.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        import exportctl.warehouse.sqlite_engine as engine

        wait, engine.LOCK_WAIT = engine.LOCK_WAIT, 0.1
        try:
            with pytest.raises(LockedError, match="is locked by another process") as caught:
                warehouse.load(HEADER, [["v_9", *ROWS[0][1:]]])
        finally:
            engine.LOCK_WAIT = wait
            holder.execute("ROLLBACK")
            holder.close()
    elif warehouse.server is not None:
        from exportctl.warehouse.pg_connect import lock_key

        server, schema = warehouse.server
        with server.connect() as other, other.transaction():
            other.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [lock_key(schema, "voucher")])
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("EXPORTCTL_LOCK_WAIT", "0.2")
                with pytest.raises(LockedError, match="Another exportctl run is loading into") as caught:
                    warehouse.load(HEADER, [["v_9", *ROWS[0][1:]]])
        assert server.url.split("@")[0].split(":")[-1] not in str(caught.value)  # no password shown
    else:
        import subprocess
        import sys

        code = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()"
        holder_process = subprocess.Popen(
            [sys.executable, "-c", code, str(warehouse.database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder_process.stdout is not None and holder_process.stdout.readline() == "open\n"
            with pytest.raises(LockedError, match="is open in another process") as caught:
                warehouse.load(HEADER, [["v_9", *ROWS[0][1:]]])
        finally:
            holder_process.communicate("")
    assert caught.value.exit_code == ExitCode.LOCKED
    assert warehouse.rows() == before


def test_a_malformed_csv_fails_the_load_and_leaves_the_table(warehouse: Warehouse) -> None:
    warehouse.load(HEADER, ROWS)
    before = warehouse.rows()
    broken = warehouse.root / "broken.csv"
    broken.write_text(",".join(HEADER) + '\nv_7,"A-7"x,1,true,,,,,\n', encoding="utf-8")
    with pytest.raises(OutputError) as caught:
        warehouse.load_file(broken)
    assert caught.value.exit_code == ExitCode.UNEXPECTED
    assert warehouse.rows() == before
