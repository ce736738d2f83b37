"""--into end to end against the sandbox: every object into both databases, merges, new columns, hostile keys."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exportctl.errors import ExitCode
from exportctl.formats.types import Kind, columns_for, infer, parse
from exportctl.request.values import iso_ms
from exportctl.schema import EXPORT_OBJECTS, get_object
from exportctl.warehouse import duckdb_engine, sqlite_engine
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox
from tests.warehouse.conftest import ENGINES, Warehouse

DUCKDB_SHOWN = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}  # how duckdb_columns() names the types


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Cli]:
    """A CLI against a sandbox of its own, whose data the test changes."""
    with start_sandbox(db_path=tmp_path / "own.sqlite3", data_dir=tmp_path / "own-exports") as running:
        yield Cli(running)


def warehouse_at(engine: str, database: Path, command: str, table: str | None = None) -> Warehouse:
    warehouse = Warehouse(engine, database.parent, command, table or command.replace("-", "_"))
    warehouse.database = database
    return warehouse


def declared(engine: str, kind: Kind) -> str:
    if engine == "sqlite":
        return sqlite_engine.sql_type(kind)
    name = duckdb_engine.sql_type(kind)
    return DUCKDB_SHOWN.get(name, name)


def held(engine: str, kind: Kind, text: str) -> Any:
    """What a table holds for a CSV cell that fits `kind`, as the engine's Python client reads it."""
    if not text:
        return None
    value = parse(kind, text)
    if kind is Kind.JSON:
        return text
    if engine == "sqlite":
        if kind is Kind.BOOLEAN:
            return int(value)
        if kind is Kind.TIMESTAMP:
            return iso_ms(value)
        if kind is Kind.DATE:
            return value.isoformat()
    return value


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("command", [obj.command for obj in EXPORT_OBJECTS])
def test_every_object_loads_into_typed_columns_holding_the_csvs_values(
    cli: Cli, isolated: Path, engine: str, command: str
) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    obj = get_object(command)
    fields = [f.name for f in obj.fields]
    database = isolated / f"w.{engine}"
    result = cli(command, "--fields", ",".join(fields), "--into", f"{engine}:{database}", "-o", "copy.csv", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    records = read_csv(isolated / "copy.csv")  # the CSV stays where -o asks for it
    assert summary["into"]["rows_loaded"] == summary["rows"] == len(records) - 1 > 0
    assert summary["into"]["inserted"] == len(records) - 1
    columns = infer(columns_for(obj, records[0], fields), records[1:])
    warehouse = warehouse_at(engine, database, command)
    types = warehouse.columns()
    assert list(types) == [*(c.name for c in columns), "_unparsed"]
    for column in columns:
        assert column.kind is not None
        if column.field is not None:
            assert types[column.name] == declared(engine, column.kind), column.name
    key = "id" if "id" in fields else "voucher_code, customer_id, date"
    names = ", ".join(f'"{c.name}"' for c in columns)
    got = warehouse.query(f'SELECT {names}, _unparsed FROM "{warehouse.table}" ORDER BY {key}')
    kinds = [c.kind or Kind.STRING for c in columns]
    expected = [
        [*(held(engine, k, cell) for k, cell in zip(kinds, record, strict=True)), None] for record in records[1:]
    ]
    key_positions = [[c.name for c in columns].index(k.strip()) for k in key.split(",")]
    expected.sort(key=lambda row: tuple(str(row[p]) for p in key_positions))
    assert [list(row) for row in got] == expected


def test_headers_fields_load_the_same_table(cli: Cli, isolated: Path) -> None:
    for name, headers in (("a", []), ("b", ["--headers", "fields"])):
        result = cli("voucher", "--into", f"sqlite:{name}.db", *headers)
        assert result.exit_code == 0, result.output
    assert warehouse_at("sqlite", isolated / "a.db", "voucher").rows(order="code") == (
        warehouse_at("sqlite", isolated / "b.db", "voucher").rows(order="code")
    )


def _set_metadata(cli: Cli, table: str, values: dict[str, dict[str, Any]]) -> None:
    conn = cli.sandbox.store.connect()
    try:
        for record_id, metadata in values.items():
            conn.execute(f"UPDATE {table} SET metadata = ? WHERE id = ?", (json.dumps(metadata), record_id))
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_repeated_runs_change_nothing_and_changed_records_are_updated(own: Cli, isolated: Path, engine: str) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    into = f"{engine}:{isolated / 'w.db'}"
    args = ("voucher", "--fields", "id,code,gift_balance,value,updated_at,metadata", "--into", into, "--json")
    run = own(*args)
    summary = json.loads(run.stdout)
    assert (summary["output"], summary["format"], summary["sha256"]) == (None, None, None)  # no file was kept
    first = summary["into"]
    assert first["inserted"] == first["rows_loaded"] > 0
    # The CSV the load reads is staged and removed: the lines say what was downloaded, not a file's name.
    assert "downloaded " in run.stderr and "staging" not in run.stderr
    again = json.loads(own(*args).stdout)["into"]
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, first["rows_loaded"])

    own.sandbox.store.add_records("voucher_transactions", 3)  # credits three gift cards: balance, value, updated_at
    added = set(own.sandbox.store.add_records("voucher", 2))
    changed = json.loads(own(*args).stdout)["into"]
    assert changed["inserted"] == 2
    assert 1 <= changed["updated"] <= 3
    warehouse = warehouse_at(engine, isolated / "w.db", "voucher")
    table = warehouse.query('SELECT id, gift_balance FROM "voucher" ORDER BY id')
    truth = own.sandbox.store.rows("SELECT id, gift_balance FROM vouchers ORDER BY id")
    assert table == [(i, b) for i, b in truth]
    assert added <= {row[0] for row in table}


