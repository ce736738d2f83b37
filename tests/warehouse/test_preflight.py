"""warehouse/preflight.py: the plan's read-only look at a load target."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from exportctl.errors import UsageError
from exportctl.request.into import Into
from exportctl.schema import get_object
from exportctl.warehouse.load import load_file
from exportctl.warehouse.preflight import check_target
from tests.warehouse.conftest import ENGINES, write_csv

VOUCHER = get_object("voucher")


def _loaded(engine: str, database: Path, table: str = "voucher") -> None:
    source = write_csv(database.parent / "v.csv", ["id", "code"], [["v_1", "A"]])
    load_file(engine, VOUCHER, source, database, table, fields=["id", "code"], style="fields")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_table_exportctl_made_for_the_object_passes_and_nothing_is_written(engine: str, tmp_path: Path) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    database = tmp_path / "w.db"
    _loaded(engine, database)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}

    check_target(VOUCHER, ["id", "code"], Into(engine, database, "VOUCHER"))  # SQL names fold case

    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_or_empty_file_is_a_database_to_be(engine: str, tmp_path: Path) -> None:
    check_target(VOUCHER, None, Into(engine, tmp_path / "new.db", "voucher"))
    (tmp_path / "empty.db").touch()
    check_target(VOUCHER, None, Into(engine, tmp_path / "empty.db", "voucher"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    """Reading a FIFO's first bytes would wait for a writer forever."""
    fifo = tmp_path / "w.db"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def plan() -> None:
        try:
            check_target(VOUCHER, None, Into("sqlite", fifo, "voucher"))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=plan, daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # let it go before failing
        with open(fifo, "wb"):
            pass
    assert not worker.is_alive(), "the plan opened the FIFO"
    assert isinstance(errors[0], UsageError) and "not a regular file" in errors[0].message


def test_a_database_a_writer_holds_is_left_to_the_load(tmp_path: Path) -> None:
    """DuckDB admits one writing process: the plan cannot read it now, and does not judge it."""
    pytest.importorskip("duckdb")
    database = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); c.execute('CREATE TABLE voucher (x INT)');"
            " print('ready', flush=True); sys.stdin.read()",
            str(database),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        check_target(VOUCHER, None, Into("duckdb", database, "voucher"))  # the load will say it is locked
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
    with pytest.raises(UsageError, match="exists and was not made by exportctl"):
        check_target(VOUCHER, None, Into("duckdb", database, "voucher"))  # now it can be read


def test_a_sqlite_table_of_the_users_under_another_case_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "w.db")
    conn.execute("CREATE TABLE Voucher (code TEXT)")
    conn.close()
    with pytest.raises(UsageError, match="was not made by exportctl"):
        check_target(VOUCHER, None, Into("sqlite", tmp_path / "w.db", "voucher"))


def test_a_wal_mode_sqlite_database_is_read_without_creating_its_log_files(tmp_path: Path) -> None:
    """A read-only connection would make `-wal` and `-shm` beside it; the plan makes nothing."""
    conn = sqlite3.connect(tmp_path / "w.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE voucher (code TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(UsageError, match="was not made by exportctl"):
        check_target(VOUCHER, None, Into("sqlite", tmp_path / "w.db", "voucher"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db"]


def test_an_sqlite_database_with_a_writer_at_work_is_left_to_the_load(tmp_path: Path) -> None:
    writer = sqlite3.connect(tmp_path / "w.db")
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE voucher (code TEXT)")
    writer.commit()  # the writer keeps the database open: its -wal and -shm are there
    try:
        check_target(VOUCHER, None, Into("sqlite", tmp_path / "w.db", "voucher"))
    finally:
        writer.close()
