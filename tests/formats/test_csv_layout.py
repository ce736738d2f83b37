"""formats/csv_layout.py: `scan` counts the records Python's reader finds and sends every file DuckDB would
read otherwise (blank lines, mixed line ends, a line break in the header row) to the rewritten copy, at any
position in the file, also across the seams of the blocks it reads."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from exportctl.formats import csv_layout
from exportctl.formats.csv_layout import readable, scan
from exportctl.formats.csv_source import records
from exportctl.schema import get_object
from tests.formats.four_paths import disagreements, run_four

PLAIN = [
    b"Code,note\r\nA,x\r\nB,y\r\n",
    b"Code,note\nA,x\nB,y",  # no line end after the last record
    b'Code,note\r\nA,"two\r\nlines"\r\nB,"a ""quoted"" ,\n, text"\r\n',
]
# Read through the copy although DuckDB would read them right: the scan cannot tell (a false alarm costs
# only the copy).
HARMLESS = [
    b'Code,note\r\nA,"\r\n\r\n"\r\nB,y\r\n',  # a blank line inside a quoted cell
    b"Code\r\nA\r\nB\r\n",  # one column: no comma keeps two line ends apart
]
NOT_PLAIN = {
    "a blank line between records": b"Code,note\r\nA,x\r\n\r\nB,y\r\n",
    "a blank line with \\n line ends": b"Code,note\nA,x\n\nB,y\n",
    "a blank line at the end": b"Code,note\nA,x\nB,y\n\n",
    "two carriage returns": b"Code,note\rA,x\r\rB,y\r",
    "a one-column file's blank line": b"Code\r\nA\r\n\r\nB\r\n",
    "mixed line ends": b"Code,note\r\nA,x\nB,y\r\n",
    "a line break in the header row": b'"Co\nde",note\r\nA,x\r\n',
}


def _python_records(data: bytes) -> int:
    return sum(1 for record in csv.reader(io.StringIO(data.decode(), newline="")) if record) - 1


@pytest.fixture(params=[1, 2, 3, 7, 1024 * 1024], ids=lambda n: f"block{n}")
def block(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The scan's block size: small ones put every seam of the files above at every position."""
    monkeypatch.setattr(csv_layout, "CHUNK", request.param)
    return int(request.param)


@pytest.mark.parametrize("data", PLAIN + HARMLESS)
def test_a_plain_file_is_read_by_duckdb_as_it_is_with_python_s_record_count(
    tmp_path: Path, block: int, data: bytes
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    found = scan(path)
    assert found.records == _python_records(data)
    assert found.plain is (data in PLAIN)


@pytest.mark.parametrize("name", sorted(NOT_PLAIN))
def test_what_duckdb_would_read_otherwise_goes_to_a_copy_whatever_the_seams(
    tmp_path: Path, block: int, name: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(NOT_PLAIN[name])
    assert not scan(path).plain
    with readable(path) as layout:
        assert layout.path != path
        assert layout.records == sum(1 for _ in records(path)) - 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]  # the copy is gone


@pytest.mark.parametrize("name", ["a one-column file's blank line", "a blank line between records"])
def test_a_blank_line_is_no_record_in_every_typed_path(tmp_path: Path, name: str) -> None:
    """DuckDB reads a blank line of a one-column file as a row of nulls; every path must skip it as Python's
    reader does (so the outputs agree, and no row is added)."""
    pytest.importorskip("duckdb")
    path = tmp_path / "x.csv"
    path.write_bytes(NOT_PLAIN[name])
    outputs = run_four(get_object("voucher"), path)
    assert disagreements(outputs) == []
    assert [cells[0] for cells, _ in outputs.rows["duckdb"]] == ["A", "B"]
