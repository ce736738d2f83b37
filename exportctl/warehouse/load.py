"""The entry point of a load: an export's CSV into a table of a DuckDB or SQLite database, or of a PostgreSQL
server (`load_into`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from exportctl.request.into import Into
from exportctl.schema import ExportObject
from exportctl.warehouse.base import LoadRequest, LoadResult, check_database_parent

# One load at a time per database file: in this process (`run --parallel` may load several exports into
# one file) by this lock, across processes by warehouse/lock.py's flock. DuckDB lets one process write,
# and two transactions that both extend the registry tables could conflict.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _database_lock(database: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(os.path.realpath(database), threading.Lock())


def load_file(
    engine: str,
    obj: ExportObject,
    source: Path,
    database: Path,
    table: str,
    *,
    fields: Sequence[str] | None = None,
    style: str = "api",
    unparsed: str = "keep",
) -> LoadResult:
    """Load the CSV at `source` (an export of `obj`) into `table` of `database`; one transaction."""
    from exportctl.warehouse.lock import database_lock

    request = LoadRequest(obj, source, database, table, tuple(fields) if fields else None, style, unparsed)
    check_database_parent(database)  # before the lock file is made beside it
    if engine == "duckdb":
        from exportctl.warehouse.duckdb_engine import check_path

        check_path(database)
    with _database_lock(database), database_lock(database):
        if engine == "duckdb":
            from exportctl.warehouse import duckdb_engine

            return duckdb_engine.load(request)
        from exportctl.warehouse import sqlite_engine

        return sqlite_engine.load(request)


def load_into(
    into: Into,
    obj: ExportObject,
    source: Path,
    *,
    fields: Sequence[str] | None = None,
    style: str = "api",
    unparsed: str = "keep",
) -> LoadResult:
    """Load the CSV at `source` into the `--into` target: a database file (`load_file`), or a PostgreSQL
    server, whose load also writes the pending incremental watermark (warehouse/watermark.py)."""
    if not into.server:
        return load_file(into.engine, obj, source, into.path, into.table, fields=fields, style=style, unparsed=unparsed)
    from exportctl.warehouse import postgres_engine
    from exportctl.warehouse.lock import lock_wait
    from exportctl.warehouse.watermark import pending

    request = LoadRequest(obj, source, into.path, into.table, tuple(fields) if fields else None, style, unparsed)
    return postgres_engine.load(request, into, watermark=pending(), wait=lock_wait())
