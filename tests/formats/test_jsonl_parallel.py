"""`--format jsonl` on several CPUs (formats/jsonl_parallel.py) writes the one-pass file byte for byte, or
falls back to the one pass: with its messages, its record numbers and nothing left behind.

The split is forced on small files with the documented knobs (EXPORTCTL_PARALLEL_MIN_MB=0, EXPORTCTL_WORKERS),
and `jsonl_in_parts` is called directly where a test must know that the file came from the parts.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exportctl.errors import ExportctlError
from exportctl.formats.convert import convert_csv
from exportctl.formats.csv_ranges import rough_cuts, split_points
from exportctl.formats.csv_source import guessed_columns
from exportctl.formats.jsonl_parallel import FIRST_SHARE, jsonl_in_parts
from exportctl.formats.speculate import FIRST_LOOK
from exportctl.schema import get_object
from tests.formats.golden_outputs import GOLDEN

VOUCHER = get_object("voucher")


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every CSV is split (the documented test knob), over 3 processes unless a test says otherwise."""
    monkeypatch.setenv("EXPORTCTL_PARALLEL_MIN_MB", "0")
    monkeypatch.setenv("EXPORTCTL_WORKERS", "3")
    return monkeypatch


def _one_pass(source: Path, out: Path, monkeypatch: pytest.MonkeyPatch, obj: str = "voucher", **options: str) -> Path:
    with monkeypatch.context() as patch:
        patch.setenv("EXPORTCTL_WORKERS", "1")
        _convert(source, out, obj, **options)
    return out


def _convert(source: Path, out: Path, obj: str = "voucher", **options: str) -> object:
    return convert_csv(
        get_object(obj), source, out, output_format="jsonl", fields=None, header_style="api",
        unparsed=options.get("unparsed", "keep"), force=True,
    )  # fmt: skip


def _in_parts(source: Path, out: Path, obj: str = "voucher", fail: str | None = None) -> object:
    columns, guesses = guessed_columns(get_object(obj), source, None, "api")
    return jsonl_in_parts(source, out, columns, guesses, fail=fail, force=True)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


@pytest.mark.parametrize("workers", ["2", "3", "5"])
def test_the_edge_table_in_parts_is_the_golden_file(split: pytest.MonkeyPatch, workers: str, tmp_path: Path) -> None:
    from tests.formats.test_four_paths_agree import _scenarios

    split.setenv("EXPORTCTL_WORKERS", workers)
    golden = json.loads(GOLDEN.read_text(encoding="ascii"))
    for number, (obj, source, _header) in enumerate(_scenarios(tmp_path)):
        want = golden[f"{number}-{source.parent.name}"]["jsonl"]
        out = source.parent / "out.jsonl"
        written = _in_parts(source, out, obj)
        assert written is not None, f"{source.parent.name}: the split was discarded"
        assert out.read_bytes().decode("utf-8").split("\n") == want["lines"], source.parent.name
        assert (written.rows, written.unparsed_rows, written.bytes, written.sha256) == (  # type: ignore[attr-defined]
            want["rows"], want["unparsed_rows"], want["bytes"], want["sha256"]
        )  # fmt: skip
        assert sorted(p.name for p in source.parent.iterdir()) == ["out.jsonl", "x.csv"]  # no part left


def _multiline(path: Path, pad: int) -> Path:
    """Records whose quoted cells hold line breaks (`\\n`, `\\r\\n`, a lone `\\r`) and doubled quotes."""
    rows = [
        [f"k{n}" + "x" * pad, f'line one\nline "two"\r\n{n}\rend\n{"y" * 40}\nz', "12.5", "true", str(n)]
        for n in range(40)
    ]
    return _write(path, ["Code", "notes", "Value", "Active", "count"], rows)


def _cut_after_a_break_in_a_cell(data: bytes, n: int) -> bool:
    """Whether one of the even cuts of `data` into `n` falls right after a line break inside a quoted cell."""
    cuts = rough_cuts(len(data), n, first=FIRST_SHARE)
    return any(data[:w].count(b'"') % 2 and data[w - 1 : w] == b"\n" for w in cuts)


def test_cuts_skip_the_line_breaks_in_quoted_cells(tmp_path: Path) -> None:
    hits = 0
    for pad in range(60):
        source = _multiline(tmp_path / "x.csv", pad)
        data = source.read_bytes()
        for n in (2, 3, 4, 7):
            points = split_points(source, n, first=FIRST_SHARE)
            assert len(points) == n - 1
            # each cut lands after a record's line end, never on a line break inside a cell
            assert all(data[p - 2 : p] == b"\r\n" and data[p : p + 1] == b"k" for p in points), (pad, n, points)
            hits += _cut_after_a_break_in_a_cell(data, n)
    assert hits >= 3, "no even cut fell right after a line break in a cell: the test would test nothing"


