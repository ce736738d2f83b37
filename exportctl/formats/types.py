"""The typed view of an export's CSV: which type each column has, and how a cell is read as that type.

One source of truth for every typed output (JSON Lines, Parquet, SQLite, DuckDB). A column is one of:

- a field of the schema tables, found by its title (`Voucher Type`), a dashboard label (`Is referral code?`) or
  its name (`voucher_type`, the `--headers fields` style), or by one of those without case and punctuation
  (`files.csv_header.match_header`): its `ValueType` gives the kind (`KIND_OF`);
- anything else: the columns `metadata` expands into (one per key, headed by the key), prefixed fields
  (`metadata.locale`, `address.city`) and titles the tables do not know. Their kind is *inferred*: a
  string unless every non-empty value in the file reads as one kind (`Inference`).

Cells are read strictly (`parse`): a value that does not fit its column's kind is never dropped or
guessed; `typed_row` hands it back in the row's `unparsed` map, under the column's name, as written.
An empty cell is null, whatever the kind (a CSV cannot tell an empty string from a missing one).

The one rule: a text is typed only if it round-trips. For an inferred column (`exact`), the typed value
written back in its kind's canonical form (`canonical`) must be the text itself: `2139` is an integer,
`02139`, `+49151`, `1e5`, `1.50`, ` 7`, `-0`, `TRUE` and `12345678901234567891` (beyond int64) are not, so a
column holding any of them stays a string column (an integer's text is a double's too while the double holds it
exactly: `10` beside `12.5` makes a column of doubles). A field the schema tables type is read by its type
(the tables stay authoritative) in the spellings the API writes, but never by a guess either: an
integer is canonical; a number may carry trailing zeros after its decimal point (`200.00` is 200.0), but
its digits must be those of the double (`0.10000000000000001` is refused); a boolean may be in any
ASCII case; a timestamp may have any zone and fraction, as long as nothing beyond the millisecond is lost.
Anything else goes to `_unparsed`.

Standard library only: the SQL engines reproduce these rules in their own dialects, and the tests check
that they agree with this module on hostile cells.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from exportctl.schema import ExportObject, ValueType

# The column a typed output adds for values that did not fit their column: {column name: text as written}.
UNPARSED = "_unparsed"


class Kind(str, enum.Enum):
    """The type of a typed column."""

    STRING = "string"
    INTEGER = "integer"  # a signed 64-bit integer
    DOUBLE = "double"  # a finite binary64 number
    BOOLEAN = "boolean"  # `true` / `false`, in any case
    TIMESTAMP = "timestamp"  # an instant in UTC, to the millisecond
    DATE = "date"  # a calendar day
    JSON = "json"  # any JSON value (objects: `details`, `metadata`)


KIND_OF: dict[ValueType, Kind] = {
    ValueType.STRING: Kind.STRING,
    ValueType.INTEGER: Kind.INTEGER,
    ValueType.AMOUNT: Kind.INTEGER,  # cents
    ValueType.NUMBER: Kind.DOUBLE,  # a voucher's value: a percentage, points, or currency units (`200.00`)
    ValueType.BOOLEAN: Kind.BOOLEAN,
    ValueType.DATETIME: Kind.TIMESTAMP,
    ValueType.DATE: Kind.DATE,
    ValueType.JSON: Kind.JSON,
}

# The kinds an inferred column may take, tried in this order: the first that every value fits wins.
INFERRED_KINDS: tuple[Kind, ...] = (Kind.INTEGER, Kind.DOUBLE, Kind.BOOLEAN, Kind.TIMESTAMP)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The grammars, shared with duckdb_sql.py (which matches them with RE2's regexp_full_match).
INTEGER_PATTERN = r"-?(?:0|[1-9][0-9]*)"  # no sign but `-`, no leading zero; `-0` is refused apart
PLAIN_NUMBER_PATTERN = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"  # what a schema number may be: `0`, `200.00`
_INTEGER = re.compile(INTEGER_PATTERN + r"\Z")
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER_PATTERN + r"\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
# ISO 8601 as exports write it: `2026-03-01T12:00:00.000Z`; seconds and fraction optional, a zone optional
# (none means UTC, as every date in an export is UTC).
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
)
_CANONICAL_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")


def parse(kind: Kind, text: str, *, exact: bool = False) -> Any:
    """`text` (not empty) read as `kind`; ValueError when it does not fit.

    `exact` (an inferred column): only the canonical text of a value fits (`canonical(kind, value) == text`);
    otherwise the spellings the API writes for a typed field fit too, when they lose nothing."""
    if kind is Kind.STRING:
        return text
    return (EXACT_PARSERS if exact else PARSERS)[kind](text)


def canonical(kind: Kind, value: Any) -> str:
    """The one text of `value` (of `kind`) that an inferred column types: what JSON Lines and SQLite show,
    and what DuckDB's `CAST(value AS VARCHAR)` gives for integers and doubles."""
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    if kind is Kind.TIMESTAMP:
        utc = value.astimezone(timezone.utc)
        return (
            f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
            f"{utc.microsecond // 1000:03d}Z"
        )
    if kind is Kind.DATE:
        return str(value.isoformat())
    if kind is Kind.DOUBLE:
        return repr(float(value))  # the shortest text that reads back as the same double
    return str(value)


