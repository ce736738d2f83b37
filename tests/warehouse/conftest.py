"""Loads of hand-written export CSVs into both engines, and readers of what the tables hold."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from exportctl.schema import get_object
from exportctl.warehouse.base import LoadResult
from exportctl.warehouse.load import load_file

ENGINES = ("sqlite", "duckdb")


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


class Warehouse:
    """One database file of one engine, loaded with CSVs of an object, read back as Python values."""

    def __init__(self, engine: str, root: Path, command: str = "voucher", table: str = "voucher") -> None:
        if engine == "duckdb":
            pytest.importorskip("duckdb")
        self.engine = engine
        self.root = root
        self.obj = get_object(command)
        self.table = table
        self.database = root / f"db.{engine}"
        self.loads = 0

    def load(self, header: Sequence[str], rows: Sequence[Sequence[str]], **options: Any) -> LoadResult:
        self.loads += 1
        source = write_csv(self.root / f"export-{self.loads}.csv", header, rows)
        return load_file(self.engine, self.obj, source, self.database, options.pop("table", self.table), **options)

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
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
        if self.engine == "sqlite":
            return {row[1]: row[2] for row in self.query(f'PRAGMA table_info("{name}")')}
        rows = self.query(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [name]
        )
        return dict(rows)

    def tables(self) -> list[str]:
        if not self.database.exists():
            return []
        if self.engine == "sqlite":
            return [row[0] for row in self.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [row[0] for row in self.query("SELECT table_name FROM duckdb_tables() ORDER BY table_name")]

    def rows(self, columns: str = "*", order: str = "id") -> list[tuple[Any, ...]]:
        return self.query(f'SELECT {columns} FROM "{self.table}" ORDER BY {order}')


@pytest.fixture(params=ENGINES)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    return Warehouse(request.param, tmp_path)


@pytest.fixture
def make_warehouse(tmp_path: Path) -> Callable[..., Warehouse]:
    def make(engine: str, command: str = "voucher", table: str | None = None) -> Warehouse:
        root = tmp_path / f"{engine}-{command}"
        root.mkdir(exist_ok=True)
        return Warehouse(engine, root, command, table or command.replace("-", "_"))

    return make
