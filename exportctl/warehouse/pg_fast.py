"""The fast way into PostgreSQL's staging table, when DuckDB is installed (the `warehouse` extra).

DuckDB reads and types the CSV by formats/duckdb_sql.py (the rules of every typed path: the same cells
typed, the same `_unparsed`, the inferred columns' kinds fixed in the same one pass) and writes the typed
rows as a CSV in the run's private directory, in file order; `COPY ... FROM STDIN (FORMAT csv)` streams
that file into the staging table as it is, so no Python touches a row. A table this load creates gets the
rows straight from COPY (no staging, no merge); a key repeated or missing in the file breaks its primary
key, and the load goes the staging way instead. `FORCE_NULL` reads an empty cell as
NULL, as every typed path does.

What PostgreSQL alone refuses (a NUL in a text, `\\u0000` in a JSON value) makes that COPY fail: it runs
under a savepoint, which is rolled back, and the load falls back to the Python reader of
warehouse/postgres_engine.py, which sends such a cell to `_unparsed`. Without DuckDB the Python reader is
the only way.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from exportctl.formats.identifiers import quote_postgres as quote
from exportctl.formats.types import UNPARSED, Column, Kind
from exportctl.warehouse.base import LoadRequest
from exportctl.warehouse.layout import Layout, with_kinds

CHUNK = 1 << 20  # bytes per write to COPY


class Fallback(Exception):
    """DuckDB could not type the file as the other paths would: the Python reader loads it."""


def available() -> bool:
    return importlib.util.find_spec("duckdb") is not None


@contextlib.contextmanager
def typed_csv(request: LoadRequest, layout: Layout, columns: list[Column]) -> Iterator[tuple[Path, Layout, int]]:
    """(the typed rows as a CSV without header, `layout` with the inferred kinds fixed, the CSV's records),
    alive for the block. Fallback when DuckDB cannot read the file; KeyboardInterrupt for Ctrl-C/SIGTERM."""
    import duckdb

    from exportctl.formats import duckdb_sql
    from exportctl.formats.csv_layout import readable
    from exportctl.formats.csv_source import check

    with readable(request.source) as shape, duckdb_sql.private_source(shape.path) as source:
        config: dict[str, str | bool | int | float | list[str]] = {
            "temp_directory": str(source.parent),
            "preserve_insertion_order": True,
        }
        conn = duckdb.connect(config=config)
        out = source.parent / "typed.csv"
        try:
            conn.execute("SET TimeZone = 'UTC'")
            conn.execute("SET enable_progress_bar = false")
            named = [
                Column(t.sql, c.header, c.kind, c.field) for c, (_, t) in zip(columns, layout.columns, strict=True)
            ]
            new = {column.name for column in layout.new}
            # The kinds the table gives (columns it has keep theirs); the one pass infers the new ones.
            known = [
                column.with_kind(table.kind) if table.name not in new or column.kind else column
                for column, (_, table) in zip(named, layout.columns, strict=True)
            ]
            pending = [i for i, column in enumerate(known) if column.kind is None]
            try:
                fixed = _typed_copy(conn, known, source, out, long=False)
            except duckdb.Error as exc:
                if not duckdb_sql.too_long(exc):
                    raise
                # A record over DuckDB's default line size: read again, with room for it (one thread).
                fixed = _typed_copy(conn, known, source, out, long=True)
            layout = with_kinds(layout, {i: fixed[i].kind or Kind.STRING for i in pending})
        except (duckdb.Error, RuntimeError) as exc:
            if duckdb_sql.is_interrupt(exc):
                raise KeyboardInterrupt from None
            if not isinstance(exc, duckdb.Error):
                raise
            check(request.source)  # a CSV that is not well-formed: the message of every typed path
            raise Fallback(str(exc)) from None
        finally:
            conn.close()
        yield out, layout, shape.records


def _typed_copy(conn: Any, known: list[Column], source: Path, out: Path, *, long: bool) -> list[Column]:
    """Write the typed rows of the CSV (read by `source`) to `out`; the columns with their kinds fixed."""
    from exportctl.formats import duckdb_sql

    reader = duckdb_sql.read_csv(source, len(known), long_records=long)
    fixed = duckdb_sql.prepare(conn, known, reader)
    select = duckdb_sql.typed_select(fixed, reader)
    conn.execute(f"COPY ({select}) TO {duckdb_sql.literal(str(out))} (FORMAT csv, HEADER false)")
    return fixed


def copy_file(conn: Any, target: str, layout: Layout, path: Path, *, direct: bool = False) -> bool:
    """COPY the typed CSV into `target` (the staging table, or with `direct` the new table itself) under a
    savepoint; False (rolled back to it) when PostgreSQL refuses a value (a NUL, `\\u0000` in JSON) or, with
    `direct`, a key repeated or missing: the caller loads the rows another way."""
    import psycopg

    written = [*(quote(c.sql) for _, c in layout.columns), quote(UNPARSED)]
    names = ", ".join(written)
    sql = f"COPY {target} ({names}) FROM STDIN (FORMAT csv, HEADER false, FORCE_NULL ({names}))"
    refused: tuple[type[Exception], ...] = (psycopg.errors.DataError, psycopg.errors.CharacterNotInRepertoire)
    if direct:
        refused = (*refused, psycopg.errors.IntegrityError)
    try:
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(sql) as copy, path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                copy.write(chunk)
    except refused:
        return False
    return True
