"""A PostgreSQL server reached for a load or a plan-time check (the `postgres` extra: psycopg 3).

- `connect`: libpq reads the URL and its own environment (`PGHOST`, `PGPASSWORD`, `PGSERVICE`, service
  files, `~/.pgpass`); a server that cannot be reached is NetworkError (exit 7), credentials it refuses
  AuthError (exit 3), each naming the URL with its password masked and libpq's reason (masked too);
- `table_lock`: loads into one table take turns on a transaction-level advisory lock keyed by a hash of
  `schema.table` (`pg_try_advisory_xact_lock`, polled up to EXPORTCTL_LOCK_WAIT seconds, then LockedError,
  exit 8); the server releases it when the transaction ends, also when the process dies;
- `Registry`: the bookkeeping queries of warehouse/layout.py (written with `?`) run on psycopg (`%s`).

A password is never shown: every message built here goes through `masked`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

from exportctl.errors import AuthError, LockedError, NetworkError, UsageError
from exportctl.formats.identifiers import quote_postgres
from exportctl.masking import mask, printable
from exportctl.request.into import Into
from exportctl.request.pg_url import password_of

EXTRA = "postgres"
INSTALL = "pip install 'exportctl[postgres]'"
CONNECT_TIMEOUT = 10  # seconds, unless the URL or PGCONNECT_TIMEOUT says otherwise
LOCK_POLL = 0.1
APPLICATION = "exportctl"
_AUTH_WORDS = ("authentication failed", "no password supplied", "password is required", "role ")


def require_psycopg(needed_by: str = "--into postgres://") -> Any:
    """The `psycopg` module; UsageError (exit 2) with the pip command when the extra is missing."""
    import importlib

    try:
        return importlib.import_module("psycopg")
    except ImportError:
        raise UsageError(
            f"{needed_by} needs psycopg, which is not installed: it comes with the optional extra '{EXTRA}'.",
            hint=f"Install it with: {INSTALL}",
        ) from None


def masked(into: Into, text: str) -> str:
    """`text` (a server's or libpq's message) with the URL's password masked, printable."""
    one_line = " ".join(text.split())  # libpq's messages run over lines, indented with tabs
    return printable(mask(one_line, [password_of(into.url), os.environ.get("PGPASSWORD")]))


def connect(into: Into) -> Any:
    """An open connection (not autocommit: the first statement begins a transaction), or a clear error."""
    psycopg = require_psycopg()
    options: dict[str, Any] = {"application_name": APPLICATION}
    if "connect_timeout" not in into.url and not os.environ.get("PGCONNECT_TIMEOUT"):
        options["connect_timeout"] = CONNECT_TIMEOUT
    try:
        return psycopg.connect(into.url, autocommit=False, **options)
    except psycopg.Error as exc:
        reason = masked(into, str(exc)) or type(exc).__name__
        where = f"PostgreSQL at {into}"
        if any(word in reason.lower() for word in _AUTH_WORDS):
            raise AuthError(
                f"{where} refused the credentials: {reason}",
                hint="Give the user in the URL and the password in PGPASSWORD, a service file or ~/.pgpass.",
            ) from None
        raise NetworkError(
            f"Cannot connect to {where}: {reason}; nothing was loaded.",
            hint="Check that the server runs and the URL's host, port and database (or PGHOST, PGPORT...).",
        ) from None


def lock_key(schema: str, table: str) -> str:
    return f"exportctl:{schema}.{table}"


def table_lock(conn: Any, into: Into, wait: float) -> None:
    """Take the table's advisory lock for the current transaction; LockedError after `wait` seconds."""
    deadline = time.monotonic() + wait
    key = lock_key(into.schema, into.table.casefold())
    while True:
        row = conn.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [key]).fetchone()
        if row is not None and row[0]:
            return
        if time.monotonic() >= deadline:
            raise LockedError(
                f"Another exportctl run is loading into {into}; waited {wait:g} s, nothing was loaded.",
                hint="Run again once it is done, or wait longer: EXPORTCTL_LOCK_WAIT=SECONDS.",
            )
        time.sleep(LOCK_POLL)


def schema_exists(conn: Any, schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


def relation_exists(conn: Any, schema: str, name: str) -> bool:
    """Whether the schema has a table, view or the like of that name, without regard to case (exportctl's
    names are compared so: formats/identifiers.fold)."""
    row = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND lower(c.relname) = lower(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
        [schema, name],
    ).fetchone()
    return row is not None


def use_schema(conn: Any, schema: str) -> None:
    """Unqualified names of this transaction are the schema's (temporary tables stay in pg_temp)."""
    conn.execute(f"SET LOCAL search_path TO {quote_postgres(schema)}")
    conn.execute("SET LOCAL TimeZone TO 'UTC'")


# PostgreSQL's text holds no NUL, and a header cell (a column's source, kept in `_exportctl_columns`) may:
# such a text is kept as MARK + its JSON (which writes NUL as \u0000), and read back so.
MARK = "\ufffe"


def encode_text(value: Any) -> Any:
    if isinstance(value, str) and ("\x00" in value or value.startswith(MARK)):
        return MARK + json.dumps(value)
    return value


def decode_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(MARK):
        return json.loads(value[len(MARK) :])
    return value


class _Rows:
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(decode_text(value) for value in row) for row in self.cursor.fetchall()]

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self.cursor.fetchone()
        return None if row is None else tuple(decode_text(value) for value in row)


class Registry:
    """A psycopg connection as warehouse/layout.py's `Db`: its `?` parameters become `%s`, and texts with
    NUL are kept in a form PostgreSQL holds (`encode_text`), read back as they were.

    Only layout's bookkeeping statements go through it, whose identifiers are its own constants."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        if not parameters:
            return _Rows(self.conn.execute(sql))
        values = [encode_text(value) for value in parameters]
        return _Rows(self.conn.execute(sql.replace("%", "%%").replace("?", "%s"), values))
