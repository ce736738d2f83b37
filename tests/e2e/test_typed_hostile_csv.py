"""The typed paths end to end on CSVs a server may send: a header cell with a line break gives every row
in all four outputs and `--since-last` moves only then; a malformed CSV is refused alike, the watermark
where it was. The server is a small local one (tests/cli/hostile.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from exportctl.cli.app import app
from tests.cli.hostile import Answer, Hostile, Request, Script, export, hostile_server

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

# A metadata key with a line break is a quoted header cell over two lines, before \r\n line ends.
SHIP_TO = b'Code,Voucher Type,"ship\nto",zip\r\nA1,DISCOUNT_VOUCHER,dock 4,02139\r\nA2,GIFT_VOUCHER,,2139\r\n'
OPEN_QUOTE = b'Code,Voucher Type\r\nA1,"DISCOUNT_VOUCHER\r\nA2,GIFT_VOUCHER\r\n'
TARGETS = {
    "jsonl": ("--format", "jsonl", "-o", "v.jsonl"),
    "parquet": ("--format", "parquet", "-o", "v.parquet"),
    "sqlite": ("--into", "sqlite:w.sqlite#v"),
    "duckdb": ("--into", "duckdb:w.duckdb#v"),
}


def _serving(csv: bytes) -> Script:
    def script(request: Request, state: Hostile) -> Answer:
        if request.method == "POST":
            return Answer(200, export("exp_1"))
        if request.path.startswith("/dl"):
            return Answer(200, csv, {"Content-Type": "text/csv"})
        return Answer(200, export("exp_1", "DONE", result={"url": f"{state.base_url}/dl?token=tok"}))

    return script


def _run(hostile: Hostile, root: Path, *args: str) -> Result:
    argv = ["--api-url", hostile.base_url, "--app-id", "id", "--app-token", "sk_token", "voucher"]
    argv += ["--fields", "code,voucher_type,metadata", "--since-last", str(root / "state.json"), "--json"]
    return CliRunner().invoke(app, [*argv, *args], catch_exceptions=False)


def _rows(path: str, root: Path) -> list[dict[str, object]]:
    if path == "jsonl":
        return [json.loads(line) for line in (root / "v.jsonl").read_bytes().split(b"\n") if line]
    if path == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_table(root / "v.parquet").to_pylist())
    if path == "sqlite":
        connection = sqlite3.connect(root / "w.sqlite")
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute('SELECT * FROM "v" ORDER BY code')]
        finally:
            connection.close()
    import duckdb

    db = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    try:
        found = db.execute('SELECT * FROM "v" ORDER BY code')
        names = [d[0] for d in found.description]
        return [dict(zip(names, row, strict=True)) for row in found.fetchall()]
    finally:
        db.close()


@pytest.mark.parametrize("path", list(TARGETS))
def test_a_header_cell_with_a_line_break_loads_every_row_before_the_watermark_moves(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet and DuckDB gave an empty file or table with exit 0, and --since-last moved past the rows."""
    monkeypatch.chdir(tmp_path)
    with hostile_server(_serving(SHIP_TO)) as hostile:
        result = _run(hostile, tmp_path, *TARGETS[path])
    assert result.exit_code == 0, result.stderr
    rows = sorted(_rows(path, tmp_path), key=lambda row: str(row["code"]))
    # The key's column is `ship_to` (formats/identifiers.py: a line break is no part of a column name).
    assert [(row["code"], row["ship_to"], row["zip"]) for row in rows] == [
        ("A1", "dock 4", "02139"),  # and the ZIP code stays text: typing never guesses
        ("A2", None, "2139"),
    ]
    assert (tmp_path / "state.json").exists()


@pytest.mark.parametrize("path", list(TARGETS))
def test_a_malformed_csv_is_refused_alike_and_the_watermark_stays(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON Lines swallowed the next record into a string, exit 0, and moved the watermark."""
    monkeypatch.chdir(tmp_path)
    with hostile_server(_serving(OPEN_QUOTE)) as hostile:
        result = _run(hostile, tmp_path, *TARGETS[path])
    assert result.exit_code == 1, result.stdout
    assert "from line 2, is not well-formed CSV" in result.stderr
    assert not (tmp_path / "state.json").exists()
    assert not (tmp_path / "v.jsonl").exists() and not (tmp_path / "v.parquet").exists()