@pytest.mark.parametrize("engine", ENGINES)
def test_incremental_runs_upsert_one_row_per_key_and_new_metadata_keys_add_columns(
    own: Cli, isolated: Path, engine: str
) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    state = isolated / "state.json"
    into = f"{engine}:{isolated / 'w.db'}#customers"
    args = ("customer", "--fields", "id,name,created_at,metadata", "--since-last", str(state), "--into", into, "--json")
    first = json.loads(own(*args).stdout)
    assert first["into"]["inserted"] == own.sandbox.store.counts()["customer"]
    warehouse = warehouse_at(engine, isolated / "w.db", "customer", "customers")
    columns_before = list(warehouse.columns())

    added = own.sandbox.store.add_records("customer", 3)
    _set_metadata(own, "customers", {added[0]: {"loyalty_level": 7, "tier": "gold"}, added[1]: {"loyalty_level": 9}})
    second = json.loads(own(*args).stdout)
    assert second["into"]["rows_loaded"] == 3 == second["into"]["inserted"]
    assert second["into"]["columns_added"] == [c for c in ["loyalty_level"] if c not in columns_before]
    assert warehouse.columns()["loyalty_level"] == declared(engine, Kind.INTEGER)
    rows = warehouse.query('SELECT id, loyalty_level FROM "customers" WHERE id IN (?, ?, ?) ORDER BY id', added)
    assert sorted(rows, key=lambda r: str(r[0])) == sorted(
        [(added[0], 7), (added[1], 9), (added[2], None)], key=lambda r: str(r[0])
    )
    count, distinct = warehouse.query('SELECT count(*), count(DISTINCT id) FROM "customers"')[0]
    assert count == distinct == own.sandbox.store.counts()["customer"]
    assert json.loads(state.read_text())["exports"]  # the watermark moved, after the load committed
    assert second["previous_watermark"] == first["watermark"]


HOSTILE_KEYS = ['say "hi"', "a]b", "it's", "x" * 300, "Tier", "tier", "TIER", "_unparsed", "code", "a;DROP TABLE x"]