def _integer(text: str) -> int:
    if not _INTEGER.match(text) or text == "-0":
        raise ValueError(text)
    number = int(text)
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(text)
    return number


def _exact_double(text: str) -> float:
    """A number whose text is the shortest of its double (`0.1`, `1.0`, `10`; never `1.50`, `1e5` or
    `9007199254740993`, which no double holds): a column of `10` and `12.5` is a column of doubles."""
    if not _PLAIN_NUMBER.match(text) or (text.startswith("-") and float(text) == 0):
        raise ValueError(text)
    if repr(float(text)) != (text if "." in text else text + ".0"):
        raise ValueError(text)
    return float(text)


def _double(text: str) -> float:
    """A plain decimal (`200.00`, `0`) that means its double exactly: trailing zeros after the point aside,
    its digits are the double's shortest (`0.10000000000000001` is refused, as are `+1`, `01`, `1e5`)."""
    if not _PLAIN_NUMBER.match(text):
        raise ValueError(text)
    return _exact_double(decimal_form(text))


def decimal_form(text: str) -> str:
    """A plain number's text with trailing zeros after the point dropped, `.0` when none is left."""
    if "." not in text:
        return text + ".0"
    trimmed = text.rstrip("0")
    return trimmed + "0" if trimmed.endswith(".") else trimmed


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(text)


