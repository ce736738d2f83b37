"""Runs at once, as real processes against the sandbox: two loads into one table take turns and each reports
its own rows (none lost), a run file's entries into one database load in turn, two typed files written to
one name end as one complete file, and a load that waits too long for the lock exits 8."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.sandbox import Sandbox
from exportctl.warehouse.lock import ENV_LOCK_WAIT, lock_path
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import start_cli
from tests.warehouse.conftest import ENGINES, Warehouse

FIELDS = "id,code,value,created_at,metadata"


def _start(sandbox: Sandbox, work: Path, *args: str, wait: str = "120") -> subprocess.Popen[str]:
    return start_cli(sandbox, work, *args, env={ENV_LOCK_WAIT: wait})


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=180)
    return process.returncode, out, err


def _halves(sandbox: Sandbox) -> tuple[str, int, int]:
    """A created_at that cuts the vouchers in two, and how many fall before and from it."""
    rows = sandbox.store.rows("SELECT created_at FROM vouchers ORDER BY created_at")
    middle = rows[len(rows) // 2][0]
    before = sum(1 for (created,) in rows if created < middle)
    return middle, before, len(rows) - before


def _warehouse(engine: str, database: Path) -> Warehouse:
    warehouse = Warehouse(engine, database.parent)
    warehouse.database = database
    return warehouse


@pytest.mark.parametrize("engine", ENGINES)
def test_two_loads_into_one_table_at_once_take_turns_and_report_their_own_rows(
    sandbox: Sandbox, isolated: Path, engine: str
) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    middle, early, late = _halves(sandbox)
    lost = 0
    for attempt in range(2):
        database = isolated / f"w{attempt}.{engine}"
        into = ("voucher", "--fields", FIELDS, "--into", f"{engine}:{database}", "--json")
        first = _start(sandbox, isolated, *into, "--until", middle)
        second = _start(sandbox, isolated, *into, "--since", middle)
        (code_1, out_1, err_1), (code_2, out_2, err_2) = _finish(first), _finish(second)
        assert (code_1, code_2) == (0, 0), err_1 + err_2
        assert "Traceback" not in err_1 + err_2
        assert json.loads(out_1)["into"]["rows_loaded"] == json.loads(out_1)["rows"] == early
        assert json.loads(out_2)["into"]["rows_loaded"] == json.loads(out_2)["rows"] == late
        count, distinct = _warehouse(engine, database).query('SELECT count(*), count(DISTINCT id) FROM "voucher"')[0]
        assert count == distinct
        lost += early + late - count
    assert lost == 0
    assert not [p.name for p in isolated.iterdir() if "staging" in p.name]


def test_a_run_files_entries_into_one_database_load_in_turn(sandbox: Sandbox, isolated: Path) -> None:
    middle, early, late = _halves(sandbox)
    database = isolated / "w.sqlite"
    entries: list[dict[str, object]] = [
        {"name": "early", "object": "voucher", "into": f"sqlite:{database}#voucher", "until": middle},
        {"name": "late", "object": "voucher", "into": f"sqlite:{database}#voucher", "since": middle},
        {"name": "customers", "object": "customer", "into": f"sqlite:{database}#customer"},
    ]
    for entry in entries[:2]:
        entry["parameters"] = {"fields": FIELDS.split(",")}
    run_file = isolated / "run.json"
    run_file.write_text(json.dumps({"exports": entries}))
    code, _out, err = _finish(_start(sandbox, isolated, "run", str(run_file), "--parallel", "3", "--json"))
    assert code == 0, err
    warehouse = _warehouse("sqlite", database)
    assert warehouse.query('SELECT count(*), count(DISTINCT id) FROM "voucher"') == [(early + late, early + late)]
    customers = sandbox.store.rows("SELECT count(*) FROM customers")[0][0]
    assert warehouse.query('SELECT count(*) FROM "customer"') == [(customers,)]
    assert "Traceback" not in err


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_two_typed_files_to_one_name_at_once_end_as_one_complete_file(
    sandbox: Sandbox, isolated: Path, fmt: str
) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    total = sandbox.store.rows("SELECT count(*) FROM vouchers")[0][0]
    target = isolated / f"o.{fmt}"
    args = ("voucher", "--fields", FIELDS, "--format", fmt, "-o", str(target), "--force", "--json")
    runs = [_start(sandbox, isolated, *args) for _ in range(2)]
    results = [_finish(run) for run in runs]
    for code, out, err in results:
        assert code == 0, err
        assert "Traceback" not in err
        assert json.loads(out)["rows_written"] == total
    if fmt == "jsonl":
        records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    else:
        import pyarrow.parquet as pq

        records = pq.read_table(target).to_pylist()
    assert len(records) == len({r["id"] for r in records}) == total
    assert sorted(p.name for p in isolated.iterdir() if p.name.startswith(".")) == []


def test_a_load_that_waits_too_long_for_the_lock_exits_8_and_loads_nothing(sandbox: Sandbox, isolated: Path) -> None:
    database = isolated / "w.sqlite"
    holder = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        code, out, err = _finish(
            _start(sandbox, isolated, "voucher", "--into", f"sqlite:{database}", "--json", wait="0.3")
        )
    finally:
        os.close(holder)
    assert code == ExitCode.LOCKED, err
    assert "Another exportctl run is loading into" in err and ENV_LOCK_WAIT in err
    assert json.loads(out)["exit_code"] == ExitCode.LOCKED
    assert not database.exists() or _warehouse("sqlite", database).tables() == []
    assert not [p.name for p in isolated.iterdir() if "staging" in p.name]


def test_a_bad_lock_wait_is_refused_before_the_export(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    before = cli.export_count()
    code, _out, err = _finish(_start(sandbox, isolated, "voucher", "--into", "sqlite:w.db", wait="soon"))
    assert code == ExitCode.USAGE, err
    assert f"{ENV_LOCK_WAIT}='soon' is not a number of seconds" in err
    assert cli.export_count() == before
    assert not (isolated / "w.db").exists()
