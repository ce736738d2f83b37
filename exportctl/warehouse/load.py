"""The entry point of a load: an export's CSV into a table of a DuckDB or SQLite database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from exportctl.schema import ExportObject
from exportctl.warehouse.base import LoadRequest, LoadResult


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
    request = LoadRequest(obj, source, database, table, tuple(fields) if fields else None, style, unparsed)
    if engine == "duckdb":
        from exportctl.warehouse import duckdb_engine

        return duckdb_engine.load(request)
    from exportctl.warehouse import sqlite_engine

    return sqlite_engine.load(request)