@pytest.mark.parametrize("engine", ENGINES)
def test_hostile_metadata_keys_and_table_names_never_break_the_sql(own: Cli, isolated: Path, engine: str) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    voucher_id = own.sandbox.store.rows("SELECT id FROM vouchers ORDER BY id LIMIT 1")[0][0]
    _set_metadata(own, "vouchers", {voucher_id: {key: n for n, key in enumerate(HOSTILE_KEYS)}})
    into = f"{engine}:{isolated / 'w.db'}"
    result = own("voucher", "--fields", "id,code,metadata", "--into", into, "--json")
    assert result.exit_code == 0, result.output
    warehouse = warehouse_at(engine, isolated / "w.db", "voucher")
    names = list(warehouse.columns())
    assert len({n.casefold() for n in names}) == len(names)
    for key in ('say "hi"', "a]b", "it's", "x" * 300, "a;DROP TABLE x"):
        quoted = '"' + key[:63].replace('"', '""') + '"'  # at most 63 bytes, as PostgreSQL takes them
        assert warehouse.query(f'SELECT {quoted} FROM "voucher" WHERE id = ?', [voucher_id]) == [
            (HOSTILE_KEYS.index(key),)
        ]
    again = own("voucher", "--fields", "id,code,metadata", "--into", into, "--json")
    assert json.loads(again.stdout)["into"]["updated"] == 0
    for table in ('x"; DROP TABLE voucher; --', "a b", "1st", "t" * 64, "ta\x00ble"):
        refused = own("voucher", "--into", f"{engine}:{isolated / 'w.db'}#{table}")
        assert refused.exit_code == ExitCode.USAGE, refused.output
    assert warehouse.tables() == sorted(["_exportctl_columns", "_exportctl_tables", "voucher"])


