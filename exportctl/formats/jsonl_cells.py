"""Each column's cells as JSON text, straight from the CSV's text: the fast path of `--format jsonl`.

`cell_encoder(column)` gives a function from a non-empty cell to the JSON text of its typed value, raising
ValueError (or OverflowError, RecursionError) exactly when types.py's parser refuses the cell. Its output
is what `json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))` writes for the value types.py reads
(and jsonl.py formats: timestamps as `iso_ms`, dates as ISO), so the file is byte for byte the one written
through Python values; `tests/formats/test_golden_outputs.py` and `test_jsonl_cells.py` hold that.

Where a cell is already in its value's canonical form, its text is the answer and no value is built:

- a timestamp written as every export writes it (`2026-03-01T12:00:00.000Z`) is valid when its date (cached
  per day) and its time of day are: it is then its own `iso_ms` text;
- a date `YYYY-MM-DD` that exists is its own `isoformat()`;
- an integer whose `int` prints back as the same text, within int64, is its own JSON;
- booleans, doubles and JSON are read by types.py and cached per text (bounded), since their texts repeat.

Anything the fast path does not accept goes through types.py's parser, so a value can only differ from
the slow path's if the fast path accepts a text the parser would write differently; the module's tests
compare both on the edge-case table and on generated texts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from exportctl.formats.types import EXACT_PARSERS, PARSERS, Column, Kind
from exportctl.request.values import iso_ms

Encoder = Callable[[str], str]

# The standard library's own C function for a JSON string without ASCII escapes: what the encoder calls.
encode_string: Encoder = json.encoder.encode_basestring
COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Texts a column's cache keeps at most, and the longest text it keeps: beyond them a text is read each time,
# so no file can grow the memory (a few hundred kB a column).
CACHE_LIMIT = 4096
CACHE_TEXT = 40
_DIGITS = re.compile(r"[0-9]+\Z")
_MILLIS = frozenset(f"{n:03d}" for n in range(1000))
_HOURS = frozenset(f"{n:02d}" for n in range(24))
_SIXTY = frozenset(f"{n:02d}" for n in range(60))


class _Unfit(ValueError):
    """A cached refusal: the text did not fit before."""


def _cached(slow: Encoder) -> Encoder:
    """`slow` with its answers (and refusals) remembered per text, up to CACHE_LIMIT texts."""
    known: dict[str, str | None] = {}

    def encode(text: str) -> str:
        found = known.get(text, "")
        if found:
            return found
        if found is None:
            raise _Unfit(text)
        keep = len(text) <= CACHE_TEXT and len(known) < CACHE_LIMIT
        try:
            answer = slow(text)
        except (ValueError, OverflowError, RecursionError):
            if keep:
                known[text] = None
            raise
        if keep:
            known[text] = answer
        return answer

    return encode


def _integer(text: str) -> str:
    number = int(text)  # accepts `+1`, ` 7`, `1_000`, `０７`: none of them prints back as the same text
    if not INT64_MIN <= number <= INT64_MAX or str(number) != text:
        raise ValueError(text)
    return text


class _Timestamps:
    """Timestamps in the export's own form are their own text once their date and time of day are valid."""

    def __init__(self, slow: Callable[[str], Any]) -> None:
        self._slow = slow
        self._days: dict[str, bool] = {}

    def _day(self, text: str) -> bool:
        valid = self._days.get(text)
        if valid is None:
            valid = _valid_day(text)
            if len(self._days) < CACHE_LIMIT:
                self._days[text] = valid
        return valid

    def encode(self, text: str) -> str:
        if (
            len(text) == 24
            and text[23] == "Z"
            and text[10] == "T"
            and text[19] == "."
            and text[13] == ":"
            and text[16] == ":"
            and text[11:13] in _HOURS
            and text[14:16] in _SIXTY
            and text[17:19] in _SIXTY
            and text[20:23] in _MILLIS
            and self._day(text[:10])
        ):
            return f'"{text}"'
        value: datetime = self._slow(text)
        return f'"{iso_ms(value)}"'


def _valid_day(text: str) -> bool:
    """`YYYY-MM-DD` in ASCII digits, a day that exists (year 1 to 9999)."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    digits = text[:4] + text[5:7] + text[8:]
    if not _DIGITS.match(digits):
        return False
    try:
        date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return False
    return True


def _date(slow: Callable[[str], Any]) -> Encoder:
    def encode(text: str) -> str:
        if _valid_day(text):
            return f'"{text}"'
        value: date = slow(text)
        return f'"{value.isoformat()}"'

    return encode


def cell_encoder(column: Column) -> Encoder:
    """The JSON text of a non-empty cell of `column` (its kind fixed); ValueError when it does not fit."""
    kind = column.kind
    assert kind is not None, f"column {column.name} has no kind"
    if kind is Kind.STRING:
        return encode_string
    parse = (EXACT_PARSERS if column.inferred else PARSERS)[kind]
    if kind is Kind.INTEGER:
        return _integer
    if kind is Kind.TIMESTAMP:
        return _Timestamps(parse).encode
    if kind is Kind.DATE:
        return _date(parse)
    if kind is Kind.BOOLEAN:
        return _cached(lambda text: "true" if parse(text) else "false")
    if kind is Kind.DOUBLE:
        return _cached(lambda text: repr(float(parse(text))))
    return _cached(lambda text: str(COMPACT.encode(parse(text))))
