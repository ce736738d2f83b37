"""The DuckDB typed SQL casts the export's own instant and date forms directly: those cells, valid or not,
still read exactly as types.parse reads them (the general path is tests/formats/test_duckdb_sql.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from exportctl.formats.types import Column, Kind
from tests.formats.test_duckdb_sql import _expected, _run, _write

pytest.importorskip("duckdb")

CANONICAL = {
    Kind.TIMESTAMP: [
        "2026-03-01T12:00:00.123Z",
        "2024-02-29T23:59:59.999Z",
        "2026-02-30T00:00:00.000Z",
        "2023-02-29T00:00:00.000Z",
        "2026-04-31T00:00:00.000Z",
        "0000-01-01T00:00:00.000Z",
        "0001-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z",
        "2026-00-01T00:00:00.000Z",
        "2026-03-01T24:00:00.000Z",
        "2026-03-01T23:60:00.000Z",
        "2026-03-01T23:59:60.000Z",
        "2026-03-01T12:00:00.12Z",
        "2026-03-01T12:00:00.1234Z",
        "2026-03-01T12:00:00.123z",
    ],
    Kind.DATE: ["2026-03-01", "2024-02-29", "2026-02-29", "2026-04-31", "0000-01-01", "0001-01-01", "2026-13-01"],
}


@pytest.mark.parametrize("kind", list(CANONICAL), ids=lambda k: k.value)
def test_canonical_cells_read_as_types_parse_does(tmp_path: Path, kind: Kind) -> None:
    cells = CANONICAL[kind]
    rows = _run([Column("x", "x", kind)], _write(tmp_path, [["x"], *([cell] for cell in cells)]), 1)[1].fetchall()
    for cell, (value, unparsed) in zip(cells, rows, strict=True):
        expected, bad = _expected(kind, cell)
        if isinstance(expected, datetime):
            assert value is not None and value.astimezone(timezone.utc) == expected, cell
        else:
            assert value == expected, cell
        assert (json.loads(unparsed) if unparsed else None) == ({"x": cell} if bad else None), cell
