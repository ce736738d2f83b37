"""formats/identifiers.py: any text becomes a safe, unique column name, the same in every typed output."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exportctl.formats.convert import convert_csv
from exportctl.formats.identifiers import MAX_BYTES, RESERVED, column_names, quote_duckdb, quote_sqlite
from exportctl.formats.types import UNPARSED, columns_for
from exportctl.schema import get_object
from tests.hostile_names import HOSTILE_NAMES, LINE_BREAK_NAMES

VOUCHER = get_object("voucher")


def _safe(name: str) -> bool:
    return (
        0 < len(name.encode("utf-8")) <= MAX_BYTES
        and not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or "\ud800" <= c <= "\udfff" for c in name)
        and name.casefold() not in RESERVED
    )


def test_every_hostile_name_becomes_a_safe_unique_name() -> None:
    names = column_names(HOSTILE_NAMES + LINE_BREAK_NAMES)
    assert all(_safe(name) for name in names), names
    assert len({name.casefold() for name in names}) == len(names) == len(HOSTILE_NAMES + LINE_BREAK_NAMES)
    assert names[HOSTILE_NAMES.index("region, zone")] == "region, zone"  # quoted, not rewritten
    assert names[HOSTILE_NAMES.index("")] == "unnamed"
    assert names[HOSTILE_NAMES.index("rowid")] == "rowid_2"
    assert names[HOSTILE_NAMES.index("tier")] == "tier_2"  # `Tier` came first
    assert names[HOSTILE_NAMES.index("é" * 40)] == "é" * 31  # 62 bytes: the 32nd would make 64


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=12))
def test_any_texts_give_safe_names_unique_without_regard_to_case(texts: list[str]) -> None:
    names = column_names(texts, taken=["_unparsed", "code"])
    assert all(_safe(name) for name in names)
    assert len({name.casefold() for name in [*names, "_unparsed", "code"]}) == len(names) + 2
    assert column_names(texts, taken=["_unparsed", "code"]) == names  # stable


def test_quoting_takes_one_name_and_refuses_nul() -> None:
    assert quote_duckdb('a"b') == quote_sqlite('a"b') == '"a""b"'
    with pytest.raises(ValueError):
        quote_sqlite("a\x00b")
    with pytest.raises(ValueError):
        quote_duckdb("")


def test_a_metadata_key_spelled_like_an_unexported_fields_title_stays_metadata() -> None:
    columns = columns_for(VOUCHER, ["Code", "Value", "Active"], ["code", "metadata"])
    assert [(c.name, c.field, c.kind) for c in columns] == [
        ("code", "code", columns[0].kind),
        ("Value", None, None),
        ("Active", None, None),
    ]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_hostile_header_cells_reach_every_typed_file_with_every_value(tmp_path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow.parquet")
    names = HOSTILE_NAMES + LINE_BREAK_NAMES
    header = ["Code", *names]
    values = [f"v{n}" for n in range(len(names))]
    source = _csv(tmp_path / "in.csv", header, [["A-1", *values], ["A-2", *values]])
    target = tmp_path / f"out.{fmt}"
    written = convert_csv(
        VOUCHER,
        source,
        target,
        output_format=fmt,
        fields=["code", "metadata"],
        header_style="api",
        unparsed="keep",
        force=False,
    )
    assert (written.rows, written.unparsed_rows) == (2, 0)
    if fmt == "jsonl":
        records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    else:
        import pyarrow.parquet as pq

        records = pq.read_table(target).to_pylist()
    expected_names = ["code", *column_names(names, taken=["code"])]
    for record in records:
        assert [k for k in record if k != UNPARSED] == expected_names
        assert [record[k] for k in expected_names[1:]] == values
        assert record.get(UNPARSED) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", f"out.{fmt}"]


def test_the_readme_counts_the_hostile_names_tried() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    count = len(HOSTILE_NAMES + LINE_BREAK_NAMES)
    assert f"The figures: {count}\nhostile header cells" in readme
