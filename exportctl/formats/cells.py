"""Each column's cells typed straight from the CSV's text: the fast path of `--format jsonl` and `--into sqlite:`.

`cell_encoder(column)` gives a function from a non-empty cell to the JSON text of its typed value, raising
ValueError (or OverflowError, RecursionError) exactly when types.py's parser refuses the cell. Its output
is what `json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))` writes for the value types.py reads
(and jsonl.py formats: timestamps as `iso_ms`, dates as ISO), so the file is byte for byte the one written
through Python values. `stored_value(column)` is the same for SQLite: the value its engine stores (int,
float, 1/0, or the canonical text). `tests/formats/test_golden_outputs.py` and `test_cells.py` hold both.

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
# The form every export writes, with a valid time of day (the day is checked apart, and cached).
_EXPORT_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z\Z")


_MISSING: Any = object()
_REFUSED: Any = object()
_UNFIT = (ValueError, OverflowError, RecursionError)


def _cached(slow: Callable[[str], Any]) -> Callable[[str], Any]:
    """`slow` with its answers (and refusals) remembered per short text, up to CACHE_LIMIT texts."""
    known: dict[str, Any] = {}

    def read(text: str) -> Any:
        found = known.get(text, _MISSING)
        if found is _MISSING:
            keep = len(text) <= CACHE_TEXT and len(known) < CACHE_LIMIT
            try:
                found = slow(text)
            except _UNFIT:
                if keep:
                    known[text] = _REFUSED
                raise
            if keep:
                known[text] = found
        elif found is _REFUSED:
            raise ValueError(text)
        return found

    return read


def integer(text: str) -> int:
    """types.py's integer (canonical text, int64), read by `int`: `+1`, ` 7`, `1_000`, `-0`, `02139` and
    other digits than ASCII's never print back as the same text."""
    number = int(text)
    if not INT64_MIN <= number <= INT64_MAX or str(number) != text:
        raise ValueError(text)
    return number


def _integer_json(text: str) -> str:
    integer(text)
    return text


class TimestampText:
    """A timestamp's canonical text (`iso_ms`): a cell in the export's own form is its own once its date
    (cached per day) and time of day are valid; any other goes through types.py's parser."""

    def __init__(self, slow: Callable[[str], Any]) -> None:
        self._slow = slow
        self._days: dict[str, bool] = {}

    def _day(self, text: str) -> bool:
        valid = self._days.get(text)
        if valid is None:
            valid = valid_day(text)
            if len(self._days) < CACHE_LIMIT:
                self._days[text] = valid
        return valid

    def text(self, text: str) -> str:
        if _EXPORT_TIMESTAMP.match(text) and (self._days.get(text[:10]) or self._day(text[:10])):
            return text
        value: datetime = self._slow(text)
        return iso_ms(value)

    def json(self, text: str) -> str:
        return f'"{self.text(text)}"'


def valid_day(text: str) -> bool:
    """`YYYY-MM-DD` in ASCII digits, a day that exists (year 1 to 9999)."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not _DIGITS.match(text[:4] + text[5:7] + text[8:]):
        return False
    try:
        date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return False
    return True


def _date_text(slow: Callable[[str], Any]) -> Callable[[str], str]:
    def text_of(text: str) -> str:
        if valid_day(text):
            return text
        value: date = slow(text)
        return value.isoformat()

    return text_of


def _parser(column: Column) -> Callable[[str], Any]:
    assert column.kind is not None, f"column {column.name} has no kind"
    return (EXACT_PARSERS if column.inferred else PARSERS)[column.kind]


def cell_encoder(column: Column) -> Encoder:
    """The JSON text of a non-empty cell of `column` (its kind fixed); ValueError when it does not fit."""
    kind = column.kind
    if kind is Kind.STRING:
        return encode_string
    parse = _parser(column)
    if kind is Kind.INTEGER:
        return _integer_json
    if kind is Kind.TIMESTAMP:
        return TimestampText(parse).json
    if kind is Kind.DATE:
        date_text = _date_text(parse)
        return lambda text: f'"{date_text(text)}"'
    if kind is Kind.BOOLEAN:
        return _cached(lambda text: "true" if parse(text) else "false")
    if kind is Kind.DOUBLE:
        return _cached(lambda text: repr(float(parse(text))))
    return _cached(lambda text: str(COMPACT.encode(parse(text))))


def _json_text(parse: Callable[[str], Any]) -> Callable[[str], str]:
    def text_of(text: str) -> str:
        parse(text)
        return text

    return text_of


def stored_value(column: Column) -> Callable[[str], Any]:
    """What SQLite stores for a non-empty cell of `column`: an int (integers, booleans as 1/0), a float, or
    text (timestamps as `iso_ms`, dates as ISO, JSON and strings as written); ValueError when it does not fit."""
    kind = column.kind
    if kind is Kind.STRING:
        return str
    parse = _parser(column)
    if kind is Kind.INTEGER:
        return integer
    if kind is Kind.TIMESTAMP:
        return TimestampText(parse).text
    if kind is Kind.DATE:
        return _date_text(parse)
    if kind is Kind.BOOLEAN:
        return _cached(lambda text: int(parse(text)))
    if kind is Kind.DOUBLE:
        return _cached(lambda text: float(parse(text)))
    return _cached(_json_text(parse))
