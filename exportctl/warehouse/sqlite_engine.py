"""The SQLite engine (standard library): typed table, one transaction; rows written once into a new table,
staged and upserted into a table that has rows.

Types: INTEGER for integers and booleans (1/0), REAL for doubles, TEXT for the rest: timestamps as ISO
8601 UTC with milliseconds and `Z` (`2026-03-01T12:00:00.000Z`, which sorts and compares as time does),
dates as `YYYY-MM-DD`, JSON fields and `_unparsed` as JSON text. Cells are read by formats/cells.py's
`stored_value` (types.py's rules, with no Python value built for a cell already in its canonical form)
and inserted with `executemany` in batches, in one pass over the CSV (new metadata columns' kinds are
guessed from the first records and checked on every record: formats/speculate.py, a savepoint).

The whole load runs in one `BEGIN IMMEDIATE` transaction: a failure, Ctrl-C or SIGTERM (which the CLI
turns into KeyboardInterrupt) rolls it back, and a process killed outright leaves SQLite's journal, which
the next opening rolls back. Another writer holding the database makes the load wait up to
`LOCK_WAIT` seconds, then fail with LockedError (exit 8).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from exportctl.errors import LockedError, OutputError, UsageError
from exportctl.formats.cells import stored_value
from exportctl.formats.speculate import FIRST_LOOK, Guesses, KindChanged, Watch
from exportctl.formats.types import UNPARSED, Column, Inference, Kind
from exportctl.masking import printable
from exportctl.warehouse.base import (
    LoadRequest,
    LoadResult,
    check_database_parent,
    no_key,
    open_csv,
    typed_columns,
    unfit,
)
from exportctl.warehouse.layout import (
    Layout,
    TableColumn,
    ensure_registry,
    plan_layout,
    quote,
    read_registration,
    register,
    table_statements,
    with_kinds,
)

ENGINE = "sqlite"
MAGIC = b"SQLite format 3\x00"
LOCK_WAIT = 10.0  # seconds to wait for another writer
BATCH = 5000
PROGRESS_STEPS = 100_000  # SQLite virtual machine steps between two chances for a signal
STAGE = "_exportctl_stage"
SQL_TYPES = {Kind.INTEGER: "INTEGER", Kind.BOOLEAN: "INTEGER", Kind.DOUBLE: "REAL"}  # else TEXT


def sql_type(kind: Kind) -> str:
    return SQL_TYPES.get(kind, "TEXT")


def check_file(database: Path) -> None:
    """Refuse a file that is not an SQLite database (an empty or missing file becomes one)."""
    check_database_parent(database)
    try:
        with database.open("rb") as handle:
            head = handle.read(len(MAGIC))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"Cannot read the database {printable(str(database))}: {exc.strerror or exc}.") from None
    if head and head != MAGIC:
        raise UsageError(
            f"{printable(str(database))} is not an SQLite database; not loading into it.",
            hint="Name a new file or an SQLite database: --into sqlite:PATH",
        )


def load(request: LoadRequest) -> LoadResult:
    check_file(request.database)
    try:
        conn = sqlite3.connect(request.database, timeout=LOCK_WAIT, isolation_level=None)
    except sqlite3.Error as exc:
        raise OutputError(f"Cannot open the database {printable(str(request.database))}: {exc}.") from None
    # A Python callback every so many SQLite steps: a Ctrl-C or SIGTERM that arrives during a long
    # statement (the upsert of a large table) raises in it, which aborts the statement ("interrupted").
    conn.set_progress_handler(_let_signals_in, PROGRESS_STEPS)
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _database_error(request, exc) from None
        try:
            result = _load(conn, request)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc):
                raise KeyboardInterrupt from None
            if isinstance(exc, sqlite3.Error):
                raise _database_error(request, exc) from None
            raise
    finally:
        conn.close()
    return result


def _let_signals_in() -> int:
    return 0  # running Python code is what lets a pending signal's handler raise


def _database_error(request: LoadRequest, exc: sqlite3.Error) -> Exception:
    where = printable(str(request.database))
    if "locked" in str(exc) or "busy" in str(exc):
        return LockedError(
            f"The database {where} is locked by another process (waited {LOCK_WAIT:g} s); nothing was loaded.",
            hint="Run again once the other writer is done.",
        )
    return OutputError(f"Loading into {where} failed: {printable(str(exc))}; the table is as it was.")


def table_exists(conn: sqlite3.Connection, table: str) -> bool:
    # SQLite's lower() folds ASCII only, as SQLite compares identifiers.
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?)", [table]).fetchone()
    return row is not None


def _load(conn: sqlite3.Connection, request: LoadRequest) -> LoadResult:
    ensure_registry(conn)
    registration = read_registration(conn, request.table)
    columns = typed_columns(request)
    layout = plan_layout(request.obj, columns, request.table, registration, table_exists(conn, request.table))
    new_names = {column.name for column in layout.new}
    pending = [i for i, column in layout.columns if column.name in new_names and columns[i].kind is None]
    # Inferred columns read only canonical texts (types.parse exact), also in a table that has them already.
    exact = {i for i, column in enumerate(columns) if column.kind is None}
    if not pending:
        return _write_all(conn, request, layout, exact, None)
    # One pass: the new inferred columns' kinds guessed from the first records and checked on every record
    # (formats/speculate.py); in the rare case a guess turns out wrong, what this load did is rolled back to
    # the savepoint and done again with the kinds of a full pass.
    first = _inferences(request, pending, FIRST_LOOK)
    guessed = {i: inference.kind for i, inference in first.items()}
    # A column with values in the first look resumes its inference from there (its records are read again).
    watch = Guesses(guessed, frozenset(i for i, inference in first.items() if inference.seen)).watch()
    conn.execute("SAVEPOINT exportctl_guess")
    try:
        result = _write_all(conn, request, with_kinds(layout, guessed), exact, watch)
    except KindChanged:
        conn.execute("ROLLBACK TO exportctl_guess")
    else:
        conn.execute("RELEASE exportctl_guess")
        return result
    conn.execute("RELEASE exportctl_guess")
    kinds = {i: inference.kind for i, inference in _inferences(request, pending).items()}
    return _write_all(conn, request, with_kinds(layout, kinds), exact, None)


def _write_all(
    conn: sqlite3.Connection, request: LoadRequest, layout: Layout, exact: set[int], watch: Watch | None
) -> LoadResult:
    """Create or extend the table, register it, write the rows: once into a new table, staged and merged
    into one that has rows."""
    _create_or_extend(conn, layout)
    register(conn, layout, request.obj)
    if layout.create:
        # A new table: the rows are written once, straight into it (the last row of a repeated key wins,
        # and takes its place in the file's order, as the staged upsert gave).
        insert = f"INSERT OR REPLACE INTO {quote(layout.table)}"
        rows, unparsed_rows = _write(conn, request, layout, exact, insert, watch)
        inserted = conn.execute(f"SELECT count(*) FROM {quote(layout.table)}").fetchone()[0]
        return LoadResult.of(ENGINE, request, layout, rows, int(inserted), 0, unparsed_rows)
    conn.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
    # The table's metadata columns this export has no cell for stay NULL in the stage (see layout.absent).
    definitions = ", ".join(f"{quote(c.sql)} {sql_type(c.kind)}" for c in [*_file_columns(layout), *layout.absent])
    conn.execute(f"CREATE TEMP TABLE {STAGE} (_row INTEGER PRIMARY KEY, {definitions})")
    rows, unparsed_rows = _write(conn, request, layout, exact, f"INSERT INTO temp.{STAGE}", watch)
    inserted, updated = _merge(conn, layout)
    return LoadResult.of(ENGINE, request, layout, rows, inserted, updated, unparsed_rows)


def _inferences(request: LoadRequest, pending: list[int], limit: int | None = None) -> dict[int, Inference]:
    """The inference of each `pending` column over the CSV's records (the first `limit` of them)."""
    inferences = {i: Inference() for i in pending}
    records = open_csv(request.source)
    next(records, None)
    for record in itertools.islice(records, limit):
        for i, inference in inferences.items():
            if i < len(record):
                inference.observe(record[i])
    return inferences


