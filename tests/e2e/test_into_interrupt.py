"""Ctrl-C (a real SIGINT to the CLI's process) while it loads into a table: the load rolls back, the table is
as it was, the watermark of an incremental run does not move; a run after it loads everything."""

from __future__ import annotations

import json
import re
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


@pytest.mark.parametrize(
    ("what", "signum", "code"),
    [
        ("duckdb", signal.SIGTERM, 143),
        ("duckdb", signal.SIGINT, 130),
        ("parquet", signal.SIGTERM, 143),
        ("parquet", signal.SIGINT, 130),
    ],
)
def test_a_signal_during_a_duckdb_load_or_a_parquet_conversion_exits_130_or_143_with_its_summary(
    large: Sandbox, isolated: Path, what: str, signum: int, code: int
) -> None:
    pytest.importorskip("duckdb")
    pytest.importorskip("pyarrow")
    fields = ("--fields", "id,code,voucher_type,value,gift_balance,created_at,updated_at,active,metadata")
    database = isolated / "w.duckdb"
    target = isolated / "v.parquet"
    if what == "duckdb":
        args: tuple[str, ...] = ("voucher", *fields, "--into", f"duckdb:{database}", "--json")
    else:
        args = ("voucher", *fields, "--format", "parquet", "-o", str(target), "--json")
    process = start_cli(large, isolated, *args)

    # The load holds the lock and has opened the database; the conversion's temporary file exists only
    # while it runs: the signal lands in DuckDB's work.
    def started() -> bool:
        if what == "duckdb":
            return database.exists() and (isolated / ".w.duckdb.exportctl-lock").exists()
        return bool(list(isolated.glob(".exportctl-*.parquet")))

    deadline = time.monotonic() + 120
    while not started() and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.005)
    process.send_signal(signum)
    seen = ""
    out, rest = process.communicate(timeout=120)
    stderr = seen + rest
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr and "RuntimeError" not in stderr
    summary = json.loads(out)
    assert summary["exit_code"] == code
    assert summary["interrupted"] == signal.Signals(signum).name
    assert "Interrupted" in (summary["error"] or ""), stderr
    if what == "duckdb":
        assert not database.exists() or Warehouse("duckdb", isolated).tables() in (
            [],
            ["_exportctl_columns", "_exportctl_tables"],
        )
    else:
        assert not target.exists()
    # No staging, temporary or lock file left.
    assert [p.name for p in isolated.iterdir() if p.name.startswith(".")] == []


def test_json_seconds_cover_the_download_and_the_load(large: Sandbox, isolated: Path) -> None:
    database = isolated / "w.sqlite"
    fields = "id,code,voucher_type,value,gift_balance,created_at,updated_at,active,metadata"
    process = start_cli(large, isolated, "voucher", "--fields", fields, "--into", f"sqlite:{database}", "--json")
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    downloaded = float(re.search(r" downloaded \d+ rows \([^)]*\) in ([0-9.]+)s", err)[1])  # type: ignore[index]
    loaded = float(re.search(r"loaded \d+ rows into .* in ([0-9.]+)s", err)[1])  # type: ignore[index]
    # Both are measured inside the run, one after the other; each printed to 0.1 s.
    assert json.loads(out)["seconds"] + 0.1 >= downloaded + loaded
