"""Loads of hand-written export CSVs into every engine, and readers of what the tables hold."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from exportctl.request.into import parse_into
from exportctl.schema import get_object
from exportctl.warehouse.base import LoadResult
from exportctl.warehouse.load import load_file, load_into
from tests.postgres import PgServer

ENGINES = ("sqlite", "duckdb")  # the file engines
ALL_ENGINES = (*ENGINES, "postgres")


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


class Warehouse:
    """One database file of one engine, loaded with CSVs of an object, read back as Python values."""

    def __init__(
        self,
        engine: str,
        root: Path,
        command: str = "voucher",
        table: str = "voucher",
        server: tuple[PgServer, str] | None = None,
    ) -> None:
        if engine == "duckdb":
            pytest.importorskip("duckdb")
        self.server = server  # postgres: the server and this warehouse's schema
        self.engine = engine
        self.root = root
        self.obj = get_object(command)
        self.table = table
        self.database = root / f"db.{engine}"
        self.loads = 0

    def load(self, header: Sequence[str], rows: Sequence[Sequence[str]], **options: Any) -> LoadResult:
        self.loads += 1
        source = write_csv(self.root / f"export-{self.loads}.csv", header, rows)
        return self.load_file(source, **options)

    def load_file(self, source: Path, **options: Any) -> LoadResult:
        table = options.pop("table", self.table)
        if self.server is None:
            return load_file(self.engine, self.obj, source, self.database, table, **options)
        return load_into(self.into(table), self.obj, source, **options)

    def into(self, table: str | None = None) -> Any:
        """The postgres target of this warehouse's schema (`--into` as parsed)."""
        assert self.server is not None
        server, schema = self.server
        return parse_into(server.into(schema, table or self.table), self.obj.command)

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.server is not None:
            server, schema = self.server
            return server.query(schema, sql, parameters)
        if self.engine == "sqlite":
            conn = sqlite3.connect(self.database)
            try:
                return conn.execute(sql, parameters).fetchall()
            finally:
                conn.close()
        import duckdb

        connection = duckdb.connect(str(self.database), read_only=True)
        try:
            connection.execute("SET TimeZone = 'UTC'")
            return connection.execute(sql, list(parameters)).fetchall()
        finally:
            connection.close()

    def columns(self, table: str | None = None) -> dict[str, str]:
        """SQL name -> declared type, in table order."""
        name = table or self.table
        if self.server is not None:
            rows = self.query(
                "SELECT column_name, upper(data_type) FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [self.server[1], name],
            )
            return dict(rows)
        if self.engine == "sqlite":
            return {row[1]: row[2] for row in self.query(f'PRAGMA table_info("{name}")')}
        rows = self.query(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [name]
        )
        return dict(rows)

    def tables(self) -> list[str]:
        if self.server is not None:
            query = "SELECT tablename FROM pg_tables WHERE schemaname = ? ORDER BY tablename"
            return [row[0] for row in self.query(query, [self.server[1]])]
        if not self.database.exists():
            return []
        if self.engine == "sqlite":
            return [row[0] for row in self.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [row[0] for row in self.query("SELECT table_name FROM duckdb_tables() ORDER BY table_name")]

    def rows(self, columns: str = "*", order: str = "id") -> list[tuple[Any, ...]]:
        return self.query(f'SELECT {columns} FROM "{self.table}" ORDER BY {order}')


def _server(request: pytest.FixtureRequest, engine: str) -> tuple[PgServer, str] | None:
    """The session's PostgreSQL and a schema of the test's own, asked for only by a postgres warehouse."""
    if engine != "postgres":
        return None
    return request.getfixturevalue("postgres_server"), request.getfixturevalue("pg_schema")


@pytest.fixture(params=ALL_ENGINES)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    return Warehouse(request.param, tmp_path, server=_server(request, request.param))


@pytest.fixture
def make_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Warehouse]:
    def make(engine: str, command: str = "voucher", table: str | None = None) -> Warehouse:
        root = tmp_path / f"{engine}-{command}"
        root.mkdir(exist_ok=True)
        return Warehouse(engine, root, command, table or command.replace("-", "_"), server=_server(request, engine))

    return make
