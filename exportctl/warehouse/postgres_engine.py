"""The PostgreSQL engine (the `postgres` extra: psycopg 3): typed table, COPY into a staging table, one upsert.

Types: TIMESTAMPTZ (milliseconds, UTC), DATE, BIGINT, DOUBLE PRECISION, BOOLEAN, JSONB (the JSON fields and
`_unparsed`), TEXT. DuckDB (when installed) types the CSV by the rules every typed path shares and COPY streams
its typed CSV into a temporary staging table (warehouse/pg_fast.py); without it, or for a value PostgreSQL
cannot hold, the cells are read in Python by formats/types.py's rules (as the SQLite engine reads them) and
streamed with `COPY ... FROM STDIN`; then the last row of each key is upserted
with `INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE` a value `IS DISTINCT FROM` the stored one, so rows
that did not change are not rewritten, and the statement's returned rows count what was inserted and updated.
PostgreSQL's text holds no NUL and its JSONB no `\\u0000`: such a cell goes to `_unparsed` (its NUL
written as U+FFFD there), like any value that does not fit its column.

The table lives in the URL's schema (created when missing), with the bookkeeping tables of warehouse/layout.py
beside it and `_exportctl_watermarks`: an incremental run's watermark (warehouse/watermark.py) is written in
the same transaction as its rows. The schema and the bookkeeping tables are made in a short transaction of
their own (under an advisory lock of the schema); everything else is one transaction under the table's
advisory lock (warehouse/pg_connect.py): an error, Ctrl-C or SIGTERM rolls it back (psycopg cancels the
statement at work), and a process killed outright leaves a connection the server closes, rolling back.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from exportctl.errors import ExportctlError, OutputError
from exportctl.formats.csv_layout import missing_rows
from exportctl.formats.identifiers import quote_postgres as quote
from exportctl.formats.types import UNPARSED, Inference, Kind, parse
from exportctl.request.into import Into
from exportctl.warehouse import pg_connect, pg_fast
from exportctl.warehouse.base import LoadRequest, LoadResult, first_problem, no_key, open_csv, typed_columns, unfit
from exportctl.warehouse.layout import (
    COLUMNS,
    TABLES,
    Layout,
    TableColumn,
    ensure_registry,
    plan_layout,
    read_registration,
    register,
    table_statements,
    with_kinds,
)

ENGINE = "postgres"
STAGE = "_exportctl_stage"
WATERMARKS = "_exportctl_watermarks"
SQL_TYPES = {
    Kind.STRING: "TEXT",
    Kind.INTEGER: "BIGINT",
    Kind.DOUBLE: "DOUBLE PRECISION",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.DATE: "DATE",
    Kind.JSON: "JSONB",
}
BATCH = 10_000  # rows between two chances for Ctrl-C to reach Python while COPY streams


def sql_type(kind: Kind) -> str:
    return SQL_TYPES[kind]


def load(request: LoadRequest, into: Into, watermark: tuple[str, str] | None = None, wait: float = 60.0) -> LoadResult:
    """Load the CSV into `into`'s table in one transaction; `watermark` (state key, ISO instant) is written
    in the same transaction. LockedError (exit 8) when another load holds the table for `wait` seconds."""
    psycopg = pg_connect.require_psycopg()
    conn = pg_connect.connect(into)
    try:
        try:
            _prepare_schema(conn, into)
            pg_connect.use_schema(conn, into.schema)
            pg_connect.table_lock(conn, into, wait)
            result = _load(conn, request, into)
            if watermark is not None:
                _move_watermark(conn, into, *watermark)
            conn.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                conn.rollback()
            if isinstance(exc, psycopg.errors.QueryCanceled):
                raise KeyboardInterrupt from None  # Ctrl-C or SIGTERM cancelled the statement: rolled back
            if isinstance(exc, psycopg.Error):
                raise OutputError(
                    f"Loading into {into} failed: {pg_connect.masked(into, str(exc))}; the table is as it was."
                ) from None
            raise
    finally:
        with contextlib.suppress(Exception):
            conn.close()
    return replace(result, database=into.to_json()["url"])


def _prepare_schema(conn: Any, into: Into) -> None:
    """The schema and the bookkeeping tables, made when missing, in a transaction of their own (two loads
    into new tables of one schema would otherwise race to create them)."""
    wanted = (TABLES, COLUMNS, WATERMARKS)
    if pg_connect.schema_exists(conn, into.schema) and all(
        pg_connect.relation_exists(conn, into.schema, name) for name in wanted
    ):
        conn.rollback()
        return
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"exportctl-schema:{into.schema}"])
    if not pg_connect.schema_exists(conn, into.schema):
        conn.execute(f"CREATE SCHEMA {quote(into.schema)}")
    pg_connect.use_schema(conn, into.schema)
    ensure_registry(pg_connect.Registry(conn))
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {WATERMARKS} (table_name TEXT NOT NULL, state_key TEXT NOT NULL, "
        "watermark TIMESTAMPTZ NOT NULL, loaded_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
        "PRIMARY KEY (table_name, state_key))"
    )
    conn.commit()


def _move_watermark(conn: Any, into: Into, key: str, at: str) -> None:
    conn.execute(
        f"INSERT INTO {WATERMARKS} (table_name, state_key, watermark) VALUES (%s, %s, %s) "
        "ON CONFLICT (table_name, state_key) DO UPDATE SET watermark = excluded.watermark, loaded_at = now()",
        [into.table, key, at],
    )


def read_watermark(into: Into, key: str) -> str | None:
    """The watermark the database keeps for `key` and the table (ISO, ms, `Z`), or None; read only."""
    conn = pg_connect.connect(into)
    try:
        if not pg_connect.relation_exists(conn, into.schema, WATERMARKS):
            return None
        row = conn.execute(
            f"SELECT to_char(watermark AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
            f"FROM {quote(into.schema)}.{WATERMARKS} WHERE table_name = %s AND state_key = %s",
            [into.table, key],
        ).fetchone()
        return None if row is None else str(row[0])
    finally:
        conn.close()


def _load(conn: Any, request: LoadRequest, into: Into) -> LoadResult:
    registry = pg_connect.Registry(conn)
    registration = read_registration(registry, request.table)
    columns = typed_columns(request)
    exists = pg_connect.relation_exists(conn, into.schema, request.table)
    layout = plan_layout(request.obj, columns, request.table, registration, exists)
    exact = {i for i, column in enumerate(columns) if column.kind is None}  # inferred: canonical texts only
    if pg_fast.available():
        try:
            with pg_fast.typed_csv(request, layout, columns) as (path, typed, records):
                _create(conn, registry, typed, request)
                if typed.create and pg_fast.copy_file(conn, quote(typed.table), typed, path, direct=True):
                    rows, unparsed_rows = _check_direct(conn, request, typed, records)
                    return LoadResult.of(ENGINE, request, typed, rows, rows, 0, unparsed_rows)
                if pg_fast.copy_file(conn, STAGE, typed, path):
                    rows, unparsed_rows = _check_staged(conn, request, typed, records)
                else:  # a value PostgreSQL cannot hold: the Python reader sends it to _unparsed
                    rows, unparsed_rows = _stage(conn, request, typed, exact)
                inserted, updated = _merge(conn, typed)
                return LoadResult.of(ENGINE, request, typed, rows, inserted, updated, unparsed_rows)
        except pg_fast.Fallback:
            pass  # DuckDB could not read it as the other paths do: the Python reader judges
    new_names = {column.name for column in layout.new}
    pending = [i for i, column in layout.columns if column.name in new_names and columns[i].kind is None]
    if pending:
        layout = with_kinds(layout, _infer(request, pending))
    _create(conn, registry, layout, request)
    rows, unparsed_rows = _stage(conn, request, layout, exact)
    inserted, updated = _merge(conn, layout)
    return LoadResult.of(ENGINE, request, layout, rows, inserted, updated, unparsed_rows)


def _create(conn: Any, registry: pg_connect.Registry, layout: Layout, request: LoadRequest) -> None:
    """The table created or extended and registered; the temporary staging table (rows numbered in order)."""
    for statement in table_statements(layout, sql_type):
        conn.execute(statement)
    register(registry, layout, request.obj)
    targets = _file_columns(layout)
    definitions = ", ".join(f"{quote(c.sql)} {sql_type(c.kind)}" for c in [*targets, *layout.absent])
    conn.execute(
        f"CREATE TEMP TABLE {STAGE} (_row BIGINT GENERATED BY DEFAULT AS IDENTITY, {definitions}) ON COMMIT DROP"
    )


def _check_direct(conn: Any, request: LoadRequest, layout: Layout, records: int) -> tuple[int, int]:
    """(rows, rows with _unparsed) of a new table COPY filled (its primary key saw every key once)."""
    rows, unparsed_rows = conn.execute(
        f"SELECT count(*), count({quote(UNPARSED)}) FROM {quote(layout.table)}"
    ).fetchone()
    if unparsed_rows and request.unparsed == "fail":
        raise first_problem(request, layout, keys_only=False)
    if rows != records:
        raise missing_rows(request.source, records, rows)
    return int(rows), int(unparsed_rows)


def _check_staged(conn: Any, request: LoadRequest, layout: Layout, records: int) -> tuple[int, int]:
    """(rows, rows with _unparsed) of a stage DuckDB's typed CSV filled; a row without its key, or one
    with a value that does not fit under --unparsed fail, is named from the CSV (base.first_problem)."""
    missing = " OR ".join(f"{quote(c.sql)} IS NULL" for c in layout.key)
    rows, unparsed_rows, keyless = conn.execute(
        f"SELECT count(*), count({quote(UNPARSED)}), count(*) FILTER (WHERE {missing}) FROM {STAGE}"
    ).fetchone()
    if keyless:
        raise first_problem(request, layout, keys_only=True)
    if unparsed_rows and request.unparsed == "fail":
        raise first_problem(request, layout, keys_only=False)
    if rows != records:
        raise missing_rows(request.source, records, rows)
    return int(rows), int(unparsed_rows)


def _infer(request: LoadRequest, pending: list[int]) -> dict[int, Kind]:
    inferences = {i: Inference() for i in pending}
    records = open_csv(request.source)
    next(records, None)
    for record in records:
        for i, inference in inferences.items():
            if i < len(record):
                inference.observe(record[i])
    return {i: inference.kind for i, inference in inferences.items()}


def _file_columns(layout: Layout) -> list[TableColumn]:
    """The table columns this load writes: the CSV's, then _unparsed."""
    return [*(column for _, column in layout.columns), TableColumn(UNPARSED, UNPARSED, Kind.JSON)]


