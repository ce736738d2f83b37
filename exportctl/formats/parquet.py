"""Parquet (`--format parquet`), written by DuckDB from the typed SELECT of `formats.duckdb_sql`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from exportctl.errors import UsageError
from exportctl.files.targets import Target
from exportctl.schema import ExportObject

if TYPE_CHECKING:
    from exportctl.formats.convert import Written


def write_parquet(
    obj: ExportObject,
    csv_path: Path,
    target: Target,
    *,
    fields: Iterable[str] | None,
    header_style: str,
    fail: str | None,
    force: bool,
    stdout: BinaryIO | None = None,
) -> Written:
    """Write the CSV at `csv_path` as Parquet at `target`."""
    raise UsageError("--format parquet is not built yet.")
