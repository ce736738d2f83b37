"""convert_csv on files the API might send, and some it should not: every outcome complete or absent."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from exportctl.errors import ExportctlError, OutputError, UnparsedValueError, UsageError
from exportctl.formats.convert import convert_csv
from exportctl.formats.types import UNPARSED
from exportctl.schema import get_object

pq = pytest.importorskip("pyarrow.parquet")
VOUCHER = get_object("voucher")


def _convert(csv_path: Path, target: Path | str, fmt: str, **options: object) -> object:
    settings: dict[str, object] = {"fields": None, "header_style": "api", "unparsed": "keep", "force": False}
    settings.update(options)
    return convert_csv(VOUCHER, csv_path, target, output_format=fmt, **settings)  # type: ignore[arg-type]


def test_an_empty_file_and_a_header_alone_give_empty_typed_files(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_bytes("\ufeffCode,Redemption Limit\r\n".encode())
    for name in ("empty", "header"):
        _convert(tmp_path / f"{name}.csv", tmp_path / f"{name}.jsonl", "jsonl")
        assert (tmp_path / f"{name}.jsonl").read_bytes() == b""
        _convert(tmp_path / f"{name}.csv", tmp_path / f"{name}.parquet", "parquet")
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert table.num_rows == 0
    assert pq.read_table(tmp_path / "header.parquet").schema.names == ["code", "redemption_quantity", UNPARSED]


def test_ragged_records_are_refused_by_both_formats_naming_the_line(tmp_path: Path) -> None:
    """JSON Lines kept the cells beyond the header row in _unparsed, Parquet refused the file: both refuse."""
    source = tmp_path / "ragged.csv"
    for text, line in (("Code,Redemption Limit\nA,1\nB\n", 3), ("Code,Redemption Limit\nA,1\nC,3,extra\n", 3)):
        source.write_text(text)
        for fmt in ("jsonl", "parquet"):
            with pytest.raises(OutputError, match=rf"ragged\.csv, from line {line}, has [13] cells where the header"):
                _convert(source, tmp_path / f"r.{fmt}", fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ragged.csv"]  # no temporary file left


def test_a_file_that_is_not_utf8_is_refused_and_nothing_written(tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes(b"Code\ncaf\xe9\n")
    for fmt in ("jsonl", "parquet"):
        with pytest.raises(ExportctlError):
            _convert(source, tmp_path / f"x.{fmt}", fmt)
    assert [p.name for p in tmp_path.iterdir()] == ["latin1.csv"]


def test_an_existing_target_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    source = tmp_path / "v.csv"
    source.write_text("Code,Active\nA,true\n")
    target = tmp_path / "v.jsonl"
    target.write_text("old\n")
    with pytest.raises(UsageError):
        _convert(source, target, "jsonl")
    assert target.read_text() == "old\n"
    _convert(source, target, "jsonl", force=True)
    assert json.loads(target.read_text()) == {"code": "A", "active": True}


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_standard_output_gets_the_file_or_nothing(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "v.csv"
    source.write_text("Code,Redemption Limit,Creation Date\nA,1,2026-01-01T00:00:00.000Z\nB,x,\n")
    stream = io.BytesIO()
    written = _convert(source, "-", fmt, stdout=stream)
    assert stream.getvalue() and written.bytes == len(stream.getvalue())  # type: ignore[attr-defined]
    failed = io.BytesIO()
    with pytest.raises(UnparsedValueError, match=r"record 2 \(after the header row\), column redemption_quantity"):
        _convert(source, "-", fmt, stdout=failed, unparsed="fail")
    assert failed.getvalue() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.csv"]
