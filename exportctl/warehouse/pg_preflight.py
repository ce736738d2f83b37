"""A PostgreSQL target checked at plan time, before an export is submitted: read only, in a read-only
transaction that is rolled back.

Refused before anything is sent: the extra missing (exit 2), a server that cannot be reached (exit 7) or
that refuses the credentials (exit 3), a reserved table name, a table exportctl did not make, one made for
another object or merged on another key (exit 2). The load checks it all again under its lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from exportctl.request.into import Into
from exportctl.schema import ExportObject
from exportctl.warehouse import pg_connect
from exportctl.warehouse.keys import merge_key
from exportctl.warehouse.layout import TABLES, Registration, check_key, check_table, check_table_name, read_registration


def check_server(obj: ExportObject, fields: Sequence[str] | None, into: Into) -> None:
    pg_connect.require_psycopg()
    check_table_name(into.table)
    key = merge_key(obj, fields)
    registration, exists = read_table(into)
    check_table(obj, into.table, registration, exists)
    check_key(obj, into.table, registration, key)


def read_table(into: Into) -> tuple[Registration | None, bool]:
    """The table's registration and whether it exists, read in a read-only transaction."""
    conn = pg_connect.connect(into)
    try:
        return _read(conn, into)
    finally:
        with contextlib.suppress(Exception):
            conn.rollback()
        conn.close()


def _read(conn: Any, into: Into) -> tuple[Registration | None, bool]:
    conn.execute("SET TRANSACTION READ ONLY")
    if not pg_connect.schema_exists(conn, into.schema):
        return None, False
    pg_connect.use_schema(conn, into.schema)
    registration = None
    if pg_connect.relation_exists(conn, into.schema, TABLES):
        registration = read_registration(pg_connect.Registry(conn), into.table)
    return registration, pg_connect.relation_exists(conn, into.schema, into.table)


def stored_registration(into: Into) -> Registration | None:
    """The table's registration, or None (none, or the server cannot be read now): for --dry-run."""
    try:
        return read_table(into)[0]
    except Exception:
        return None
