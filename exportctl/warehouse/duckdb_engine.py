"""The DuckDB engine (the `warehouse` extra): DuckDB reads the CSV, types it in SQL, and upserts.

Types: BIGINT, DOUBLE, BOOLEAN, TIMESTAMPTZ (milliseconds, UTC), DATE, JSON (the JSON fields and
`_unparsed`), VARCHAR. No Python row loop: DuckDB's own `read_csv` reads the cells as text and
formats/duckdb_sql.py's typed SELECT (the rules of formats/types.py, in SQL) types them.

- A new table: the typed rows go straight in; the metadata columns' kinds are inferred afterwards from
  the table itself and the columns retyped in place. A key repeated or missing in the file breaks the
  primary key: the load starts again the way a merge goes.
- An existing table (or that restart): the typed rows go to a temporary staging table in file order, a
  row without its key is refused, the last row of a repeated key kept, then `INSERT ... ON CONFLICT (key)
  DO UPDATE ... WHERE` a value differs.

All of it in one transaction: an error, Ctrl-C or SIGTERM rolls it back, and a process killed outright
leaves DuckDB's write-ahead log without a commit, which the next opening ignores.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from exportctl.errors import LockedError, OutputError, UsageError
from exportctl.formats import duckdb_sql
from exportctl.formats.csv_layout import missing_rows, readable
from exportctl.formats.csv_source import check
from exportctl.formats.duckdb_sql import prepare, read_csv, typed_select, typed_value
from exportctl.formats.types import UNPARSED, Column, Kind
from exportctl.masking import printable
from exportctl.warehouse.base import LoadRequest, LoadResult, check_database_parent, first_problem, typed_columns
from exportctl.warehouse.layout import (
    Layout,
    TableColumn,
    ensure_registry,
    key_statement,
    plan_layout,
    quote,
    read_registration,
    register,
    table_statements,
    with_kinds,
)

# The table's column types; JSON fields and _unparsed as DuckDB's JSON (text that is known to be JSON).
SQL_TYPES = {**duckdb_sql.SQL_TYPES, Kind.JSON: "JSON"}

ENGINE = "duckdb"
MAGIC_OFFSET, MAGIC = 8, b"DUCK"
STAGE = "_exportctl_stage"


def check_file(database: Path) -> None:
    """Refuse a file that is not a DuckDB database (an empty or missing file becomes one)."""
    check_database_parent(database)
    try:
        with database.open("rb") as handle:
            head = handle.read(MAGIC_OFFSET + len(MAGIC))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"Cannot read the database {printable(str(database))}: {exc.strerror or exc}.") from None
    if head and head[MAGIC_OFFSET:] != MAGIC:
        raise UsageError(
            f"{printable(str(database))} is not a DuckDB database; not loading into it.",
            hint="Name a new file or a DuckDB database: --into duckdb:PATH",
        )


def load(request: LoadRequest) -> LoadResult:
    """Load the CSV into the table (the warehouse extra: checked offline before the export was submitted)."""
    check_file(request.database)
    check_path(request.database)
    # The file itself, or a copy DuckDB reads as Python's csv does (formats/csv_layout.py), by a private path.
    with readable(request.source) as layout, duckdb_sql.private_source(layout.path) as source:
        return _load_from(request, source, str(request.database), layout.records)


def check_path(database: Path) -> None:
    """Refuse a database path with `?`: DuckDB reads it as the start of options and puts its write-ahead log
    at another path (`DIR.wal?x/...`), so every commit fails."""
    if "?" in str(database):
        raise UsageError(
            f"DuckDB cannot keep a database at a path that holds '?': {printable(str(database))}.",
            hint="Name a database path without '?': --into duckdb:DIR/NAME.duckdb",
        )


def _load_from(request: LoadRequest, source: Path, database: str, records: int) -> LoadResult:
    """The load of `request`, whose CSV DuckDB reads by `source` (duckdb_sql.private_source) and whose
    `records` DuckDB must return every one of."""
    import duckdb

    where = printable(str(request.database))
    try:
        conn = duckdb.connect(database)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise LockedError(
                f"The database {where} is open in another process (DuckDB allows one writer); nothing was loaded.",
                hint="Close the other process (a DuckDB shell, a notebook) and run again.",
            ) from None
        raise OutputError(f"Cannot open the database {where}: {printable(str(exc))}") from None
    try:
        # No progress bar: DuckDB would draw it on standard output, which carries data (--json, -o -).
        conn.execute("SET enable_progress_bar = false")
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("BEGIN TRANSACTION")
        try:
            try:
                result = _attempt(conn, request, source, long=False)
            except duckdb.Error as exc:
                if not duckdb_sql.too_long(exc):
                    raise
                # A record over DuckDB's default line size: start again, with room for it (one thread).
                conn.execute("ROLLBACK")
                conn.execute("RESET preserve_insertion_order")
                conn.execute("BEGIN TRANSACTION")
                result = _attempt(conn, request, source, long=True)
            if result.rows != records:
                raise missing_rows(request.source, records, result.rows)
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error, RuntimeError):
                conn.execute("ROLLBACK")
            if duckdb_sql.is_interrupt(exc) or (isinstance(exc, duckdb.Error) and "interrupt" in str(exc).lower()):
                raise KeyboardInterrupt from None  # Ctrl-C or SIGTERM: rolled back; the CLI exits 130/143
            if isinstance(exc, duckdb.Error):
                check(request.source)  # a CSV that is not well-formed: the message of every typed path
                raise OutputError(
                    f"Loading into {where} failed: {printable(str(exc))}; the table is as it was."
                ) from None
            raise
    finally:
        conn.close()
    return result


def _attempt(conn: Any, request: LoadRequest, source: Path, *, long: bool) -> LoadResult:
    """The load inside the open transaction: straight into a new table, else (or when the file repeats or
    misses a key) staged and merged."""
    try:
        return _load(conn, request, source, direct=True, long=long)
    except _Merge:
        # A key repeated or missing in the file: start again, staging the rows to find out which.
        conn.execute("ROLLBACK")
        conn.execute("RESET preserve_insertion_order")
        conn.execute("BEGIN TRANSACTION")
        return _load(conn, request, source, direct=False, long=long)


def sql_type(kind: Kind) -> str:
    return SQL_TYPES[kind]


def table_exists(conn: Any, table: str) -> bool:
    """Whether the database has a table or view of that name (without regard to case, as DuckDB compares)."""
    return bool(
        _one(
            conn,
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND lower(table_name) = lower(?)",
            [table],
        )
        or _one(conn, "SELECT count(*) FROM duckdb_views() WHERE lower(view_name) = lower(?)", [table])
    )


class _Merge(Exception):
    """The direct insert into a new table met a repeated or missing key."""


def _one(conn: Any, sql: str, parameters: list[Any] | None = None) -> Any:
    row = conn.execute(sql, parameters or []).fetchone()
    return None if row is None else row[0]


def _load(conn: Any, request: LoadRequest, source_path: Path, *, direct: bool, long: bool) -> LoadResult:
    import duckdb

    ensure_registry(conn)
    registration = read_registration(conn, request.table)
    columns = typed_columns(request)
    layout = plan_layout(request.obj, columns, request.table, registration, table_exists(conn, request.table))
    # The typed view names its columns as the table does (and keys `_unparsed` by them).
    columns = [Column(t.sql, c.header, c.kind, c.field) for c, (_, t) in zip(columns, layout.columns, strict=True)]
    source = read_csv(source_path, len(columns), long_records=long)
    # The kinds the table gives (columns it has keep theirs); the one pass infers the new ones.
    known = [
        column.with_kind(table.kind) if table.name not in _new(layout) or column.kind else column
        for column, (_, table) in zip(columns, layout.columns, strict=True)
    ]
    pending = [i for i, column in enumerate(known) if column.kind is None]
    # A new table learns its inferred kinds from itself, after the insert, rather than from a pass over
    # the CSV before it (the pass costs as much as a fifth of the load): the columns go in as text,
    # then each is retyped in place (every value fits an inferred kind, so nothing goes to _unparsed).
    later = layout.create and direct and bool(pending)
    if later:
        fixed = prepare(conn, [c.with_kind(Kind.STRING) if c.kind is None else c for c in known], source)
        layout = with_kinds(layout, dict.fromkeys(pending, Kind.STRING))
    else:
        fixed = prepare(conn, known, source)
        layout = with_kinds(layout, {i: column.kind for i, column in enumerate(fixed) if i in pending and column.kind})
    fixed = [column.with_kind(table.kind) for column, (_, table) in zip(fixed, layout.columns, strict=True)]
    # A new table gets its primary key once the rows are in: DuckDB builds the index from them at once,
    # which costs a small part of keeping it up to date row by row (800 MB: 18 s -> 8 s).
    key_later = layout.create and direct and adds_key_later()
    for statement in table_statements(layout, SQL_TYPES.__getitem__, key=not key_later):
        conn.execute(statement)
    written = [*(quote(c.sql) for _, c in layout.columns), quote(UNPARSED)]
    select = typed_select(fixed, source)
    if request.unparsed == "fail" and _one(
        conn, f"SELECT count(*) FROM ({select}) WHERE {quote(UNPARSED)} IS NOT NULL"
    ):
        raise first_problem(request, layout, keys_only=False)
    if layout.create and direct:
        # A new table: the typed rows go straight in, in parallel (a table has no order; keeping the file's
        # costs DuckDB a third more time). A repeated or missing key breaks the primary key: staged instead.
        conn.execute("SET preserve_insertion_order = false")
        try:
            rows = int(_one(conn, f"INSERT INTO {quote(layout.table)} ({', '.join(written)}) {select}"))
        except duckdb.ConstraintException:
            raise _Merge from None  # the caller rolls back, then resets the setting
        conn.execute("RESET preserve_insertion_order")
        if key_later and _keys_broken(conn, layout):
            raise _Merge
        inserted, updated = rows, 0
        unparsed_rows = int(
            _one(conn, f"SELECT count(*) FROM {quote(layout.table)} WHERE {quote(UNPARSED)} IS NOT NULL")
        )
        if later:
            layout = _retype(conn, layout, known, pending)
        if key_later:
            conn.execute(key_statement(layout))
    else:
        rows, inserted, updated, unparsed_rows = _merge(conn, request, layout, select)
    register(conn, layout, request.obj)
    return LoadResult.of(ENGINE, request, layout, rows, inserted, updated, unparsed_rows)


def _retype(conn: Any, layout: Layout, columns: list[Column], pending: list[int]) -> Layout:
    """The pending columns' kinds (types.infer's rule, by duckdb_sql.prepare over the new table), each
    column altered to its kind in place."""
    table = quote(layout.table)
    source = "(SELECT " + ", ".join(f"{quote(c.sql)} AS c{i}" for i, c in layout.columns) + f" FROM {table})"
    probe = [column if i in pending else column.with_kind(Kind.STRING) for i, column in enumerate(columns)]
    fixed = prepare(conn, probe, source)
    kinds = {i: fixed[i].kind or Kind.STRING for i in pending}
    for i, kind in kinds.items():
        if kind is not Kind.STRING:
            name = quote(layout.columns[i][1].sql)
            conn.execute(
                f"ALTER TABLE {table} ALTER COLUMN {name} SET DATA TYPE {SQL_TYPES[kind]} "
                f"USING ({typed_value(kind, name)})"
            )
    return with_kinds(layout, kinds)


def adds_key_later() -> bool:
    """Whether this DuckDB adds a primary key to a table that has rows (ALTER TABLE ... ADD PRIMARY KEY,
    from DuckDB 1.2); with an older one the key is declared first, as before."""
    import duckdb

    try:
        return tuple(int(part) for part in duckdb.__version__.split(".")[:2]) >= (1, 2)
    except ValueError:
        return False


def _keys_broken(conn: Any, layout: Layout) -> bool:
    """Whether the new table's rows repeat a key or miss one, which the primary key added afterwards would
    refuse (a repeated one only when the transaction commits): the load is staged instead."""
    keys = [quote(c.sql) for c in layout.key]
    missing = " OR ".join(f"{k} IS NULL" for k in keys)
    distinct = keys[0] if len(keys) == 1 else f"({', '.join(keys)})"
    row = conn.execute(
        f"SELECT count(*) FILTER (WHERE {missing}), count(*) - count(DISTINCT {distinct}) FROM {quote(layout.table)}"
    ).fetchone()
    return bool(row and (row[0] or row[1]))


def _new(layout: Layout) -> set[str]:
    return {column.name for column in layout.new}


def _merge(conn: Any, request: LoadRequest, layout: Layout, select: str) -> tuple[int, int, int, int]:
    """Stage the typed rows (in file order), keep the last of each key, upsert; (rows, inserted, updated,
    rows with a value in _unparsed). Every name is quoted once from its column object: no SQL is made by
    splitting or joining identifier text."""
    table = quote(layout.table)
    from_file = [*(c for _, c in layout.columns), TableColumn(UNPARSED, UNPARSED, Kind.STRING)]
    # The table's metadata columns this export has no cell for are NULL in the stage (see layout.absent).
    staged_columns = [*from_file, *layout.absent]
    keys = [quote(c.sql) for c in layout.key]
    # Declared, not CREATE AS: the typed view's names (`Tier`, `tier`) may be one identifier to DuckDB.
    definitions = ", ".join(f"{quote(c.sql)} {SQL_TYPES[c.kind]}" for c in staged_columns)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({definitions})")
    conn.execute(f"INSERT INTO {STAGE} ({', '.join(quote(c.sql) for c in from_file)}) {select}")
    missing = " OR ".join(f"{k} IS NULL" for k in keys)
    if _one(conn, f"SELECT count(*) FROM {STAGE} WHERE {missing}"):
        raise first_problem(request, layout, keys_only=True)
    rows = int(_one(conn, f"SELECT count(*) FROM {STAGE}"))
    unparsed_rows = int(_one(conn, f"SELECT count(*) FROM {STAGE} WHERE {quote(UNPARSED)} IS NOT NULL"))
    conn.execute(f"DELETE FROM {STAGE} WHERE rowid NOT IN (SELECT max(rowid) FROM {STAGE} GROUP BY {', '.join(keys)})")
    written = [quote(c.sql) for c in staged_columns]
    staged = f"SELECT {', '.join(written)} FROM {STAGE}"
    if layout.create:
        inserted = int(_one(conn, f"SELECT count(*) FROM {STAGE}"))
        conn.execute(f"INSERT INTO {table} ({', '.join(written)}) {staged}")
        conn.execute(f"DROP TABLE {STAGE}")
        return rows, inserted, 0, unparsed_rows
    on_key = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    inserted = int(
        _one(conn, f"SELECT count(*) FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on_key})")
    )
    key_columns = {c.sql for c in layout.key}
    values = [quote(c.sql) for c in staged_columns if c.sql not in key_columns]
    changed = " OR ".join(f"{table}.{v} IS DISTINCT FROM excluded.{v}" for v in values) or "false"
    assignments = ", ".join(f"{v} = excluded.{v}" for v in values)
    update = f"DO UPDATE SET {assignments} WHERE {changed}" if values else "DO NOTHING"
    affected = _one(
        conn, f"INSERT INTO {table} ({', '.join(written)}) {staged} ON CONFLICT ({', '.join(keys)}) {update}"
    )
    conn.execute(f"DROP TABLE {STAGE}")
    return rows, inserted, int(affected or 0) - inserted, unparsed_rows
