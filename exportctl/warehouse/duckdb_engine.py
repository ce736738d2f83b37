"""The DuckDB engine (the `warehouse` extra): DuckDB reads the CSV, types it in SQL, and upserts.

Types: BIGINT, DOUBLE, BOOLEAN, TIMESTAMPTZ (milliseconds, UTC), DATE, JSON (the JSON fields and
`_unparsed`), VARCHAR. No Python row loop: the CSV goes into a temporary VARCHAR table through DuckDB's
own `read_csv` (in file order), inferred kinds are found by one aggregate query over it, the typed rows
(`duckdb_sql.typed`, the rules of formats/types.py) into a staging table, then into the table with
`INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE` the values differ (a plain INSERT into a table this
load created). All of it in one transaction: an error, Ctrl-C or SIGTERM rolls it back, and a process
killed outright leaves DuckDB's write-ahead log without a commit, which the next opening ignores.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from exportctl.errors import LockedError, OutputError, UsageError
from exportctl.formats.types import INFERRED_KINDS, UNPARSED, Kind
from exportctl.masking import printable
from exportctl.warehouse.base import LoadRequest, LoadResult, check_database_parent, first_problem, typed_columns
from exportctl.warehouse.duckdb_sql import literal, sql_type, typed
from exportctl.warehouse.layout import (
    Layout,
    ensure_registry,
    plan_layout,
    quote,
    read_registration,
    register,
    with_kinds,
)

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
    import duckdb  # the warehouse extra; checked offline before the export was submitted

    check_file(request.database)
    where = printable(str(request.database))
    try:
        conn = duckdb.connect(str(request.database))
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
            result = _load(conn, request)
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                if "interrupt" in str(exc).lower():
                    raise KeyboardInterrupt from None
                raise OutputError(
                    f"Loading into {where} failed: {printable(str(exc))}; the table is as it was."
                ) from None
            raise
    finally:
        conn.close()
    return result


def _one(conn: Any, sql: str, parameters: list[Any] | None = None) -> Any:
    row = conn.execute(sql, parameters or []).fetchone()
    return None if row is None else row[0]


def _load(conn: Any, request: LoadRequest) -> LoadResult:
    ensure_registry(conn)
    registration = read_registration(conn, request.table)
    exists = _one(
        conn,
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND lower(table_name) = lower(?)",
        [request.table],
    ) or _one(conn, "SELECT count(*) FROM duckdb_views() WHERE lower(view_name) = lower(?)", [request.table])
    columns = typed_columns(request)
    layout = plan_layout(request.obj, columns, request.table, registration, bool(exists))
    source = _source(request, len(columns))
    new_names = {column.name for column in layout.new}
    pending = [i for i, column in layout.columns if column.name in new_names and columns[i].kind is None]
    layout, rows, distinct = _scan(conn, request, layout, source, pending)
    _create_or_extend(conn, layout)
    register(conn, layout, request.obj)
    written = [*(quote(c.sql) for _, c in layout.columns), UNPARSED]
    table = quote(layout.table)
    if layout.create and distinct == rows:
        # A new table and one row per key: nothing to merge, the typed rows go straight in, in parallel
        # (a table has no order; keeping the file's costs DuckDB a third more time).
        conn.execute("SET preserve_insertion_order = false")
        conn.execute(f"INSERT INTO {table} ({', '.join(written)}) {_typed_select(layout, source)}")
        conn.execute("RESET preserve_insertion_order")
        inserted, updated = rows, 0
    else:
        inserted, updated = _merge(conn, layout, source, written, rows != distinct)
    return LoadResult(
        engine=ENGINE,
        database=str(request.database),
        table=layout.table,
        rows=rows,
        inserted=inserted,
        updated=updated,
        unchanged=rows - inserted - updated,
        columns_added=[column.sql for column in layout.new],
        created=layout.create,
    )


def _source(request: LoadRequest, width: int) -> str:
    """DuckDB's reader of the CSV's records, as VARCHAR columns c0, c1, ... (the header row skipped)."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    return (
        f"read_csv({literal(str(request.source))}, header = true, columns = {columns}, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', null_padding = true, encoding = 'utf-8')"
    )


def _cell(i: int) -> str:
    return f"NULLIF(c{i}, '')"


