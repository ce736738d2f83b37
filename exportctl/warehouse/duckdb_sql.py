"""formats/types.py's rules written in DuckDB SQL: the typed value of a VARCHAR cell, or NULL.

DuckDB's own casts are more lenient than `types.parse` (`TRY_CAST('1.0' AS BIGINT)` is 1, `'.5'` casts to
1, `24:00:00` is a time, `json_valid` takes `NaN` and trailing commas), so each kind is guarded by the
same regular expression types.py uses, and the cast only does what the expression let through. The
tests check the two agree on hostile cells (tests/warehouse/test_duckdb_sql.py).
"""

from __future__ import annotations

from exportctl.formats.types import Kind

INTEGER = r"[+-]?[0-9]+"
DOUBLE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# types._TIMESTAMP, with the hour, minute and second ranges Python's datetime checks (DuckDB takes 24:00).
TIMESTAMP = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-9]{2})?"
)
# A JSON text's string literals, removed before looking for what json_valid takes and Python does not.
JSON_STRING = r'"(?:[^"\\]|\\.)*"'
JSON_LENIENT = r"NaN|Infinity|,[ \t\n\r]*[\]}]"
SQL_TYPES = {
    Kind.STRING: "VARCHAR",
    Kind.INTEGER: "BIGINT",
    Kind.DOUBLE: "DOUBLE",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.DATE: "DATE",
    Kind.JSON: "JSON",
}
FIRST_INSTANT, LAST_INSTANT = "TIMESTAMPTZ '0001-01-01 00:00:00+00'", "TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'"


def literal(text: str) -> str:
    """`text` as a DuckDB string expression; a NUL (which a literal cannot hold) as chr(0)."""
    pieces = ["'" + piece.replace("'", "''") + "'" for piece in text.split("\x00")]
    return pieces[0] if len(pieces) == 1 else "(" + " || chr(0) || ".join(pieces) + ")"


def sql_type(kind: Kind) -> str:
    return SQL_TYPES[kind]


def typed(kind: Kind, cell: str) -> str:
    """An SQL expression of the value of `cell` (an expression of a VARCHAR, NULL when empty) as `kind`:
    NULL when it does not fit. Needs the connection's TimeZone to be UTC."""
    if kind is Kind.STRING:
        return cell
    if kind is Kind.INTEGER:
        return f"CASE WHEN regexp_full_match({cell}, '{INTEGER}') THEN TRY_CAST({cell} AS BIGINT) END"
    if kind is Kind.DOUBLE:
        number = f"TRY_CAST({cell} AS DOUBLE)"
        return f"CASE WHEN regexp_full_match({cell}, '{DOUBLE}') AND isfinite({number}) THEN {number} END"
    if kind is Kind.BOOLEAN:
        return f"CASE lower({cell}) WHEN 'true' THEN true WHEN 'false' THEN false END"
    if kind is Kind.DATE:
        day = f"TRY_CAST({cell} AS DATE)"
        return f"CASE WHEN regexp_full_match({cell}, '{DATE}') AND year({day}) >= 1 THEN {day} END"
    if kind is Kind.TIMESTAMP:
        # Python's datetime ends at year 1 and 9999, also once moved to UTC; milliseconds, as types.py.
        instant = f"TRY_CAST({cell} AS TIMESTAMPTZ)"
        return (
            f"CASE WHEN regexp_full_match({cell}, '{TIMESTAMP}') AND {instant} BETWEEN {FIRST_INSTANT} AND "
            f"{LAST_INSTANT} THEN date_trunc('millisecond', {instant}) END"
        )
    strict = f"NOT regexp_matches(regexp_replace({cell}, '{JSON_STRING}', '\"\"', 'g'), '{JSON_LENIENT}')"
    return (
        f"CASE WHEN json_valid({cell}) AND (NOT regexp_matches({cell}, '{JSON_LENIENT}') OR {strict}) THEN {cell} END"
    )
