"""Loads into PostgreSQL as real processes: SIGTERM mid-load leaves the table and the watermark as they were,
two runs at once take the table's lock in turn (one that may not wait exits 8), and an incremental run keeps
its watermark in the database, in the transaction of its rows."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exportctl.errors import ExitCode
from exportctl.sandbox import Sandbox
from exportctl.warehouse.lock import ENV_LOCK_WAIT
from tests.cli.test_fault_matrix import collapsed, start_cli, subprocess_env
from tests.conftest import start_sandbox
from tests.postgres import PASSWORD, PgServer

FIELDS = "id,code,value,created_at,updated_at,metadata"
CHANGED = "2031-01-01T00:00:00.000Z"


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox of the test's own, whose records it changes."""
    with start_sandbox(db_path=tmp_path / "own.sqlite3", data_dir=tmp_path / "own-exports") as running:
        yield running


def _start(sandbox: Sandbox, work: Path, *args: str, wait: str = "60") -> subprocess.Popen[str]:
    return start_cli(sandbox, work, *args, env={ENV_LOCK_WAIT: wait})


def _finish(process: subprocess.Popen[str]) -> tuple[int, dict[str, Any], str]:
    out, err = process.communicate(timeout=120)
    assert "Traceback" not in err and PASSWORD not in out + err
    return process.returncode, json.loads(out) if out.strip() else {}, err


def _blocked(server: PgServer) -> bool:
    """Whether a load of exportctl is inside its transaction, waiting for a lock the test holds."""
    rows = server.query(
        "public",
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'exportctl' AND wait_event_type = 'Lock'",
    )
    return bool(rows[0][0])


def _wait_until_blocked(server: PgServer, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not _blocked(server):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the load never reached the table"
        time.sleep(0.02)


def _change_every_voucher(sandbox: Sandbox) -> None:
    conn = sandbox.store.connect()
    try:
        conn.execute("UPDATE vouchers SET updated_at = ?", [CHANGED])
        conn.commit()
    finally:
        conn.close()


def _watermarks(server: PgServer, schema: str) -> list[tuple[Any, ...]]:
    exists = server.query(schema, "SELECT to_regclass('_exportctl_watermarks') IS NOT NULL")[0][0]
    if not exists:
        return []
    return server.query(schema, "SELECT table_name, state_key, watermark FROM _exportctl_watermarks ORDER BY 1, 2")


def _state_watermark(state: Path) -> str | None:
    if not state.exists():
        return None
    exports = json.loads(state.read_text())["exports"]
    return next(iter(exports.values()))["watermark"] if exports else None


def test_sigterm_mid_load_leaves_the_table_and_the_watermark_then_a_rerun_loads_it(
    own: Sandbox, isolated: Path, postgres_server: PgServer, pg_schema: str
) -> None:
    into = ("voucher", "--fields", FIELDS, "--into", postgres_server.into(pg_schema, "voucher"), "--json")
    code, first, err = _finish(_start(own, isolated, *into))
    assert code == 0, err
    total = first["into"]["inserted"]
    before = postgres_server.query(pg_schema, "SELECT id, updated_at FROM voucher ORDER BY id")
    _change_every_voucher(own)
    state = isolated / "state.json"
    incremental = (*into, "--since-last", str(state))
    # The test holds the table in SHARE mode: the load stops inside its transaction, at the upsert.
    with postgres_server.connect(pg_schema) as holder, holder.transaction():
        holder.execute("LOCK TABLE voucher IN SHARE MODE")
        process = _start(own, isolated, *incremental)
        _wait_until_blocked(postgres_server, process)
        process.send_signal(signal.SIGTERM)
        code, summary, err = _finish(process)
    assert code == 143, err
    assert summary["interrupted"] == "SIGTERM"
    assert "Interrupted while loading into postgres://***@127.0.0.1" in collapsed(err)
    assert postgres_server.query(pg_schema, "SELECT id, updated_at FROM voucher ORDER BY id") == before
    assert _watermarks(postgres_server, pg_schema) == []
    assert _state_watermark(state) is None
    assert not [p.name for p in isolated.iterdir() if "staging" in p.name]
    assert not _blocked(postgres_server)

    code, summary, err = _finish(_start(own, isolated, *incremental))
    assert code == 0, err
    assert (summary["into"]["inserted"], summary["into"]["updated"]) == (0, total)
    [(table, key, at)] = _watermarks(postgres_server, pg_schema)
    assert (table, key) == ("voucher", summary["state_key"])
    assert at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" == summary["watermark"] == _state_watermark(state)
    # A rerun: nothing was created since the watermark, nothing is loaded.
    code, again, err = _finish(_start(own, isolated, *incremental))
    assert code == 0, err
    assert again["previous_watermark"] == summary["watermark"]
    assert (again["into"]["rows_loaded"], again["into"]["inserted"], again["into"]["updated"]) == (0, 0, 0)


def test_two_runs_at_once_one_that_may_not_wait_exits_8_and_the_other_loads(
    sandbox: Sandbox, isolated: Path, postgres_server: PgServer, pg_schema: str
) -> None:
    into = ("voucher", "--fields", FIELDS, "--into", postgres_server.into(pg_schema, "voucher"), "--json")
    code, first, err = _finish(_start(sandbox, isolated, *into))
    assert code == 0, err
    with postgres_server.connect(pg_schema) as holder:
        with holder.transaction():
            holder.execute("LOCK TABLE voucher IN SHARE MODE")
            running = _start(sandbox, isolated, *into)  # holds the table's advisory lock, waits for the test's
            _wait_until_blocked(postgres_server, running)
            code, summary, err = _finish(_start(sandbox, isolated, *into, wait="0"))
            assert code == ExitCode.LOCKED, err
            assert "Another exportctl run is loading into postgres://***@127.0.0.1" in collapsed(err)
            assert summary["exit_code"] == ExitCode.LOCKED
        code, summary, err = _finish(running)
    assert code == 0, err
    assert summary["into"]["unchanged"] == first["into"]["inserted"]
    # Two at once, both willing to wait: they take turns, both load.
    runs = [_start(sandbox, isolated, *into) for _ in range(2)]
    for code, summary, err in [_finish(run) for run in runs]:
        assert code == 0, err
        assert summary["into"]["rows_loaded"] == first["into"]["inserted"]


def test_the_database_watermark_wins_over_a_state_file_that_missed_the_commit(
    sandbox: Sandbox, isolated: Path, postgres_server: PgServer, pg_schema: str
) -> None:
    state = isolated / "state.json"
    into = postgres_server.into(pg_schema, "voucher")
    args = ("voucher", "--fields", FIELDS, "--into", into, "--since-last", str(state), "--json")
    code, first, err = _finish(_start(sandbox, isolated, *args))
    assert code == 0, err
    # As if the process died after the load's commit, before the state file was written.
    state.write_text(json.dumps({"version": 1, "exports": {}}))
    code, second, err = _finish(_start(sandbox, isolated, *args))
    assert code == 0, err
    assert second["previous_watermark"] == first["watermark"]
    assert second["into"]["rows_loaded"] == 0  # the window starts where the rows in the table end
    dry = subprocess.run(
        [sys.executable, "-m", "exportctl", *args[:-1], "--dry-run", "--json"],
        cwd=isolated,
        env=subprocess_env(sandbox),
        capture_output=True,
        text=True,
        check=False,
    )
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["requests"][0]["since"] == second["watermark"]
