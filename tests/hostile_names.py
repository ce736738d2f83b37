"""Hostile header cells and metadata keys: the names every typed path is tried with (JSON Lines, Parquet,
SQLite, DuckDB). The README's Reliability section counts them (`len(HOSTILE_NAMES)`)."""

from __future__ import annotations

INJECTION = "x = 1, code = 'pwned'; DROP TABLE other; --"

HOSTILE_NAMES: list[str] = [
    "",
    "\x00",
    "nul\x00key",
    "tab\tkey",
    "\x1b[31mred",
    "line\u2028sep",
    '"',
    'a"b',
    "'",
    "it's",
    "`tick`",
    "[x]",
    "x]y",
    INJECTION,
    "region, zone",
    'a", "b',
    "select",
    "from",
    "order",
    "group",
    "table",
    "_row",
    "_unparsed",
    "rowid",
    "ROWID",
    "oid",
    "_rowid_",
    "Tier",
    "tier",
    "TIER",
    "k" * 300,
    "é" * 40,
    "😀" * 20,
    "\ufeffbom",
    " ",
    "  lead and trail  ",
    "id",
    "a.b",
    "$1",
    "?",
    "%s",
    "{x}",
    "\\",
    "/*c*/",
    "--",
    ";",
    "Value",
    "Active",
]

# Header cells with a line break (a header row that spans lines: DuckDB's own reader would lose every row
# of such a CRLF file, so formats.duckdb_sql.private_source hands it a one-line header).
LINE_BREAK_NAMES: list[str] = ["ship\nto", "cr\rlf", "both\r\nends"]
