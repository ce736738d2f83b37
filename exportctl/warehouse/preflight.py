"""The load target checked at plan time, before an export is submitted: offline and read-only.

Everything a load would refuse that the database says already is refused here, so that the run and
the dry run fail alike before anything is sent or written (the load checks it all again under its lock):

- a table name that is reserved (`_exportctl_*`, `sqlite_*`; warehouse/layout.py);
- a path that is a symbolic link to nothing (a load would create a database wherever it points), or that
  is not a regular file (a pipe, a device: reading it could block);
- a file of the other engine, or of neither: its first bytes are read (SQLite's `SQLite format 3\\0`,
  DuckDB's `DUCK` at offset 8); an empty or missing file becomes a database;
- a table exportctl did not make, one made for another object, or one that merges rows on another key:
  the bookkeeping tables (`_exportctl_tables`) are read through a read-only connection.

No lock is taken and nothing is created or changed (SQLite is opened `immutable`, which makes no `-shm`
file): a database that cannot be read so now (a DuckDB writer holds it, an SQLite write-ahead log or
journal lies beside it, the extra is missing) is not judged here; the load judges it.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exportctl.errors import UsageError
from exportctl.masking import printable
from exportctl.request.into import DUCKDB, Into
from exportctl.schema import ExportObject
from exportctl.warehouse.keys import merge_key
from exportctl.warehouse.layout import (
    TABLES,
    Registration,
    check_key,
    check_table,
    check_table_name,
    read_registration,
)


def check_target(obj: ExportObject, fields: Sequence[str] | None, into: Into) -> None:
    """UsageError (or OutputError for a file that cannot be read) for a target the load would refuse."""
    check_table_name(into.table)
    if not _check_file(into):
        return  # no database yet: the load creates one
    found = read_table(into)
    if found is None:
        return
    registration, exists = found
    check_table(obj, into.table, registration, exists)
    check_key(obj, into.table, registration, merge_key(obj, fields))


def check_into(obj: ExportObject, fields: Sequence[str] | None, into: Into) -> None:
    """Everything plan time knows of an `--into` target (jobs/plan.py): the key among the fields, the lock
    wait, then a file's directory, path and contents, or a server (warehouse/pg_preflight.py); read only."""
    from exportctl.warehouse.lock import lock_wait

    merge_key(obj, fields)
    lock_wait()  # a bad EXPORTCTL_LOCK_WAIT is refused before the export is created
    if into.server:
        from exportctl.warehouse import pg_preflight

        pg_preflight.check_server(obj, fields, into)  # psycopg, the server reached, the table: read only
        return
    from exportctl.files.targets import check_directory

    check_directory(into.path.parent)
    if into.engine == DUCKDB:
        from exportctl.warehouse.duckdb_engine import check_path

        check_path(into.path)
    if into.path.is_dir():
        raise UsageError(f"--into {into}: {into.path} is a directory; give the database file.")
    check_target(obj, fields, into)  # the file's engine, the table: read only, no lock


def _check_file(into: Into) -> bool:
    """Whether the path holds a database to read (False: none yet); refuse what no load could use."""
    path = into.path
    shown = printable(str(path))
    try:
        mode = path.stat().st_mode  # follows a link
    except FileNotFoundError:
        if path.is_symlink():
            raise UsageError(
                f"--into {printable(str(into))}: {shown} is a symbolic link to "
                f"{printable(str(path.readlink()))}, which does not exist; not creating a database through it.",
                hint="Name the database file itself, or create the file the link points to.",
            ) from None
        return False
    except OSError:
        return False  # not reachable now (permissions): the load names the problem
    if not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise UsageError(f"--into {printable(str(into))}: {shown} is a directory; give the database file.")
        raise UsageError(f"--into {printable(str(into))}: {shown} is not a regular file; give the database file.")
    if into.engine == DUCKDB:
        from exportctl.warehouse.duckdb_engine import check_file
    else:
        from exportctl.warehouse.sqlite_engine import check_file
    check_file(path)  # the magic bytes, read only
    return path.stat().st_size > 0


def read_table(into: Into) -> tuple[Registration | None, bool] | None:
    """What the database says of the table, read only: its registration and whether it exists; None when
    the database cannot be opened read-only now."""
    try:
        conn = _connect(into)
    except Exception:  # locked by a writer, the extra missing, not readable: the load will say
        return None
    try:
        if into.engine == DUCKDB:
            from exportctl.warehouse.duckdb_engine import table_exists
        else:
            from exportctl.warehouse.sqlite_engine import table_exists
        registration = read_registration(conn, into.table) if table_exists(conn, TABLES) else None
        return registration, table_exists(conn, into.table)
    except Exception:  # a database damaged or locked mid-read: the load will say
        return None
    finally:
        conn.close()


def _connect(into: Into) -> Any:
    if into.engine == DUCKDB:
        import duckdb

        return duckdb.connect(str(into.path), read_only=True)
    import sqlite3

    # A write-ahead log or a rollback journal beside it: a writer is at work or was killed, and even a
    # read-only connection would create or change files (`-wal`, `-shm`, a journal rolled back). Not judged.
    if any(Path(f"{into.path}{suffix}").exists() for suffix in ("-wal", "-journal")):
        raise OSError("the database is being written")
    # immutable: no lock, no `-shm`, no file created or changed, whatever the journal mode.
    return sqlite3.connect(f"{into.path.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