def _scan(conn: Any, request: LoadRequest, layout: Layout, source: str, pending: list[int]) -> tuple[Layout, int, int]:
    """One pass over the CSV: the kinds of the pending columns (types.infer's rule: the first of
    INFERRED_KINDS every non-empty value fits), the records, the distinct keys, rows without a key.
    With --unparsed fail, a second pass looks for values that do not fit. Raises LoadError naming the row."""
    keys = [typed(column.kind, _cell(i)) for i, column in layout.columns if column in layout.key]
    parts = [
        "count(*)",
        f"count(DISTINCT ({', '.join(keys)}))",
        f"count(*) FILTER (WHERE {' OR '.join(f'({k}) IS NULL' for k in keys)})",
    ]
    for i in pending:
        parts.append(f"count({_cell(i)})")
        parts += [
            f"bool_and(({typed(kind, _cell(i))}) IS NOT NULL) FILTER (WHERE {_cell(i)} IS NOT NULL)"
            for kind in INFERRED_KINDS
        ]
    row = conn.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchone()
    rows, distinct, keyless = int(row[0]), int(row[1]), int(row[2])
    kinds: dict[int, Kind] = {}
    step = 1 + len(INFERRED_KINDS)
    for n, i in enumerate(pending):
        seen, *fits = row[3 + n * step : 3 + (n + 1) * step]
        found = next((kind for kind, fit in zip(INFERRED_KINDS, fits, strict=True) if fit), None)
        kinds[i] = found if seen and found is not None else Kind.STRING
    layout = with_kinds(layout, kinds) if kinds else layout
    if keyless:
        raise first_problem(request, layout, keys_only=True)
    if request.unparsed == "fail":
        misfit = " OR ".join(_misfit(i, c.kind) for i, c in layout.columns if c.kind is not Kind.STRING)
        if misfit and _one(conn, f"SELECT count(*) FROM {source} WHERE {misfit}"):
            raise first_problem(request, layout, keys_only=False)
    return layout, rows, distinct


def _misfit(i: int, kind: Kind) -> str:
    return f"({_cell(i)} IS NOT NULL AND ({typed(kind, _cell(i))}) IS NULL)"


def _create_or_extend(conn: Any, layout: Layout) -> None:
    table = quote(layout.table)
    if layout.create:
        definitions = [f"{quote(c.sql)} {sql_type(c.kind)}" for c in layout.new]
        key = ", ".join(quote(c.sql) for c in layout.key)
        conn.execute(f"CREATE TABLE {table} ({', '.join(definitions)}, PRIMARY KEY ({key}))")
        return
    for column in layout.new:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {quote(column.sql)} {sql_type(column.kind)}")


def _typed_select(layout: Layout, source: str) -> str:
    """The typed rows of the CSV, in file order: one column per table column, then _unparsed (JSON)."""
    raw = ", ".join(f"{_cell(i)} AS r{i}" for i, _ in layout.columns)
    values = ", ".join(f"{typed(c.kind, f'r{i}')} AS v{i}" for i, c in layout.columns)
    misfits = [(i, c) for i, c in layout.columns if c.kind is not Kind.STRING]
    entries = ", ".join(f"{{'k': {literal(c.name)}, 'v': CASE WHEN v{i} IS NULL THEN r{i} END}}" for i, c in misfits)
    any_misfit = " OR ".join(f"(r{i} IS NOT NULL AND v{i} IS NULL)" for i, _ in misfits)
    kept = f"list_filter([{entries}], lambda x: x.v IS NOT NULL)"
    unparsed = f"CASE WHEN {any_misfit} THEN to_json(map_from_entries({kept})) END" if misfits else "NULL"
    named = ", ".join(f"v{i} AS {quote(c.sql)}" for i, c in layout.columns)
    return (
        f"SELECT {named}, CAST({unparsed} AS JSON) AS {UNPARSED} "
        f"FROM (SELECT r.*, {values} FROM (SELECT {raw} FROM {source}) r)"
    )


def _merge(conn: Any, layout: Layout, source: str, written: list[str], repeated: bool) -> tuple[int, int]:
    """Stage the typed rows, keep the last of each key, upsert them; (inserted, updated)."""
    table = quote(layout.table)
    keys = [quote(c.sql) for c in layout.key]
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {_typed_select(layout, source)}")
    if repeated:
        conn.execute(
            f"DELETE FROM {STAGE} WHERE rowid NOT IN (SELECT max(rowid) FROM {STAGE} GROUP BY {', '.join(keys)})"
        )
    select = f"SELECT {', '.join(written)} FROM {STAGE}"
    if layout.create:
        inserted = _one(conn, f"SELECT count(*) FROM {STAGE}")
        conn.execute(f"INSERT INTO {table} ({', '.join(written)}) {select}")
        conn.execute(f"DROP TABLE {STAGE}")
        return int(inserted), 0
    on_key = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    inserted = _one(conn, f"SELECT count(*) FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on_key})")
    values = [name for name in written if name not in keys]
    changed = " OR ".join(f"{table}.{v} IS DISTINCT FROM excluded.{v}" for v in values)
    assignments = ", ".join(f"{v} = excluded.{v}" for v in values)
    affected = _one(
        conn,
        f"INSERT INTO {table} ({', '.join(written)}) {select} ON CONFLICT ({', '.join(keys)}) "
        f"DO UPDATE SET {assignments} WHERE {changed}",
    )
    conn.execute(f"DROP TABLE {STAGE}")
    return int(inserted), int(affected or 0) - int(inserted)