def _create_or_extend(conn: sqlite3.Connection, layout: Layout) -> None:
    for statement in table_statements(layout, sql_type):
        conn.execute(statement)


def _file_columns(layout: Layout) -> list[TableColumn]:
    """The table columns this load writes: the CSV's, then _unparsed."""
    return [*(column for _, column in layout.columns), TableColumn(UNPARSED, UNPARSED, Kind.JSON)]


def _write(
    conn: sqlite3.Connection, request: LoadRequest, layout: Layout, exact: set[int], insert: str, watch: Watch | None
) -> tuple[int, int]:
    """Insert the typed rows (`insert`: the statement's start, up to the table); (records, records with a
    value in _unparsed). A staging table numbers them in file order by its _row, which it assigns itself."""
    targets = _file_columns(layout)
    names = ", ".join(quote(c.sql) for c in targets)
    statement = f"{insert} ({names}) VALUES ({', '.join('?' * len(targets))})"
    counts = [0, 0]
    rows = _typed_records(request, layout, exact, counts, watch)
    while batch := list(itertools.islice(rows, BATCH)):
        conn.executemany(statement, batch)
    return counts[0], counts[1]


def _typed_records(
    request: LoadRequest, layout: Layout, exact: set[int], counts: list[int], watch: Watch | None
) -> Iterator[list[Any]]:
    """Each record's values as stored (formats/cells.py's `stored_value`), then its _unparsed JSON or None;
    `counts` holds the records and the records with an _unparsed value so far."""
    records = open_csv(request.source)
    next(records, None)
    readers = [stored_value(Column(c.name, c.sql, c.kind, None, i in exact)) for i, c in layout.columns]
    width = len(readers)
    assert [i for i, _ in layout.columns] == list(range(width))
    key_positions = [next(p for p, (_, c) in enumerate(layout.columns) if c.name == k.name) for k in layout.key]
    keep = request.unparsed != "fail"
    # Text is stored as it is (an empty cell as NULL): only the other columns' cells are read.
    typed = [(i, read) for i, read in enumerate(readers) if read is not str]
    for number, record in enumerate(records, start=1):
        if watch is not None:
            watch.observe(record)
        try:
            if len(record) != width:
                raise ValueError("another width")
            values: list[Any] = [text or None for text in record]
            for i, read in typed:
                text = values[i]
                if text is not None:
                    values[i] = read(text)
            values.append(None)
        except (ValueError, OverflowError, RecursionError):
            values = _with_unparsed(layout, readers, record, number, keep)
            counts[1] += values[-1] is not None
        for position, key in zip(key_positions, layout.key, strict=True):
            if values[position] is None:
                raise no_key(number, key.sql)
        counts[0] = number
        yield values


