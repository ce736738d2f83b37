"""The fast paths of JSON Lines and SQLite (formats/cells.py) give exactly what the slow paths gave (types.py's
value, then `json`, or the SQLite engine's converter), and refuse exactly what they refuse: on the edge-case
table and on generated texts shaped like timestamps, dates and numbers, for schema-typed and inferred columns."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from exportctl.formats.cells import cell_encoder, stored_value
from exportctl.formats.types import Column, Kind, parse
from exportctl.request.values import iso_ms
from tests.formats.test_four_paths_agree import EDGE_CELLS

KINDS = [Kind.STRING, Kind.INTEGER, Kind.DOUBLE, Kind.BOOLEAN, Kind.TIMESTAMP, Kind.DATE, Kind.JSON]
COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def slow(kind: Kind, text: str, inferred: bool) -> str | None:
    """What jsonl.py wrote before the fast path: the value of types.parse through `json`; None: refused."""
    try:
        value = parse(kind, text, exact=inferred)
    except (ValueError, OverflowError, RecursionError):
        return None
    if isinstance(value, datetime):
        value = iso_ms(value)
    elif isinstance(value, date):
        value = value.isoformat()
    return str(COMPACT.encode(value))


def slow_sqlite(kind: Kind, text: str, inferred: bool) -> Any:
    """What the SQLite engine stored before the fast path (its `converter`); None: refused."""
    try:
        value = parse(kind, text, exact=inferred)
    except (ValueError, OverflowError, RecursionError):
        return None
    if kind is Kind.BOOLEAN:
        return int(value)
    if isinstance(value, datetime):
        return iso_ms(value)
    if isinstance(value, date):
        return value.isoformat()
    return text if kind is Kind.JSON else value


def fast(kind: Kind, text: str, inferred: bool, *, sqlite: bool = False) -> Any:
    read = (stored_value if sqlite else cell_encoder)(Column("c", "c", kind, None, inferred))
    answers = []
    for _ in range(2):  # the second answer comes from a cache where there is one
        try:
            answers.append(read(text))
        except (ValueError, OverflowError, RecursionError):
            answers.append(None)
    assert answers[0] == answers[1] and type(answers[0]) is type(answers[1]), (kind, text)
    return answers[0]


def check(text: str) -> None:
    for kind in KINDS:
        for inferred in (False, True):
            if text:
                assert fast(kind, text, inferred) == slow(kind, text, inferred), (kind, inferred, text)
                found, want = fast(kind, text, inferred, sqlite=True), slow_sqlite(kind, text, inferred)
                assert (found, type(found)) == (want, type(want)), (kind, inferred, text)


def test_every_edge_cell_is_written_as_before() -> None:
    extra = ["0000-01-01T00:00:00.000Z", "2026-03-01T23:59:60.000Z", "2026-03-01T12:00:00.000z", "2026-13-01"]
    extra += ["2026-03-01T12:00:00.00\u0661Z", "\u0661\u0662", "2026-03-01T12:00:00.000+00:00", "-0", "00"]
    for text in [*EDGE_CELLS, *extra]:
        check(text)


def _digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size + (1 if size == 4 else 0))


_TIMESTAMP_PARTS = [_digits(4), st.sampled_from("-/"), _digits(2), st.just("-"), _digits(2), st.sampled_from("T ")]
_TIMESTAMP_PARTS += [_digits(2), st.just(":"), _digits(2), st.sampled_from(":."), _digits(2), st.sampled_from(".:")]
_TIMESTAMP_PARTS += [_digits(3), st.sampled_from(["Z", "", "+01:00", "z", "Z\n", "0Z"])]


@settings(max_examples=400, deadline=None)
@given(st.tuples(*_TIMESTAMP_PARTS))
def test_generated_timestamps_and_dates_are_written_as_before(parts: tuple[str, ...]) -> None:
    text = "".join(parts)
    check(text)
    check(text[:10])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(min_value=-(2**64), max_value=2**64).map(str), st.text(max_size=12)))
def test_generated_numbers_and_texts_are_written_as_before(text: str) -> None:
    check(text)
    check(text + ".0")
    check("-" + text)


def test_the_parquet_conversion_never_prints_duckdb_s_progress_bar(tmp_path: object) -> None:
    """DuckDB prints its progress bar to standard output once a query runs 2 s: into the Parquet file that
    `--format parquet -o -` streams there. The conversion's connection has it off."""
    import pytest

    duckdb = pytest.importorskip("duckdb")
    from pathlib import Path

    from exportctl.formats.parquet import connect

    connection = connect(duckdb, Path(str(tmp_path)))
    try:
        assert connection.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    finally:
        connection.close()
