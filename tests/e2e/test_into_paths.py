"""`--into duckdb:exports[1]/w.duckdb` and `-o 'out[1].parquet'` against the sandbox: the run reads its own
download, never a stale file of another directory that the path read as a glob pattern would match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.warehouse.conftest import Warehouse

STALE = "ID,Code\r\nv_stale,STALE\r\n"


def test_a_load_into_a_directory_named_like_a_pattern_loads_its_own_rows(
    cli: Cli, sandbox: Sandbox, isolated: Path
) -> None:
    pytest.importorskip("duckdb")
    (isolated / "exports[1]").mkdir()
    (isolated / "exports1").mkdir()
    (isolated / "exports1" / ".w.duckdb.voucher.staging.csv").write_text(STALE)  # what main's name would match
    result = cli("voucher", "--fields", "id,code", "--into", f"duckdb:{isolated / 'exports[1]' / 'w.duckdb'}", "--json")
    assert result.exit_code == 0, result.output
    total = sandbox.store.rows("SELECT count(*) FROM vouchers")[0][0]
    assert json.loads(result.stdout)["into"]["rows_loaded"] == total
    warehouse = Warehouse("duckdb", isolated)
    warehouse.database = isolated / "exports[1]" / "w.duckdb"
    assert warehouse.query("SELECT count(*), count(*) FILTER (WHERE id = 'v_stale') FROM \"voucher\"") == [(total, 0)]


def test_a_parquet_file_named_like_a_pattern_is_its_own_export(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    (isolated / ".out1.parquet.staging.csv").write_text(STALE)  # what main's staging name would match
    result = cli("voucher", "--fields", "id,code", "--format", "parquet", "-o", "out[1].parquet", "--json")
    assert result.exit_code == 0, result.output
    ids = [row["id"] for row in pq.read_table(isolated / "out[1].parquet").to_pylist()]
    assert len(ids) == sandbox.store.rows("SELECT count(*) FROM vouchers")[0][0] and "v_stale" not in ids


def test_a_duckdb_path_with_a_question_mark_is_refused_before_the_export(cli: Cli, isolated: Path) -> None:
    pytest.importorskip("duckdb")
    (isolated / "q?x").mkdir()
    before = cli.export_count()
    result = cli("voucher", "--into", f"duckdb:{isolated / 'q?x' / 'w.duckdb'}")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "holds '?'" in result.stderr
    assert cli.export_count() == before
    assert list((isolated / "q?x").iterdir()) == []