def test_line_breaks_in_quoted_cells_right_at_the_split_points(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cases = [
        (pad, n)
        for pad in range(60)
        for n in (2, 3, 4)
        if _cut_after_a_break_in_a_cell(_multiline(tmp_path / "x.csv", pad).read_bytes(), n)
    ]
    assert cases
    for pad, n in cases[:4]:
        source = _multiline(tmp_path / "x.csv", pad)
        expected = _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()
        assert expected.count(b"\n") == 40
        split.setenv("EXPORTCTL_WORKERS", str(n))
        assert _in_parts(source, tmp_path / "parts.jsonl") is not None
        assert (tmp_path / "parts.jsonl").read_bytes() == expected


def test_a_quote_inside_an_unquoted_cell_never_changes_the_records(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`a"b` is text to Python's reader but flips the quote count: a cut may then land inside a record,
    which the range's strict reading finds out; the file is the one-pass file either way."""
    header = ["Code", "notes", "count"]
    rows = [[f"k{n}", f"line\n{n}" if n % 3 else "x", str(n)] for n in range(40)]
    source = _write(tmp_path / "x.csv", header, rows)
    source.write_bytes(source.read_bytes().replace(b"k0,x,", b'k0,a"b,', 1))
    expected = _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()
    assert b'"a\\"b"' in expected
    for workers in ("2", "3", "4", "5"):
        split.setenv("EXPORTCTL_WORKERS", workers)
        _convert(source, tmp_path / "parts.jsonl")
        assert (tmp_path / "parts.jsonl").read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl", "parts.jsonl", "x.csv"]


def _errors(source: Path, out: Path, split: pytest.MonkeyPatch, **options: str) -> tuple[str, str]:
    """The message of the one pass and of a split conversion; neither leaves a file."""
    messages = []
    for workers in ("1", "3"):
        split.setenv("EXPORTCTL_WORKERS", workers)
        with pytest.raises(ExportctlError) as caught:
            _convert(source, out, **options)
        messages.append(str(caught.value))
        assert sorted(p.name for p in source.parent.iterdir()) == [source.name]
    return messages[0], messages[1]


def test_a_quote_left_open_at_the_end(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rows = [[f"k{n}", str(n)] for n in range(FIRST_LOOK + 50)]  # beyond the first look, which reads the start
    source = _write(tmp_path / "x.csv", ["Code", "count"], rows)
    source.write_bytes(source.read_bytes() + b'k50,"open\r\nk51,1\r\n')
    one, parts = _errors(source, tmp_path / "out.jsonl", split)
    assert one == parts
    assert f"from line {FIRST_LOOK + 52}, is not well-formed CSV" in one
    assert _in_parts(source, tmp_path / "out.jsonl") is None  # the parts' attempt was discarded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_unparsed_fail_and_a_ragged_record_late_in_the_file(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    late = FIRST_LOOK + 50  # beyond the first look, which reads the start of the file strictly
    rows = [[f"k{n}", "1.5", "true"] for n in range(late + 10)]
    rows[late][1] = "twelve"
    source = _write(tmp_path / "x.csv", ["Code", "Value", "Active"], rows)
    one, parts = _errors(source, tmp_path / "out.jsonl", split, unparsed="fail")
    assert one == parts
    assert f"record {late + 1} (after the header row), column value: 'twelve'" in one
    ragged = source.read_bytes().replace(f"k{late + 2},1.5,true".encode(), f"k{late + 2},1.5".encode(), 1)
    source.write_bytes(ragged)
    one, parts = _errors(source, tmp_path / "out.jsonl", split)
    assert one == parts
    assert f"from line {late + 4}, has 2 cells where the header row has 3" in one


def test_a_kind_that_changes_in_a_later_range_is_the_full_pass_kind(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    count = FIRST_LOOK + 300
    rows = [[f"k{n}", str(n), str(n % 5), ""] for n in range(count)]
    rows[-3][1] = "x"  # integers, then a text: a string column
    rows[-2][2] = "2.5"  # integers, then a double
    rows[-1][3] = "7"  # empty in the first look
    source = _write(tmp_path / "x.csv", ["Code", "late_text", "late_double", "empty_first"], rows)
    assert _in_parts(source, tmp_path / "parts.jsonl") is None  # a worker saw the kind change
    _convert(source, tmp_path / "parts.jsonl")
    expected = _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()
    assert (tmp_path / "parts.jsonl").read_bytes() == expected
    first = json.loads(expected.split(b"\n")[1])
    assert first == {"code": "k1", "late_text": "1", "late_double": 1.0, "empty_first": None}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl", "parts.jsonl", "x.csv"]


def test_kinds_guessed_early_hold_in_every_range(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A double guessed from a `1.5` among integers, a column of text, booleans: no range sees a change."""
    rows = [[f"k{n}", "1.5" if n == 3 else str(n), "abc" if n == 0 else str(n), "true"] for n in range(100)]
    source = _write(tmp_path / "x.csv", ["Code", "double", "text", "flag"], rows)
    written = _in_parts(source, tmp_path / "parts.jsonl")
    assert written is not None
    assert (tmp_path / "parts.jsonl").read_bytes() == _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()
    assert json.loads((tmp_path / "parts.jsonl").read_bytes().split(b"\n")[99]) == {
        "code": "k99",
        "double": 99.0,
        "text": "99",
        "flag": True,
    }


def test_unparsed_values_are_counted_over_the_ranges(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rows = [[f"k{n}", "twelve" if n % 10 == 0 else "1.5"] for n in range(95)]
    source = _write(tmp_path / "x.csv", ["Code", "Value"], rows)
    written = _in_parts(source, tmp_path / "parts.jsonl")
    assert written is not None
    assert (written.rows, written.unparsed_rows) == (95, 10)  # type: ignore[attr-defined]
    assert (tmp_path / "parts.jsonl").read_bytes() == _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()


def test_a_byte_order_mark_and_bytes_that_are_not_utf8(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rows = [[f"k{n}", "\ufeffcaf\u00e9 \U0001f600"] for n in range(FIRST_LOOK + 40)]
    source = _write(tmp_path / "x.csv", ["Code", "notes"], rows)
    source.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    assert _in_parts(source, tmp_path / "parts.jsonl") is not None
    assert (tmp_path / "parts.jsonl").read_bytes() == _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()
    late = f"k{FIRST_LOOK + 38},".encode()
    source.write_bytes(source.read_bytes().replace(late, late[:-1] + b"\xe9,", 1))
    (tmp_path / "parts.jsonl").unlink()
    (tmp_path / "one.jsonl").unlink()
    one, parts = _errors(source, tmp_path / "out.jsonl", split)
    assert one == parts and "is not UTF-8 text" in one


def test_an_empty_csv_and_a_header_alone(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for text in (b"", b"Code,Value\r\n", b"Code,Value\r\nk1,2\r\n"):
        source = tmp_path / "x.csv"
        source.write_bytes(text)
        _convert(source, tmp_path / "parts.jsonl")
        assert (tmp_path / "parts.jsonl").read_bytes() == _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()


def test_a_gzip_target_holds_the_one_pass_lines(split: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import gzip

    source = _multiline(tmp_path / "x.csv", 3)
    assert _in_parts(source, tmp_path / "parts.jsonl.gz") is not None
    one = _one_pass(source, tmp_path / "one.jsonl", split).read_bytes()
    assert gzip.decompress((tmp_path / "parts.jsonl.gz").read_bytes()) == one


_CELL = st.text(alphabet=st.sampled_from(['"', "\n", "\r", ",", "a", "1", ".", "-", "\u00e9", " "]), max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=40), workers=st.integers(2, 4))
def test_random_cells_in_parts_are_the_one_pass_file(
    split: pytest.MonkeyPatch, tmp_path: Path, rows: list[list[str]], workers: int
) -> None:
    """Quotes, line breaks and lone carriage returns anywhere, cut into 2-4 ranges: the same bytes, or the
    same refusal."""
    source = _write(tmp_path / "x.csv", ["Code", "m1", "Value"], rows)
    outcomes = []
    for count in ("1", str(workers)):
        split.setenv("EXPORTCTL_WORKERS", count)
        try:
            _convert(source, tmp_path / f"out{count}.jsonl")
            outcomes.append((tmp_path / f"out{count}.jsonl").read_bytes())
        except ExportctlError as exc:
            outcomes.append(str(exc).encode())
    assert outcomes[0] == outcomes[1]
    assert not list(tmp_path.glob(".*"))  # no part, no temporary file