def _exact_boolean(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(text)


def _exact_timestamp(text: str) -> datetime:
    """Only the form every export writes, in UTC: `2026-03-01T12:00:00.000Z`."""
    if not _CANONICAL_TIMESTAMP.match(text):
        raise ValueError(text)
    return parse_timestamp(text)


def _date(text: str) -> date:
    found = _DATE.match(text)
    if not found:
        raise ValueError(text)
    return date(int(found[1]), int(found[2]), int(found[3]))


def _json(text: str) -> Any:
    # json.JSONDecodeError is a ValueError; a number too large for a double (1e999) is refused like NaN,
    # since no JSON writer could write it back.
    value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    if _SURROGATE_ESCAPE.search(text):  # UnicodeEncodeError (a ValueError) on a lone surrogate, key or value
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    return value


# A `\uD800`-`\uDFFF` escape: a pair makes one character, a lone one no text at all (UTF-8 cannot hold it,
# DuckDB's JSON refuses it), so a JSON text with one is not typed.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python reads them, JSON has no such values


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 instant as an aware UTC datetime, to the millisecond; ValueError otherwise (and for a
    fraction with a digit other than 0 beyond the millisecond, which the value could not keep)."""
    found = _TIMESTAMP.match(text)
    if not found:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    if fraction and fraction[3:].strip("0"):
        raise ValueError(text)
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    offset = timezone.utc
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if delta >= timedelta(hours=24):
            raise ValueError(text)
        offset = timezone(-delta if zone[0] == "-" else delta)
    value = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), millis * 1000, tzinfo=offset
    )
    return value.astimezone(timezone.utc)


# The reader of each kind's cells but strings (which are their text): ValueError when a cell does not fit.
PARSERS: dict[Kind, Callable[[str], Any]] = {
    Kind.INTEGER: _integer,
    Kind.DOUBLE: _double,
    Kind.BOOLEAN: _boolean,
    Kind.TIMESTAMP: parse_timestamp,
    Kind.DATE: _date,
    Kind.JSON: _json,
}
# The same for an inferred column (`exact`): the canonical text of a value only.
EXACT_PARSERS: dict[Kind, Callable[[str], Any]] = {
    **PARSERS,
    Kind.DOUBLE: _exact_double,
    Kind.BOOLEAN: _exact_boolean,
    Kind.TIMESTAMP: _exact_timestamp,
}


def fits(kind: Kind, text: str, *, exact: bool = False) -> bool:
    try:
        parse(kind, text, exact=exact)
    except (ValueError, OverflowError, RecursionError):
        return False
    return True


@dataclass(frozen=True)
class Column:
    """One column of the CSV as a typed output has it."""

    name: str  # the output's column name: the field name, or the header cell for anything else
    header: str  # the header cell as the CSV has it
    kind: Kind | None  # None: inferred from the values (Inference), then fixed
    field: str | None = None  # the schema field it is, None for metadata keys and unknown titles
    inferred: bool = False  # its kind was inferred: its cells are read `exact`ly (`parse`)

    def with_kind(self, kind: Kind) -> Column:
        """This column with `kind`; a column without one (to be inferred) keeps reading cells exactly."""
        return Column(self.name, self.header, kind, self.field, self.inferred or self.kind is None)


def columns_for(
    obj: ExportObject, header: Sequence[str], fields: Iterable[str] | None = None, *, style: str | None = "api"
) -> list[Column]:
    """The typed columns of a CSV of `obj` whose header row is `header`.

    `style` is the header's: `api` (the titles, `Voucher Type`; None means the same) or `fields` (the field
    names, as `--headers fields` writes them). Which cell is which field is `files.csv_header.match_header`'s
    answer (the same as `--headers fields` gets): exact titles, aliases and names, then titles without case and
    punctuation (`Is referral code?`), each field named once that way. `fields` are the requested fields: only
    they are named, so a metadata key spelled like the title of a field that was not exported (`Value`) stays a
    metadata column (None: no fields were named, the API writes its defaults and no metadata keys, and any
    field's title names it). Output names come from `formats.identifiers` (safe, unique without regard to case,
    at most 63 bytes): fields keep their names whatever the header's order, a cell that names no field and
    whose name is taken (the metadata key `code` beside the field `code`) becomes `metadata.<key>`, and a
    repeated header cell gets `_2`, `_3`...
    """
    from exportctl.files.csv_header import match_header
    from exportctl.formats.identifiers import column_name, fold

    found_names = match_header(obj, header, fields, style)
    names: dict[int, str] = {}
    taken: set[str] = set()
    field_names = {fold(name) for name in found_names if name is not None}
    # Fields first, so that they keep their plain names whatever order the header has.
    order = sorted(range(len(header)), key=lambda i: found_names[i] is None)
    for i in order:
        field_name, cell = found_names[i], header[i]
        if field_name is None and fold(cell) in field_names and fold(f"metadata.{cell}") not in taken:
            names[i] = column_name(f"metadata.{cell}", taken)
        else:
            names[i] = column_name(field_name or cell, taken)
    columns: list[Column] = []
    for i, cell in enumerate(header):
        name = found_names[i]
        kind: Kind | None = None
        if name is not None:
            found = obj.get_field(name)
            documented = found is not None and (name in obj.field_names or name in _api_only(obj))
            kind = KIND_OF[found.type] if found is not None and documented else None
        columns.append(Column(names[i], cell, kind, name))
    return columns


def _api_only(obj: ExportObject) -> set[str]:
    return {f.name for f in obj.api_only_fields}


class Inference:
    """The kind of one column whose kind the tables do not give, learnt from its values one at a time."""

    def __init__(self) -> None:
        self._possible = list(INFERRED_KINDS)
        self.seen = 0

    def observe(self, text: str) -> None:
        if not text:
            return
        self.seen += 1
        if self._possible:
            self._possible = [kind for kind in self._possible if fits(kind, text, exact=True)]

    @property
    def kind(self) -> Kind:
        """The first kind every non-empty value fitted; STRING if none, or if there were no values."""
        return self._possible[0] if self.seen and self._possible else Kind.STRING


def infer(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> list[Column]:
    """`columns` with every inferred kind fixed from `rows` (the CSV's records after the header)."""
    pending = {i: Inference() for i, column in enumerate(columns) if column.kind is None}
    if pending:
        for row in rows:
            for i, inference in pending.items():
                if i < len(row):
                    inference.observe(row[i])
    return [column.with_kind(pending[i].kind) if i in pending else column for i, column in enumerate(columns)]


@dataclass
class TypedRow:
    values: list[Any]  # one per column, None for an empty cell or a value that did not fit
    unparsed: dict[str, str]  # column name -> the text that did not fit its kind


class RowReader:
    """`typed_row` for many records of the same columns (every kind fixed): the readers are looked up once."""

    def __init__(self, columns: Sequence[Column]) -> None:
        for column in columns:
            assert column.kind is not None, f"column {column.name} has no kind: call infer() first"
        self.columns = list(columns)
        self._names = [column.name for column in columns]
        self._parsers = [
            None if c.kind is Kind.STRING else (EXACT_PARSERS if c.inferred else PARSERS)[c.kind]
            for c in columns
            if c.kind is not None
        ]

    def read(self, cells: Sequence[str]) -> TypedRow:
        """One CSV record: see `typed_row`."""
        width = len(self._names)
        extra: list[tuple[int, str]] = []
        if len(cells) != width:
            extra = [(i, cells[i]) for i in range(width, len(cells)) if cells[i]]
            cells = [*cells[:width], *([""] * (width - len(cells)))]
        values: list[Any] = []
        unparsed: dict[str, str] = {}
        for name, parser, text in zip(self._names, self._parsers, cells, strict=True):
            if not text:
                values.append(None)
            elif parser is None:
                values.append(text)
            else:
                try:
                    values.append(parser(text))
                except (ValueError, OverflowError, RecursionError):
                    values.append(None)
                    unparsed[name] = text
        for i, text in extra:
            unparsed[f"_column{i + 1}"] = text
        return TypedRow(values, unparsed)


def typed_row(columns: Sequence[Column], cells: Sequence[str]) -> TypedRow:
    """One CSV record read by `columns` (whose kinds are all fixed). Missing cells are null, extra cells
    are kept in `unparsed` under `_column<N>` (N counted from 1), so nothing the API sent is lost."""
    return RowReader(columns).read(cells)
