"""The optional extra `exportctl[warehouse]` (DuckDB and pyarrow): imported only by the runs that need them.

`--into duckdb:` needs DuckDB, `--format parquet` DuckDB (to read and type the CSV) and pyarrow (to write
the file: DuckDB's own writer cannot write `timestamp[ms, UTC]`); everything else (CSV, JSON Lines, SQLite) needs
only the standard library, and `--help`, completion and CSV exports never import it
(tests/test_lazy_imports.py). Without the extra a run that needs it is refused offline, before anything
is submitted, with exit 2 and the pip command.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from exportctl.errors import UsageError

EXTRA = "warehouse"
INSTALL = "pip install 'exportctl[warehouse]'"


def require_duckdb(needed_by: str) -> ModuleType:
    """The `duckdb` module; UsageError (exit 2) naming the pip command when it is not installed."""
    try:
        return importlib.import_module("duckdb")
    except ImportError:
        raise UsageError(
            f"{needed_by} needs DuckDB, which is not installed: it comes with the optional extra '{EXTRA}'.",
            hint=f"Install it with: {INSTALL}",
        ) from None


def require_pyarrow(needed_by: str, module: str = "pyarrow") -> ModuleType:
    """The `pyarrow` module (or one of its modules); UsageError (exit 2) naming the pip command when missing."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(
            f"{needed_by} needs pyarrow, which is not installed: it comes with the optional extra '{EXTRA}'.",
            hint=f"Install it with: {INSTALL}",
        ) from None


def check_extra(output_format: str, into_engine: str | None) -> None:
    """Refuse offline a run whose format or engine needs the extra when it is missing."""
    if output_format == "parquet":
        require_duckdb("--format parquet")
        require_pyarrow("--format parquet", module="pyarrow.parquet")
    if into_engine == "duckdb":
        require_duckdb("--into duckdb:")
