"""Ctrl-C (a real SIGINT to the CLI's process) while it loads into a table: the load rolls back, the table is
as it was, the watermark of an incremental run does not move; a run after it loads everything."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
from tests.cli.test_fault_matrix import collapsed, start_cli
from tests.conftest import start_sandbox
from tests.warehouse.conftest import ENGINES, Warehouse

# 50,000 vouchers (about 20 MB of CSV): a load that takes seconds in SQLite and most of one in DuckDB,
# long enough for a signal sent when the download is saved to land inside it.
SCALE = 5
CHANGED = "2031-01-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("large-sandbox")
    with start_sandbox(seed=3, scale=SCALE, db_path=root / "db.sqlite3", data_dir=root / "exports") as running:
        yield running


def _run(sandbox: Sandbox, work: Path, *args: str, interrupt: bool = False) -> tuple[int, str]:
    process = start_cli(sandbox, work, *args)
    assert process.stderr is not None
    seen = ""
    if interrupt:
        deadline = time.monotonic() + 120
        while " loading " not in seen and time.monotonic() < deadline and process.poll() is None:
            seen += process.stderr.readline()
        process.send_signal(signal.SIGINT)  # the load has begun
    _, rest = process.communicate(timeout=120)
    return process.returncode, seen + rest


@pytest.mark.parametrize("engine", ENGINES)
def test_ctrl_c_during_the_load_leaves_the_table_and_the_watermark(large: Sandbox, isolated: Path, engine: str) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    work = isolated
    database = work / f"w.{engine}"
    fields = "id,code,voucher_type,value,gift_balance,created_at,updated_at,active,metadata"
    into = ("--fields", fields, "--into", f"{engine}:{database}")
    code, stderr = _run(large, work, "voucher", *into)
    assert code == 0, stderr
    warehouse = Warehouse(engine, work)
    warehouse.database = database
    before = warehouse.rows("id, updated_at")

    # Every voucher changes: the interrupted run would update every row of the table.
    conn = large.store.connect()
    try:
        conn.execute("UPDATE vouchers SET updated_at = ?", [CHANGED])
        conn.commit()
    finally:
        conn.close()
    state = work / "state.json"
    incremental = ("voucher", *into, "--since-last", str(state), "--json")
    code, stderr = _run(large, work, *incremental, interrupt=True)
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert f"Interrupted while loading into {engine}:{database}#voucher" in collapsed(stderr)
    assert warehouse.rows("id, updated_at") == before
    assert not state.exists() or json.loads(state.read_text())["exports"] == {}
    assert not list(work.glob(".*staging*"))

    code, stderr = _run(large, work, *incremental)
    assert code == 0, stderr
    after = warehouse.rows("id, updated_at")
    assert [i for i, _ in after] == [i for i, _ in before]
    assert {str(v).replace(" ", "T").replace("+00:00", ".000Z") for _, v in after} == {CHANGED}
    assert next(iter(json.loads(state.read_text())["exports"].values()))["watermark"]
