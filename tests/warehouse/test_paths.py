"""Paths are names, never patterns: DuckDB globs the path it reads, so `[`, `?`, `*` and `{` in a directory's
name must not make it read a planted decoy (another directory's stale file) or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exportctl.errors import UsageError
from exportctl.formats.convert import convert_csv
from exportctl.formats.duckdb_sql import private_source
from exportctl.schema import get_object
from exportctl.warehouse.load import load_file
from tests.warehouse.conftest import Warehouse, write_csv

VOUCHER = get_object("voucher")
# A directory name with a glob character, and a decoy directory its pattern would match.
CASES = [("exports[1]", "exports1"), ("q?x", "qax"), ("s*", "sZ"), ("c{a,b}", "ca"), ("{x}", "x")]
HEADER = ["ID", "Code"]


def _plant(root: Path, real: str, decoy: str, name: str) -> Path:
    (root / real).mkdir()
    (root / decoy).mkdir()
    write_csv(root / decoy / name, HEADER, [["v_decoy", "STALE"]])
    return write_csv(root / real / name, HEADER, [["v_1", "REAL-1"], ["v_2", "REAL-2"]])


@pytest.mark.parametrize(("real", "decoy"), CASES)
def test_a_duckdb_load_reads_its_own_file_whatever_its_path(tmp_path: Path, real: str, decoy: str) -> None:
    pytest.importorskip("duckdb")
    source = _plant(tmp_path, real, decoy, "staging.csv")
    if "?" in real:  # DuckDB puts the log of a database under such a path elsewhere: refused, nothing made
        with pytest.raises(UsageError, match="DuckDB cannot keep a database at a path that holds '\\?'"):
            load_file("duckdb", VOUCHER, source, tmp_path / real / "w.duckdb", "voucher", fields=["id", "code"])
        assert sorted(p.name for p in (tmp_path / real).iterdir()) == ["staging.csv"]
        database = tmp_path / "w.duckdb"  # the CSV under the `?` path still loads, into a plain one
    else:
        database = tmp_path / real / "w.duckdb"
    result = load_file("duckdb", VOUCHER, source, database, "voucher", fields=["id", "code"])
    assert result.rows == 2
    warehouse = Warehouse("duckdb", tmp_path / real)
    warehouse.database = database
    assert warehouse.query('SELECT id, code FROM "voucher" ORDER BY id') == [("v_1", "REAL-1"), ("v_2", "REAL-2")]


@pytest.mark.parametrize(("real", "decoy"), CASES)
def test_a_parquet_conversion_reads_its_own_file_whatever_its_path(tmp_path: Path, real: str, decoy: str) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    source = _plant(tmp_path, real, decoy, "out[1].csv")
    (tmp_path / real / "out1.csv").write_text("ID,Code\r\nv_decoy,STALE\r\n")
    target = tmp_path / real / "out[1].parquet"
    convert_csv(
        VOUCHER,
        source,
        target,
        output_format="parquet",
        fields=["id", "code"],
        header_style="api",
        unparsed="keep",
        force=False,
    )
    assert pq.read_table(target).to_pylist() == [
        {"id": "v_1", "code": "REAL-1", "_unparsed": None},
        {"id": "v_2", "code": "REAL-2", "_unparsed": None},
    ]
    assert sorted(p.name for p in (tmp_path / real).iterdir()) == ["out1.csv", "out[1].csv", "out[1].parquet"]


def test_the_private_source_is_gone_after_use(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "a[1].csv", HEADER, [["v_1", "A"]])
    with private_source(source) as link:
        assert link.name == "source.csv" and link.read_text() == source.read_text()
        assert not set("[]?*{}") & set(str(link))
    assert not link.exists() and not link.parent.exists()
    assert json.dumps(str(source))  # the file itself is untouched
    assert source.exists()
