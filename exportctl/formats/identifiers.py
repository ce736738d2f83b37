"""Column names are data: any header cell or metadata key becomes a safe, unique column name here, and an
identifier reaches SQL only through this module's one quoting function per engine.

The rule (`column_name`), the same for JSON Lines keys, Parquet columns, SQLite and DuckDB columns:

- control characters (NUL, line breaks, tabs, the C0/C1 ranges, U+2028/U+2029) and lone surrogates become `_`;
  quotes, spaces and reserved words (`select`, `order`) stay, since every identifier is quoted;
- an empty name becomes `unnamed`;
- the names our own tables use (`_unparsed`, `_row`) and the engines' row-id names (`rowid`, `oid`,
  `_rowid_`) get a suffix (`rowid_2`), as does a name already taken: names are compared with `casefold`,
  since SQLite and DuckDB compare identifiers without regard to case (`Tier` beside `tier` becomes `Tier_2`);
- at most 63 bytes of UTF-8 (PostgreSQL's limit), cut at a character boundary, the suffix included.

SQL is built from lists of names each quoted once (`quote_duckdb`, `quote_sqlite`, `quote_postgres`); no SQL
text is ever made by joining or splitting identifier strings.

Standard library only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_BYTES = 63
EMPTY = "unnamed"
# Our own column names and the engines' row ids: never the name of a column made from data.
RESERVED = frozenset({"_unparsed", "_row", "rowid", "oid", "_rowid_"})


def fold(name: str) -> str:
    """The form under which two names are one identifier to SQLite, DuckDB and PostgreSQL (quoted)."""
    return name.casefold()


def _clean(char: str) -> str:
    if "\ud800" <= char <= "\udfff":  # a lone surrogate (invalid UTF-8 read with surrogateescape)
        return "_"
    if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
        return "_"
    return char


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, at a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def safe_text(text: str) -> str:
    """`text` without control characters, never empty, at most MAX_BYTES bytes (not yet unique)."""
    cleaned = "".join(_clean(char) for char in text) or EMPTY
    return _cut(cleaned, MAX_BYTES)


def column_name(text: str, taken: set[str]) -> str:
    """A safe name for `text`, unique under `fold` among `taken` (folded names), which it joins."""
    base = safe_text(text)
    candidate, suffix = base, 2
    while fold(candidate) in taken or fold(candidate) in RESERVED:
        tail = f"_{suffix}"
        candidate = _cut(base, MAX_BYTES - len(tail)) + tail
        suffix += 1
    taken.add(fold(candidate))
    return candidate


def column_names(texts: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """`column_name` of each text in order, unique among themselves and `taken` (names, not folded)."""
    seen = {fold(name) for name in taken}
    return [column_name(text, seen) for text in texts]


def _quoted(name: str) -> str:
    if not name:
        raise ValueError("an SQL identifier cannot be empty")
    return '"' + name.replace('"', '""') + '"'


def quote_duckdb(name: str) -> str:
    """One name as a DuckDB identifier: double quotes, a `"` doubled (DuckDB takes any other character)."""
    return _quoted(name)


def quote_sqlite(name: str) -> str:
    """One name as an SQLite identifier: double quotes, a `"` doubled; NUL refused (SQLite's SQL text ends
    at a NUL)."""
    if "\x00" in name:
        raise ValueError("an SQLite identifier cannot hold NUL")
    return _quoted(name)


def quote_postgres(name: str) -> str:
    """One name as a PostgreSQL identifier: double quotes, a `"` doubled; NUL refused (PostgreSQL's text
    holds none), and so is a name beyond 63 bytes of UTF-8, which PostgreSQL would cut silently (two long
    names would become one)."""
    if "\x00" in name:
        raise ValueError("a PostgreSQL identifier cannot hold NUL")
    if len(name.encode("utf-8")) > MAX_BYTES:
        raise ValueError("a PostgreSQL identifier has at most 63 bytes")
    return _quoted(name)