def _with_unparsed(
    layout: Layout, readers: list[Callable[[str], Any]], record: list[str], number: int, keep: bool
) -> list[Any]:
    """A record with a value that does not fit (or cells beyond the header's): the values, then _unparsed
    as JSON ({column: text}; `_column<N>` for an extra cell); LoadError for one with --unparsed fail."""
    width = len(readers)
    unparsed: dict[str, str] = {}
    for extra in range(width, len(record)):
        if record[extra]:
            unparsed[f"_column{extra + 1}"] = record[extra]
    values: list[Any] = []
    for (_, column), read, text in zip(
        layout.columns, readers, [*record[:width], *[""] * (width - len(record))], strict=True
    ):
        if not text:
            values.append(None)
            continue
        try:
            values.append(read(text))
        except (ValueError, OverflowError, RecursionError):
            values.append(None)
            unparsed[column.sql] = text
    if unparsed and not keep:
        name = next(iter(unparsed))
        raise unfit(number, name, unparsed[name])
    values.append(json.dumps(unparsed, ensure_ascii=False) if unparsed else None)
    return values


def _merge(conn: sqlite3.Connection, layout: Layout) -> tuple[int, int]:
    """Upsert the staged rows (the last of each key) into the table; (inserted, updated)."""
    table = quote(layout.table)
    stage = f"temp.{STAGE}"
    keys = [quote(c.sql) for c in layout.key]
    # Each name quoted once, from the column objects; lists of quoted names are joined, never split.
    conn.execute(f"DELETE FROM {stage} WHERE _row NOT IN (SELECT max(_row) FROM {stage} GROUP BY {', '.join(keys)})")
    written = [quote(c.sql) for c in [*_file_columns(layout), *layout.absent]]
    values = [name for name in written if name not in keys]
    on_key = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    differs = " OR ".join(f"t.{v} IS NOT s.{v}" for v in values) or "0"
    inserted = conn.execute(
        f"SELECT count(*) FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on_key})"
    ).fetchone()[0]
    updated = conn.execute(f"SELECT count(*) FROM {stage} s JOIN {table} t ON {on_key} WHERE {differs}").fetchone()[0]
    changed = " OR ".join(f"{table}.{v} IS NOT excluded.{v}" for v in values) or "0"
    assignments = ", ".join(f"{v} = excluded.{v}" for v in values)
    update = f"DO UPDATE SET {assignments} WHERE {changed}" if values else "DO NOTHING"
    conn.execute(
        f"INSERT INTO {table} ({', '.join(written)}) SELECT {', '.join(written)} FROM {stage} WHERE true "
        f"ON CONFLICT ({', '.join(keys)}) {update}"
    )
    conn.execute(f"DROP TABLE {stage}")
    return int(inserted), int(updated)
