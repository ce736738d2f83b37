"""The typed view of a CSV (types.py) in DuckDB's SQL: a SELECT over `read_csv(all_varchar)`.

`--format parquet` writes it, and the DuckDB warehouse engine loads it; both get exactly the cells
`types.parse` accepts, because DuckDB's own casts are looser (`TRY_CAST('yes' AS BOOLEAN)` is true,
`'1.0'` may become a BIGINT, `make_timestamp` carries 24:00 into the next day). Every kind is written
out explicitly here: a regular expression of the same grammar, then a cast of only what matched, with
the same range checks (int64, finite doubles, real calendar days, hours 0-23, a zone under 24 hours,
years 1-9999 in UTC). JSON cells: DuckDB's `json_valid` agrees with Python's json module except on
NaN/Infinity, trailing commas, surrogate escapes, huge exponents and very deep or long texts; a cell that
shows any of these (`_SUSPICIOUS`) is judged by `types.parse` itself, in Python, once per distinct text,
during `prepare`'s one pass, and the verdicts wait in a temporary table (`JSON_VERDICTS`).

The CSV is read with the columns named `c0`, `c1`, ... (so a hostile header cell never reaches the SQL as
an identifier); every output name is a quoted identifier and every key a quoted literal. A record with
more or fewer cells than the header row is an error of the reader (`CsvShapeError`), never a guess.

`prepare(connection, columns, source)` runs that pass (which also fixes the inferred columns' kinds) and
must come first on a connection; then `typed_select(columns, source)` gives the SELECT: one column per
`Column` (BIGINT, DOUBLE, BOOLEAN,
TIMESTAMPTZ in UTC to the millisecond, DATE, VARCHAR for strings and for JSON text) and `_unparsed`, a
JSON object {column: text} of the values that did not fit, NULL when there are none. `infer_select`
gives the counts that fix the inferred columns' kinds by `types.Inference`'s rule.

No Python function is registered in DuckDB: that would need numpy, and run Python once per row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from exportctl.errors import OutputError
from exportctl.formats.types import (
    INFERRED_KINDS,
    INTEGER_PATTERN,
    PLAIN_NUMBER_PATTERN,
    UNPARSED,
    Column,
    Kind,
    fits,
)
from exportctl.masking import printable

# The temporary table of the suspicious JSON texts that types.parse accepts (`prepare` fills it).
JSON_VERDICTS = "exportctl_json_ok"
# Where DuckDB's json_valid may differ from Python's json module; such cells are judged in Python.
_SUSPICIOUS = r"(?:^|[\[:,])\s*-?(?:[Nn][Aa][Nn]|[Ii][Nn][Ff])|,\s*[\]}]|\\u[dD][89a-fA-F]|[eE][+-]?[0-9]{3}"
# DuckDB refuses a record longer than its max_line_size (2 MB by default) that Python's csv reads: a
# `details` JSON or a metadata value may be that long. A file is read with DuckDB's default first, which
# lets its reader split the file between threads; a file with a longer record (`too_long`) is read again
# with 1 GiB, which DuckDB allocates only as needed but which makes its buffer the whole file: one thread.
MAX_LINE_SIZE = 2**30
_LONG_JSON = 1900  # characters: Python's json refuses nesting near its recursion limit and > 4300-digit integers

_DATE = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
_TIMESTAMP = (
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_PARTS = ["y", "mo", "d", "h", "mi", "s", "f", "z"]
# Years 0001-9999, months 01-12, days 01-31 (the cast checks the month's length), a clock in range.
_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_CANONICAL_DATE = _YEAR + r"-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_CANONICAL_TIMESTAMP = _CANONICAL_DATE + r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z"
SQL_TYPES: dict[Kind, str] = {
    Kind.STRING: "VARCHAR",
    Kind.INTEGER: "BIGINT",
    Kind.DOUBLE: "DOUBLE",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.DATE: "DATE",
    Kind.JSON: "VARCHAR",
}


def identifier(name: str) -> str:
    """`name` as a quoted DuckDB identifier (formats/identifiers.py's one quoting function)."""
    from exportctl.formats.identifiers import quote_duckdb

    return quote_duckdb(name)


def literal(text: str) -> str:
    """`text` as a quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# What DuckDB's read_csv reads as a pattern in a path (it globs: `exports[1]` also matches `exports1`).
GLOB_CHARACTERS = frozenset("[]?*{}")


@contextlib.contextmanager
def private_source(path: Path) -> Iterator[Path]:
    """A path by which DuckDB reads the file at `path` and nothing else: a symbolic link `source.csv` to it in
    a directory of this run's own (mkdtemp, mode 0700, beside the file when its path allows), removed
    afterwards. DuckDB globs the path it is given, so `[`, `?`, `*` and `{` in the file's own path never
    reach it. (Which file DuckDB should read, the export's or a copy, is `csv_layout.readable`'s call.)"""
    import shutil
    import tempfile

    target = Path(path).absolute()
    candidates = [
        d for d in (target.parent, Path(tempfile.gettempdir()), Path.cwd()) if not GLOB_CHARACTERS & set(str(d))
    ]
    made: list[str] = []  # filled while stop signals wait: an interrupt never leaves the directory behind
    try:
        for parent in candidates:
            try:
                with signals_held():
                    made.append(tempfile.mkdtemp(prefix=".exportctl-source-", dir=parent))
                break
            except OSError:
                continue
        if not made:
            raise OutputError(
                f"No writable directory without {''.join(sorted(GLOB_CHARACTERS))} in its path for DuckDB to "
                f"read {printable(str(target))} by.",
                hint="Set TMPDIR to a plain directory such as /tmp.",
            )
        link = Path(made[0]) / "source.csv"
        link.symlink_to(target)
        yield link
    finally:
        for directory in made:
            shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait (in this thread) until the block ends: a temporary file or directory
    made in it is noted by its caller before an interrupt can arrive."""
    import signal

    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def is_interrupt(exc: BaseException) -> bool:
    """Whether DuckDB stopped a query for Ctrl-C or SIGTERM: its Python client turns the KeyboardInterrupt a
    signal handler raised into `RuntimeError('Query interrupted')` (or an InterruptException)."""
    if type(exc).__name__ == "InterruptException":
        return True
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


def read_csv(path: Path, width: int, *, long_records: bool = False) -> str:
    """The FROM item reading the CSV at `path`, whose header row has `width` cells, as VARCHAR columns c0...

    `path` must come from `private_source`: DuckDB reads a path as a glob pattern. With `long_records`,
    records up to `MAX_LINE_SIZE` (read again so when DuckDB's default refused one: `too_long`)."""
    if GLOB_CHARACTERS & set(str(path)):
        raise ValueError(f"DuckDB would read {path!r} as a pattern: pass it through private_source")
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    longest = f", max_line_size = {MAX_LINE_SIZE}" if long_records else ""
    return (
        f"read_csv({literal(str(path))}, header = true, auto_detect = false, columns = {{{columns}}}, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, encoding = 'utf-8'"
        f"{longest})"
    )


class LongRecord(Exception):
    """DuckDB's reader met a record over its default max_line_size: the caller reads the file again with
    `read_csv(..., long_records=True)`."""


def too_long(exc: BaseException) -> bool:
    """Whether DuckDB stopped at a record longer than the max_line_size it was given."""
    return "maximum line size" in str(exc).lower()


def _regex(pattern: str) -> str:
    return literal(pattern)


def _typed(kind: Kind, c: str, m: str, exact: bool = False) -> str:
    """The expression of column `c` read as `kind` (NULL when it does not fit); `m` is its timestamp/date match:
    its regex groups, NULL where the cell is NULL or in the canonical form (`_matches` tests that once per cell).

    `exact` (an inferred column): only a value's canonical text fits, as `types.parse(..., exact=True)`."""
    if kind is Kind.STRING:
        return c
    if kind is Kind.INTEGER:
        return (
            f"CASE WHEN regexp_full_match({c}, {_regex(INTEGER_PATTERN)}) AND {c} <> '-0' "
            f"THEN TRY_CAST({c} AS BIGINT) END"
        )
    if kind is Kind.DOUBLE:
        return _double(c, exact)
    if kind is Kind.BOOLEAN and exact:
        return f"CASE {c} WHEN 'true' THEN true WHEN 'false' THEN false END"
    if kind is Kind.TIMESTAMP and exact:
        return f"CASE WHEN regexp_full_match({c}, {_regex(_CANONICAL_TIMESTAMP)}) THEN TRY_CAST({c} AS TIMESTAMPTZ) END"
    if kind is Kind.DATE and exact:  # every real day's text is canonical: the fast path alone
        return f"CASE WHEN regexp_full_match({c}, {_regex(_CANONICAL_DATE)}) THEN TRY_CAST({c} AS DATE) END"
    if kind is Kind.BOOLEAN:
        # Spelled out: RE2's (?i) folds Unicode (U+017F 'ſ' matches 's'), Python's str.lower does not.
        return (
            f"CASE WHEN regexp_full_match({c}, '[Tt][Rr][Uu][Ee]') THEN true "
            f"WHEN regexp_full_match({c}, '[Ff][Aa][Ll][Ss][Ee]') THEN false END"
        )
    if kind is Kind.DATE:
        return (
            f"CASE WHEN {m} IS NULL THEN TRY_CAST({c} AS DATE) "
            f"WHEN regexp_full_match({c}, {_regex(_DATE)}) AND TRY_CAST({m}.y AS INTEGER) >= 1 THEN "
            f"try(make_date(TRY_CAST({m}.y AS INTEGER), TRY_CAST({m}.mo AS INTEGER), TRY_CAST({m}.d AS INTEGER))) END"
        )
    if kind is Kind.TIMESTAMP:
        # The form every export writes (`2026-03-01T12:00:00.123Z`) is cast directly, which is several times
        # faster than the general expression; the pattern leaves DuckDB nothing to be lenient about (a day
        # that does not exist, Feb 30, still fails the cast), and anything else takes the general path.
        return f"CASE WHEN {m} IS NULL THEN TRY_CAST({c} AS TIMESTAMPTZ) ELSE {_timestamp(c, m)} END"
    valid = f"CASE WHEN {_suspicious(c)} THEN {c} IN (SELECT text FROM {JSON_VERDICTS}) ELSE json_valid({c}) END"
    return f"CASE WHEN {valid} THEN {c} END"


def _double(c: str, exact: bool) -> str:
    """types' doubles: the text is the double's shortest (DuckDB's CAST to VARCHAR writes the same text as
    Python's repr); a schema number may also have trailing zeros after its point, or none (`types.decimal_form`)."""
    if exact:
        form, pattern = f"(CASE WHEN contains({c}, '.') THEN {c} ELSE {c} || '.0' END)", PLAIN_NUMBER_PATTERN
    else:
        trimmed = f"rtrim({c}, '0')"
        form = (
            f"(CASE WHEN NOT contains({c}, '.') THEN {c} || '.0' "
            f"WHEN ends_with({trimmed}, '.') THEN {trimmed} || '0' ELSE {trimmed} END)"
        )
        pattern = PLAIN_NUMBER_PATTERN
    cast = f"TRY_CAST({c} AS DOUBLE)"
    return (
        f"CASE WHEN regexp_full_match({c}, {_regex(pattern)}) AND CAST({cast} AS VARCHAR) = {form} "
        f"AND NOT (starts_with({c}, '-') AND {cast} = 0) THEN {cast} END"
    )


def typed_value(kind: Kind, cell: str, *, exact: bool = True) -> str:
    """The expression of `cell` (any VARCHAR expression, e.g. a column of a table) read as `kind`, NULL when
    it does not fit: `_typed` without the inner SELECT's regex groups (for `ALTER ... USING` of an inferred
    column, hence `exact`). Not for JSON, whose suspicious texts need `prepare`'s verdicts."""
    groups = _groups(cell, kind) if kind in (Kind.TIMESTAMP, Kind.DATE) and not exact else "NULL"
    return _typed(kind, cell, f"({groups})", exact)


def _groups(c: str, kind: Kind) -> str:
    """The regex groups of a date or timestamp cell `c`, NULL when it is NULL or in the canonical form (which
    `_typed` casts directly): the canonical pattern is matched once per cell, here."""
    pattern, canonical = (_TIMESTAMP, _CANONICAL_TIMESTAMP) if kind is Kind.TIMESTAMP else (_DATE, _CANONICAL_DATE)
    names = ", ".join(literal(p) for p in _PARTS[: 3 if kind is Kind.DATE else 8])
    return (
        f"CASE WHEN NOT regexp_full_match({c}, {_regex(canonical)}) THEN "
        f"regexp_extract({c}, {_regex(pattern)}, [{names}]) END"
    )


def _suspicious(c: str) -> str:
    return f"(length({c}) >= {_LONG_JSON} OR regexp_matches({c}, {literal(_SUSPICIOUS)}))"


def _timestamp(c: str, m: str) -> str:
    """types.parse_timestamp in SQL: the calendar day, the clock in range, the zone under 24 hours, to the ms."""

    # TRY_CAST everywhere: SQL does not promise to skip the other conditions when the pattern did not match.
    def part(name: str) -> str:
        return f"TRY_CAST({m}.{name} AS INTEGER)"

    seconds = f"TRY_CAST(coalesce(nullif({m}.s, ''), '0') AS INTEGER)"
    millis = f"TRY_CAST(rpad(left({m}.f, 3), 3, '0') AS INTEGER)"
    zone = f"replace(substr({m}.z, 2), ':', '')"
    minutes = f"TRY_CAST(left({zone}, 2) AS INTEGER) * 60 + TRY_CAST(right({zone}, 2) AS INTEGER)"
    offset = (
        f"(CASE WHEN {m}.z IN ('', 'Z') THEN 0 ELSE (CASE WHEN left({m}.z, 1) = '-' THEN -1 ELSE 1 END) * "
        f"({minutes}) END)"
    )
    zone_ok = f"({m}.z IN ('', 'Z') OR {minutes} < 1440)"
    day = f"try(make_date({part('y')}, {part('mo')}, {part('d')}))"
    local = (
        f"CAST({day} AS TIMESTAMP) + to_hours({part('h')}) + to_minutes({part('mi')}) + to_seconds({seconds}) "
        f"+ to_milliseconds({millis}) - to_minutes({offset})"
    )
    # A fraction beyond the millisecond must be zeros: the value could not keep it (types.parse_timestamp).
    checked = (
        f"regexp_full_match({c}, {_regex(_TIMESTAMP)}) AND {part('y')} >= 1 AND {part('h')} <= 23 "
        f"AND {part('mi')} <= 59 AND {seconds} <= 59 AND {zone_ok} AND {day} IS NOT NULL "
        f"AND ltrim(substr({m}.f, 4), '0') = ''"
    )
    utc = f"({local})"
    in_range = f"{utc} >= TIMESTAMP '0001-01-01 00:00:00' AND {utc} < TIMESTAMP '10000-01-01 00:00:00'"
    return f"CASE WHEN {checked} THEN (CASE WHEN {in_range} THEN timezone('UTC', {utc}) END) END"


def _matches(columns: Sequence[tuple[int, Kind]]) -> str:
    """The inner SELECT's extra items: the date and timestamp columns' regex groups, as structs m<i>."""
    items = [
        f"{_groups(f'c{i}', kind)} AS m{i}_{kind.value}" for i, kind in columns if kind in (Kind.TIMESTAMP, Kind.DATE)
    ]
    return "".join(f", {item}" for item in items)


def typed_select(columns: Sequence[Column], source: str, *, check: Sequence[int] = ()) -> str:
    """The SELECT of the typed columns (every kind fixed) and `_unparsed`, from `source` (`read_csv(...)`).

    With `check` (columns whose kinds are guesses: speculate.sql_guesses), one more column, last: whether a
    value of one of them did not fit, which proves a guess wrong."""
    kinds = [(i, _kind(column)) for i, column in enumerate(columns)]
    typed = ", ".join(
        f"{_typed(kind, f'c{i}', f'm{i}_{kind.value}', columns[i].inferred)} AS t{i}" for i, kind in kinds
    )
    # Inferred columns read only the canonical forms, which need no regex groups.
    grouped = [(i, kind) for i, kind in kinds if not columns[i].inferred]
    inner = f"SELECT *{_matches(grouped)} FROM {source}"
    middle = f"SELECT *{', ' + typed if typed else ''} FROM ({inner})"
    entries = [
        f"struct_pack(k := {literal(column.name)}, v := CASE WHEN c{i} IS NOT NULL AND t{i} IS NULL THEN c{i} END)"
        for (i, kind), column in zip(kinds, columns, strict=True)
        if kind is not Kind.STRING
    ]
    unparsed = (
        f"nullif(CAST(to_json(map_from_entries(list_filter([{', '.join(entries)}], lambda e: e.v IS NOT NULL))) "
        "AS VARCHAR), '{}')"
        if entries
        else "CAST(NULL AS VARCHAR)"
    )
    outputs = [f"t{i} AS {identifier(column.name)}" for (i, _), column in zip(kinds, columns, strict=True)]
    outputs.append(f"{unparsed} AS {identifier(UNPARSED)}")
    if check:
        outputs.append("(" + " OR ".join(f"(c{i} IS NOT NULL AND t{i} IS NULL)" for i in check) + ") AS guess_failed")
    return f"SELECT {', '.join(outputs)} FROM ({middle})"


def _kind(column: Column) -> Kind:
    if column.kind is None:
        raise ValueError(f"column {column.name} has no kind: infer it first")
    return column.kind


def _counts(columns: Sequence[Column], pending: Sequence[int]) -> list[str]:
    """Per column without a kind: its non-empty values, then how many fit each of `INFERRED_KINDS`, in order."""
    items = []
    for i in pending:
        items.append(f"count(c{i})")
        items += [f"count({_typed(kind, f'c{i}', f'm{i}_{kind.value}', True)})" for kind in INFERRED_KINDS]
    return items


def inferred(columns: Sequence[Column], pending: Sequence[int], counts: Sequence[int]) -> list[Column]:
    """`columns` with the kinds the counts give: the first kind every non-empty value fits, else string."""
    fixed = list(columns)
    width = 1 + len(INFERRED_KINDS)
    for n, i in enumerate(pending):
        seen, *fitting = counts[n * width : (n + 1) * width]
        kind = next((k for k, fit in zip(INFERRED_KINDS, fitting, strict=True) if seen and fit == seen), Kind.STRING)
        fixed[i] = columns[i].with_kind(kind)
    return fixed


def prepare(connection: Any, columns: Sequence[Column], source: str) -> list[Column]:
    """The one pass before `typed_select`: fix the inferred kinds, judge the suspicious JSON texts in Python.

    Returns `columns` with every kind fixed, and leaves the temporary table `JSON_VERDICTS` on the connection
    (no pass at all when no kind is inferred and no column is JSON).
    """
    pending = [i for i, column in enumerate(columns) if column.kind is None]
    json_columns = [i for i, column in enumerate(columns) if column.kind is Kind.JSON]
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {JSON_VERDICTS} (text VARCHAR)")
    if not pending and not json_columns:
        return list(columns)
    items = _counts(columns, pending)
    items += [f"list(DISTINCT c{i}) FILTER (WHERE {_suspicious(f'c{i}')})" for i in json_columns]
    inner = f"SELECT * FROM {source}"  # the inferred kinds' canonical forms need no regex groups
    # fetchall, not fetchone: a result left unfinished blocks the connection's next statement.
    row = list(connection.execute(f"SELECT {', '.join(items)} FROM ({inner})").fetchall()[0])
    width = len(pending) * (1 + len(INFERRED_KINDS))
    fixed = inferred(columns, pending, row[:width]) if pending else list(columns)
    accepted = {text for texts in row[width:] for text in texts or () if fits(Kind.JSON, text)}
    if accepted:
        connection.executemany(f"INSERT INTO {JSON_VERDICTS} VALUES (?)", [[text] for text in sorted(accepted)])
    return fixed
