"""Inferred kinds guessed from the first records (formats/speculate.py) never show: when a later value changes
a metadata column's kind, JSON Lines and SQLite start again and agree with Parquet and DuckDB (which infer in
SQL over the whole file), cell for cell, in a new table and in one that has rows."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from exportctl.formats.speculate import FIRST_LOOK
from exportctl.formats.types import Kind
from exportctl.schema import get_object
from exportctl.warehouse.load import load_file
from tests.formats.four_paths import disagreements, run_four

pytest.importorskip("duckdb")

LATE = FIRST_LOOK + 500  # a record beyond the first look


def _write(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Code", "late_text", "late_double", "empty_first", "settled", "steady"])
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _rows() -> list[list[str]]:
    rows = []
    for n in range(LATE + 10):
        late_text = "x" if n == LATE else str(n)  # integers, then one text: a string column
        late_double = "2.5" if n == LATE else str(n % 7)  # integers, then a double: doubles
        empty_first = str(n) if n >= LATE else ""  # empty in the first look, then integers
        settled = "a" if n % 2 else "b"
        steady = str(n)
        rows.append([f"k{n}", late_text, late_double, empty_first, settled, steady])
    return rows


EXPECTED = [Kind.STRING, Kind.STRING, Kind.DOUBLE, Kind.INTEGER, Kind.STRING, Kind.INTEGER]


def test_a_kind_that_changes_after_the_first_look_is_the_full_pass_kind(tmp_path: Path) -> None:
    outputs = run_four(get_object("voucher"), _write(tmp_path / "x.csv", _rows()))
    assert [c.kind for c in outputs.columns] == EXPECTED
    assert disagreements(outputs) == []
    by_code = {cells[0]: cells for cells, _ in outputs.rows["jsonl"]}
    assert by_code["k5"] == ["k5", "5", "5.0", None, "a", "5"]
    assert by_code[f"k{LATE}"] == [f"k{LATE}", "x", "2.5", str(LATE), "b" if LATE % 2 == 0 else "a", str(LATE)]
    # JSON Lines: the types as written (a string "5", a double 5.0)
    document = json.loads((tmp_path / "out.jsonl").read_bytes().split(b"\n")[5])
    assert document == {
        "code": "k5",
        "late_text": "5",
        "late_double": 5.0,
        "empty_first": None,
        "settled": "a",
        "steady": 5,
    }


def test_a_guess_rolled_back_leaves_no_trace_in_a_table_that_has_rows(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite"
    voucher = get_object("voucher")
    first = tmp_path / "first.csv"
    first.write_text("Code,steady\r\nk0,1\r\n", encoding="utf-8")
    load_file("sqlite", voucher, first, database, "t")
    result = load_file("sqlite", voucher, _write(tmp_path / "x.csv", _rows()), database, "t")
    assert (result.inserted, result.updated, result.unchanged) == (LATE + 9, 1, 0)
    conn = sqlite3.connect(database)
    try:
        declared = {row[1]: row[2] for row in conn.execute('PRAGMA table_info("t")')}
        kinds = dict(conn.execute("SELECT name, kind FROM _exportctl_columns WHERE table_name = 't'").fetchall())
        late = conn.execute('SELECT late_text, late_double, empty_first FROM "t" WHERE code = ?', ["k5"]).fetchone()
    finally:
        conn.close()
    assert (declared["late_text"], declared["late_double"], declared["empty_first"]) == ("TEXT", "REAL", "INTEGER")
    assert (kinds["late_text"], kinds["late_double"], kinds["empty_first"]) == ("string", "double", "integer")
    assert late == ("5", 5.0, None)


def test_parquet_types_from_a_guess_and_starts_again_when_a_later_value_proves_it_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet guesses the inferred kinds from the first look too (DuckDB's pass over the whole file is
    spared); a value beyond it that does not fit a guessed kind makes it write the file again with the kinds
    of the full pass. Every inferred column has values in the first look here, so the guess is taken."""
    from exportctl.formats import parquet

    guesses: list[bool] = []
    write = parquet._write

    def spy(*args: object, **options: object) -> tuple[int, int]:
        guesses.append(options["guess"] is not None)
        return write(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(parquet, "_write", spy)
    rows = [
        [code, late_text, late_double, settled, steady] for code, late_text, late_double, _, settled, steady in _rows()
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Code", "late_text", "late_double", "settled", "steady"])
    writer.writerows(rows)
    changed = tmp_path / "changed" / "x.csv"
    changed.parent.mkdir()
    changed.write_text(out.getvalue(), encoding="utf-8")
    outputs = run_four(get_object("voucher"), changed)
    assert [c.kind for c in outputs.columns] == [Kind.STRING, Kind.STRING, Kind.DOUBLE, Kind.STRING, Kind.INTEGER]
    assert disagreements(outputs) == []
    assert guesses == [True, False]  # the guess, then the full pass

    guesses.clear()
    steady = tmp_path / "steady" / "x.csv"
    steady.parent.mkdir()
    steady.write_text(
        "".join(line + "\r\n" for line in out.getvalue().split("\r\n")[: FIRST_LOOK + 2]), encoding="utf-8"
    )
    outputs = run_four(get_object("voucher"), steady)
    assert [c.kind for c in outputs.columns] == [Kind.STRING, Kind.INTEGER, Kind.INTEGER, Kind.STRING, Kind.INTEGER]
    assert disagreements(outputs) == []
    assert guesses == [True]  # the guess held


def test_a_guess_holds_on_the_first_looks_own_records(tmp_path: Path) -> None:
    """Integers, then `1.5` within the first look: the column is guessed DOUBLE, and its first record's `1`
    must not read as a change (a fresh inference sees an INTEGER column there), or the file would be typed
    twice for nothing. A value later that fits no double still is one."""
    from exportctl.formats.csv_source import guessed_columns
    from exportctl.formats.jsonl import Counts, jsonl_chunks
    from exportctl.formats.speculate import KindChanged

    path = tmp_path / "x.csv"
    path.write_text("Code,m,n\r\n" + "".join(f"k{i},{'1.5' if i == 5 else i},\r\n" for i in range(3000)))
    columns, guesses = guessed_columns(get_object("voucher"), path, None, "api")
    assert [c.kind for c in columns] == [Kind.STRING, Kind.DOUBLE, Kind.STRING]
    counts = Counts()
    lines = b"".join(jsonl_chunks(path, columns, counts, watch=guesses.watch())).split(b"\n")
    assert counts.rows == 3000 and json.loads(lines[1]) == {"code": "k1", "m": 1.0, "n": None}
    for last in ("k3000,x,", "k3000,2.5,7"):  # a text in m after the first look; an integer in n, empty so far
        path.write_text("".join(path.read_text().splitlines(keepends=True)[:3001]) + last + "\r\n")
        with pytest.raises(KindChanged):
            for _ in jsonl_chunks(path, columns, Counts(), watch=guesses.watch()):
                pass


def test_sqlite_writes_once_when_the_first_look_itself_narrows_a_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for JSON Lines: integers, then `1.5` within the first look make a column of doubles, and the load's
    check must resume from there, not see the first record's `1` as a change and load everything twice."""
    from exportctl.warehouse import sqlite_engine

    passes: list[bool] = []
    write_all = sqlite_engine._write_all

    def spy(*args: object) -> object:
        passes.append(args[-1] is not None)  # the Watch: a guessed pass
        return write_all(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite_engine, "_write_all", spy)
    path = tmp_path / "x.csv"
    path.write_text("Code,m\r\n" + "".join(f"k{i},{'1.5' if i == 5 else i}\r\n" for i in range(3000)))
    result = load_file("sqlite", get_object("voucher"), path, tmp_path / "db.sqlite", "t")
    assert result.rows == 3000
    assert passes == [True]
    conn = sqlite3.connect(tmp_path / "db.sqlite")
    try:
        assert conn.execute('SELECT m FROM "t" WHERE code = ?', ["k1"]).fetchone() == (1.0,)
    finally:
        conn.close()
