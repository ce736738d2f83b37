"""`--db FILE` never destroys data: only new files and the sandbox's own are filled or rebuilt."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.sandbox import Sandbox, SandboxDatabaseError, Timing, tables
from exportctl.sandbox.store import GENERATOR_VERSION

from .test_sandbox_cli import read_banner, start, stop

FAST = Timing(scheduled=0.0, in_progress=0.0, per_thousand_rows=0.0)
PINNED = date(2026, 11, 1)


def application_database(path: Path) -> Path:
    """An application's own SQLite file, with a `customers` and even a `meta` table of its own."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);"
        "INSERT INTO customers (email) VALUES ('ada@example.com'), ('alan@example.com');"
        "CREATE TABLE meta (key TEXT, value TEXT);"
        "INSERT INTO meta VALUES ('seed', '42'), ('scale', '1.0'), ('version', '1');"
    )
    conn.commit()
    conn.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sandbox", "--port", "0", "--scale", "0.01", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_an_application_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = application_database(tmp_path / "app.db")
    before = digest(path)

    code, output = run_cli("--db", str(path))

    assert code == 2
    assert "holds tables the sandbox did not make (customers, meta)" in output
    assert "Traceback" not in output
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]  # no journal or WAL file either
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT email FROM customers ORDER BY id").fetchall() == [
        ("ada@example.com",),
        ("alan@example.com",),
    ]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_the_python_api_raises_a_clear_error(tmp_path: Path) -> None:
    path = application_database(tmp_path / "app.db")
    with pytest.raises(SandboxDatabaseError, match="did not make") as caught:
        Sandbox(scale=0.01, db_path=path, timing=FAST).start()
    assert caught.value.path == path


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a database\n" * 10)

    code, output = run_cli("--db", str(path))

    assert code == 2
    assert "is not an SQLite database" in output
    assert "Traceback" not in output
    assert path.read_text() == "my notes, not a database\n" * 10


def test_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run_cli("--db", str(tmp_path))
    assert code == 2
    assert "is a directory, not an SQLite file" in output
    assert list(tmp_path.iterdir()) == []


def test_a_new_or_empty_file_is_filled_and_marked(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (empty, tmp_path / "new.db"):
        with Sandbox(scale=0.01, db_path=path, as_of=PINNED, timing=FAST) as sb:
            assert sb.store.rebuilt_because is None and not sb.store.reused
            assert sb.store.counts()["voucher"] > 0
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x65785342
        assert dict(conn.execute("SELECT key, value FROM meta"))["as_of"] == "2026-11-01"
        conn.close()


def test_the_sandbox_file_is_reused_when_everything_matches(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    with Sandbox(scale=0.01, db_path=path, as_of=PINNED, timing=FAST) as sb:
        sb.store.add_vouchers(3)  # kept only if the file is reused, not regenerated
        count = sb.store.counts()["voucher"]
    with Sandbox(scale=0.01, db_path=path, as_of=PINNED, timing=FAST) as sb:
        assert sb.store.reused
        assert sb.store.counts()["voucher"] == count


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        ({"seed": 7}, "seed 42 (now 7)"),
        ({"scale": 0.02}, "scale 0.01 (now 0.02)"),
        ({"as_of": date(2026, 12, 24)}, "as-of 2026-11-01 (now 2026-12-24)"),
    ],
)
def test_a_sandbox_file_made_otherwise_is_rebuilt_and_says_why(
    tmp_path: Path, changed: dict[str, object], reason: str
) -> None:
    path = tmp_path / "sandbox.db"
    with Sandbox(scale=0.01, db_path=path, as_of=PINNED, timing=FAST):
        pass
    settings: dict[str, object] = {"seed": 42, "scale": 0.01, "as_of": PINNED, **changed}
    with Sandbox(db_path=path, timing=FAST, **settings) as sb:  # type: ignore[arg-type]
        assert not sb.store.reused
        assert sb.store.rebuilt_because == f"it held data made with {reason}"


def test_a_sandbox_file_from_before_the_marker_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in tables.create_statements():
        conn.execute(statement)
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [("seed", "42"), ("scale", "0.01"), ("version", "1")])
    conn.commit()
    conn.close()
    with Sandbox(scale=0.01, db_path=path, as_of=PINNED, timing=FAST) as sb:
        assert (
            sb.store.rebuilt_because is not None
            and f"generator version 1 (now {GENERATOR_VERSION})" in sb.store.rebuilt_because
        )
        assert sb.store.counts()["voucher"] > 0


def test_the_cli_says_on_stderr_that_it_rebuilt_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    with Sandbox(scale=0.02, db_path=path, as_of=PINNED, timing=FAST):
        pass
    process = start("--db", str(path), "--as-of", "2026-11-01")
    try:
        banner = read_banner(process)
    finally:
        code, out, _ = stop(process)
    assert code == 0 and out == ""
    assert f"rebuilt {path}: it held data made with scale 0.02 (now 0.01)." in " ".join(banner.split())


def test_a_bad_as_of_is_a_usage_error() -> None:
    code, output = run_cli("--as-of", "1st of May")
    assert code == 2
    assert "is not a date like 2026-11-01" in output


READER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM vouchers").fetchone()
print("reading", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _reader(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding a read transaction on `path` for `seconds` (as a running sandbox or a shell)."""
    process = subprocess.Popen(
        [sys.executable, "-c", READER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "reading\n"
    return process


def test_a_rebuild_while_another_process_reads_the_file_is_a_clear_message(tmp_path: Path) -> None:
    """Before: `sqlite3.OperationalError: database is locked` and a traceback, at once."""
    path = tmp_path / "sandbox.db"
    with Sandbox(seed=1, scale=0.01, db_path=path, as_of=PINNED, timing=FAST):
        pass
    reader = _reader(path, 60)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "exportctl",
                "sandbox",
                "--port",
                "0",
                "--db",
                str(path),
                "--seed",
                "2",
                "--scale",
                "0.01",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        reader.kill()
        reader.wait()
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert "is in use by another process" in message and "waited 5s" in message
    assert "Traceback" not in result.stderr and "OperationalError" not in result.stderr


def test_a_rebuild_waits_for_a_short_reader_then_proceeds(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    with Sandbox(seed=1, scale=0.01, db_path=path, as_of=PINNED, timing=FAST):
        pass
    reader = _reader(path, 0.5)
    try:
        with Sandbox(seed=2, scale=0.01, db_path=path, as_of=PINNED, timing=FAST) as rebuilt:
            assert rebuilt.store.rebuilt_because is not None
            assert rebuilt.store.counts()["voucher"] > 0
    finally:
        reader.wait(timeout=30)
    conn = sqlite3.connect(path)
    try:
        assert dict(conn.execute("SELECT key, value FROM meta"))["seed"] == "2"
    finally:
        conn.close()
