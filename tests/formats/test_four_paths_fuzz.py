"""Random header names and cell texts through the four typed paths: every row arrives, the four agree, and
every value round-trips (its canonical text is the text the API wrote) or lands in `_unparsed`."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exportctl.files.csv_header import title_key
from exportctl.formats.types import Kind
from exportctl.schema import get_object
from tests.formats.four_paths import PATHS, disagreements, run_four
from tests.formats.test_four_paths_agree import EDGE_CELLS

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

VOUCHER = get_object("voucher")
# Characters that make CSV and SQL hard: separators, quotes, line breaks, a BOM, NUL, wide and
# combining characters; and any other printable or control character.
_HARD = st.sampled_from([",", '"', "'", "\n", "\r", "\r\n", " ", "\t", "\ufeff", "\x00", ";", "\\", "\u2028"])
_CHAR = st.characters(exclude_categories=["Cs"])  # a lone surrogate is no UTF-8 text
_TEXT = st.lists(st.one_of(_HARD, _CHAR), max_size=8).map("".join)
_NUMBER = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(lambda n: f"{n:+d}"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{x:.17g}"),
    st.integers(min_value=0, max_value=10**6).map(lambda n: f"{n:07d}"),
)
_CELL = st.one_of(_TEXT, _NUMBER, st.sampled_from(EDGE_CELLS), st.just(""))


def _header_name(name: str) -> bool:
    """Header names this test sends. Left out: those the column naming (`columns_for`, being rewritten for
    issue 18 by another change) does not yet turn into a usable SQL column: empty, NUL, a case-insensitive
    repeat, our own `_row`/`_unparsed`/`rowid`, and a field's title or name (a typed column, not metadata)."""
    folded = name.casefold()
    return bool(name.strip()) and "\x00" not in name and folded not in {"_row", "_unparsed", "rowid", "code"}


_FIELDS = (*VOUCHER.fields, *VOUCHER.api_only_fields)
_TITLES = {VOUCHER.title_of(f.name).casefold() for f in _FIELDS} | {f.name.casefold() for f in _FIELDS}
# Titles match fields without case and punctuation too (`Is referral code?`): such a key is a field's column.
_TITLE_KEYS = {title_key(text) for f in _FIELDS for text in (f.name, f.title, *f.aliases)} - {None}


def _metadata_key(name: str) -> bool:
    return _header_name(name) and name.casefold() not in _TITLES and title_key(name) not in _TITLE_KEYS


_HEADERS: st.SearchStrategy[list[str]] = st.lists(
    _TEXT.filter(_metadata_key), min_size=1, max_size=4, unique_by=str.casefold
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers=_HEADERS, data=st.data())
def test_random_headers_and_cells_arrive_whole_through_all_four_paths(headers: list[str], data: st.DataObject) -> None:
    count = data.draw(st.integers(min_value=1, max_value=4), label="rows")
    rows = [[f"k{n}", *(data.draw(_CELL, label="cell") for _ in headers)] for n in range(count)]
    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "x.csv"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")  # quotes every cell with \r or \n, as the API's writer
        writer.writerow(["Code", *headers])
        writer.writerows(rows)
        source.write_bytes(out.getvalue().encode("utf-8"))
        outputs = run_four(VOUCHER, source)
    assert [column.header for column in outputs.columns] == ["Code", *headers]
    assert disagreements(outputs) == []
    by_code = {row[0]: row for row in rows}
    for path in PATHS:
        assert len(outputs.rows[path]) == count, path  # every row arrives
        for cells, unparsed in outputs.rows[path]:
            written = by_code[cells[0] or ""]
            for column, cell, text in zip(outputs.columns, cells, written, strict=True):
                if not text:
                    assert cell is None
                elif cell is None:  # a value that does not fit: kept as written
                    assert (unparsed or {}).get(column.name) == text, (path, column.name, text)
                elif column.kind is Kind.DOUBLE and "." not in text:  # an integer a double holds exactly
                    assert cell == text + ".0", (path, column.name, text)
                else:  # a value that round-trips: its canonical text is the text
                    assert cell == text, (path, column.name, column.kind, text)