def _stage(conn: Any, request: LoadRequest, layout: Layout, exact: set[int]) -> tuple[int, int]:
    """COPY the rows, typed in Python, into the staging table; (records, records with a value in _unparsed)."""
    targets = _file_columns(layout)
    names = ", ".join(quote(c.sql) for c in targets)
    count = unparsed_rows = 0
    with conn.cursor() as cursor, cursor.copy(f"COPY {STAGE} (_row, {names}) FROM STDIN") as copy:
        rows = _typed_records(request, layout, exact)
        while batch := list(itertools.islice(rows, BATCH)):
            for values in batch:
                copy.write_row(values)
                unparsed_rows += values[-1] is not None
            count += len(batch)
    return count, unparsed_rows


def _typed_records(request: LoadRequest, layout: Layout, exact: set[int]) -> Iterator[Sequence[Any]]:
    """[record number, each cell typed (None: empty or unparsed), _unparsed as JSON text or None]."""
    records = open_csv(request.source)
    next(records, None)
    plan = [(index, column.sql, converter(column.kind, index in exact)) for index, column in layout.columns]
    width = len(plan)
    key_positions = [next(p for p, (_, c) in enumerate(layout.columns) if c.name == k.name) for k in layout.key]
    keep = request.unparsed != "fail"
    for number, record in enumerate(records, start=1):
        values: list[Any] = [number]
        unparsed: dict[str, str] = {}
        if len(record) != width:
            for extra in range(width, len(record)):
                if record[extra]:
                    unparsed[f"_column{extra + 1}"] = record[extra]
            record = [*record[:width], *[""] * (width - len(record))]
        for index, name, convert in plan:
            text = record[index]
            if not text:
                values.append(None)
                continue
            try:
                values.append(convert(text))
            except (ValueError, OverflowError, RecursionError):
                values.append(None)
                unparsed[name] = text
        if unparsed and not keep:
            name = next(iter(unparsed))
            raise unfit(number, name, unparsed[name])
        for position, key in zip(key_positions, layout.key, strict=True):
            if values[position + 1] is None:
                raise no_key(number, key.sql)
        values.append(json.dumps({k: v.replace("\x00", "\ufffd") for k, v in unparsed.items()}) if unparsed else None)
        yield values