def test_fields_without_the_key_are_refused_offline(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    result = cli("publication", "--fields", "channel", "--into", f"sqlite:{isolated / 'w.db'}")
    assert result.exit_code == ExitCode.USAGE
    assert "voucher_code+customer_id+date" in result.stderr
    assert cli.export_count() == before
    assert not (isolated / "w.db").exists()


def test_unparsed_fail_exits_9_and_leaves_the_table(own: Cli, isolated: Path) -> None:
    into = f"sqlite:{isolated / 'w.db'}"
    args = ("voucher", "--fields", "id,metadata", "--into", into)
    voucher_id = own.sandbox.store.rows("SELECT id FROM vouchers ORDER BY id LIMIT 1")[0][0]
    _set_metadata(own, "vouchers", {voucher_id: {"level": 1}})
    assert own(*args).exit_code == 0
    warehouse = warehouse_at("sqlite", isolated / "w.db", "voucher")
    before = warehouse.rows()
    _set_metadata(own, "vouchers", {voucher_id: {"level": "high"}})
    failed = own(*args, "--unparsed", "fail")
    assert failed.exit_code == ExitCode.UNPARSED, failed.output
    assert "'high' of column 'level' does not fit" in failed.stderr
    assert warehouse.rows() == before
    kept = own(*args, "--json")
    assert json.loads(kept.stdout)["into"]["unparsed_rows"] == 1
    assert warehouse.query('SELECT level, _unparsed FROM "voucher" WHERE id = ?', [voucher_id]) == [
        (None, '{"level": "high"}')
    ]


def test_dry_run_shows_the_table_and_its_column_types(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "--fields", "id,value,active,metadata", "--into", "sqlite:w.db#v", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["into"] == {
        "engine": "sqlite",
        "path": "w.db",
        "table": "v",
        "key": ["id"],
        "columns": [
            {"name": "id", "type": "TEXT", "header": "ID"},
            {"name": "value", "type": "REAL", "header": "Value"},
            {"name": "active", "type": "INTEGER", "header": "Active"},
            {"name": "(one per metadata key)", "type": "inferred", "header": "(each key)"},
            {"name": "_unparsed", "type": "TEXT", "header": "(none)"},
        ],
    }
    text = cli("voucher", "--into", "sqlite:w.db", "--dry-run")
    assert "into sqlite:w.db#voucher, rows merged on code:" in text.stderr
    assert not (isolated / "w.db").exists()


PROBE = """
import json, sys
if sys.argv[1] == "block":
    sys.modules["duckdb"] = None  # an environment without the warehouse extra
from exportctl.cli.app import app
try:
    app(sys.argv[2:], prog_name="exportctl")
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "duckdb": "duckdb" in sys.modules and sys.modules["duckdb"] is not None}))
"""


def _probe(cli: Cli, mode: str, *args: str) -> tuple[dict[str, Any], str]:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", PROBE, mode, *cli.credentials(), *args], capture_output=True, text=True, check=False
    )
    return json.loads(run.stdout.strip().splitlines()[-1]), run.stderr


def test_sqlite_needs_no_extra_and_duckdb_without_it_is_refused_offline(cli: Cli, isolated: Path) -> None:
    loaded, _ = _probe(cli, "block", "--quiet", "order", "--into", f"sqlite:{isolated / 'w.db'}")
    assert loaded == {"code": 0, "duckdb": False}
    assert warehouse_at("sqlite", isolated / "w.db", "order").query('SELECT count(*) FROM "order"')[0][0] > 0
    before = cli.export_count()
    refused, stderr = _probe(cli, "block", "order", "--into", f"duckdb:{isolated / 'w.duckdb'}")
    assert refused["code"] == ExitCode.USAGE
    assert "pip install 'exportctl[warehouse]'" in stderr
    assert cli.export_count() == before
    assert not (isolated / "w.duckdb").exists()


def test_a_split_export_loads_its_joined_windows(cli: Cli, isolated: Path) -> None:
    first, _ = cli.sandbox.data_range()
    args = ("order", "--split-by", "month", "--since", first[:10], "--into", f"sqlite:{isolated / 'w.db'}", "--json")
    result = cli(*args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["into"]["rows_loaded"] == summary["rows"] == summary["into"]["inserted"] > 0
    warehouse = warehouse_at("sqlite", isolated / "w.db", "order")
    assert warehouse.query('SELECT count(*), count(DISTINCT id) FROM "order"')[0] == (summary["rows"],) * 2
    assert not list(isolated.glob(".*staging*"))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_header_to_column_mapping_is_in_the_summary_and_the_dry_run(own: Cli, isolated: Path, engine: str) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    voucher_id = own.sandbox.store.rows("SELECT id FROM vouchers ORDER BY id LIMIT 1")[0][0]
    _set_metadata(own, "vouchers", {voucher_id: {"Tier": "a", "tier": "b", "ship\nto": "c", "x" * 70: "d"}})
    into = f"{engine}:{isolated / 'w.db'}"
    result = own("voucher", "--fields", "id,code,metadata", "--into", into, "--json")
    assert result.exit_code == 0, result.output
    columns = json.loads(result.stdout)["into"]["columns"]
    by_header = {c["header"]: c["name"] for c in columns}
    assert by_header["ID"] == "id" and by_header["ship\nto"] == "ship_to" and by_header["x" * 70] == "x" * 63
    assert {by_header["Tier"], by_header["tier"]} == {"Tier", "tier_2"}
    preview = own("voucher", "--fields", "id,code,metadata", "--into", into, "--dry-run", "--json")
    stored = {c["header"]: c["name"] for c in json.loads(preview.stdout)["into"]["stored"]}
    assert stored["tier"] == by_header["tier"] and stored["x" * 70] == "x" * 63
    text = own("voucher", "--fields", "id,code,metadata", "--into", into, "--dry-run")
    assert "'ship\\nto' -> 'ship_to'" in text.stderr
