"""The optional extra `exportctl[warehouse]` (DuckDB): imported only by the runs that need it.

`--format parquet` and `--into duckdb:` need DuckDB; everything else (CSV, JSON Lines, SQLite) needs
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


def check_extra(output_format: str, into_engine: str | None) -> None:
    """Refuse offline a run whose format or engine needs the extra when it is missing."""
    if output_format == "parquet":
        require_duckdb("--format parquet")
    if into_engine == "duckdb":
        require_duckdb("--into duckdb:")
