"""The fast path of JSON Lines (jsonl_cells) writes exactly what the slow path (types.py's value, then `json`)
writes, and refuses exactly what it refuses: on the edge-case table and on generated texts shaped like
timestamps, dates and numbers, for schema-typed and inferred columns."""

from __future__ import annotations

import json
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from exportctl.formats.jsonl_cells import cell_encoder
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


def fast(kind: Kind, text: str, inferred: bool) -> str | None:
    encode = cell_encoder(Column("c", "c", kind, None, inferred))
    try:
        first = encode(text)
    except (ValueError, OverflowError, RecursionError):
        first = None
    try:
        second = encode(text)  # the second answer comes from a cache where there is one
    except (ValueError, OverflowError, RecursionError):
        second = None
    assert first == second, (kind, text)
    return first


def check(text: str) -> None:
    for kind in KINDS:
        for inferred in (False, True):
            if text:
                assert fast(kind, text, inferred) == slow(kind, text, inferred), (kind, inferred, text)


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