def _text(text: str) -> str:
    if "\x00" in text:
        raise ValueError("PostgreSQL's text holds no NUL")
    return text


def _json_text(read: Callable[[str], Any], text: str) -> str:
    read(text)
    if "\\u0000" in text.lower():
        raise ValueError("PostgreSQL's JSONB holds no \\u0000")
    return text


def converter(kind: Kind, exact: bool) -> Callable[[str], Any]:
    """How a cell that fits `kind` is written to COPY (types.parse decides whether it fits, `exact` for an
    inferred column); ValueError for a cell that does not fit."""
    if kind is Kind.STRING:
        return _text
    read = partial(parse, kind, exact=exact)
    if kind is Kind.JSON:
        return partial(_json_text, read)
    return read


def _merge(conn: Any, layout: Layout) -> tuple[int, int]:
    """Upsert the last staged row of each key into the table; (inserted, updated). Every name is quoted
    once from its column object: no SQL is made by splitting or joining identifier text."""
    table = quote(layout.table)
    keys = [quote(c.sql) for c in layout.key]
    written = [quote(c.sql) for c in [*_file_columns(layout), *layout.absent]]
    values = [name for name in written if name not in keys]
    changed = " OR ".join(f"{table}.{v} IS DISTINCT FROM excluded.{v}" for v in values) or "false"
    assignments = ", ".join(f"{v} = excluded.{v}" for v in values)
    update = f"DO UPDATE SET {assignments} WHERE {changed}" if values else "DO NOTHING"
    on = ", ".join(keys)
    last = f"SELECT DISTINCT ON ({on}) {', '.join(written)} FROM {STAGE} ORDER BY {on}, _row DESC"
    # A row the upsert inserted has no xmax; one it updated carries the conflict's lock in it. Rows whose
    # values did not change are not written, so not returned.
    row = conn.execute(
        f"WITH upserted AS (INSERT INTO {table} ({', '.join(written)}) {last} "
        f"ON CONFLICT ({', '.join(keys)}) {update} RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted"
    ).fetchone()
    return int(row[0]), int(row[1])


def check_reachable(into: Into) -> ExportctlError | None:
    """None when the server answers; the error a load would raise otherwise (for plan-time checks)."""
    try:
        pg_connect.connect(into).close()
    except ExportctlError as error:
        return error
    return None
