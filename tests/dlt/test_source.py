"""The dlt source against the sandbox: it loads DuckDB and PostgreSQL with the rows and types `--into` gives,
and a second run loads nothing new."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from exportctl import export
from exportctl.sandbox import Sandbox
from tests.conftest import sandbox_settings
from tests.postgres import PgServer

OBJECTS = ["voucher", "order", "voucher-transactions"]
TABLES = {"voucher": "voucher", "order": "order", "voucher-transactions": "voucher_transactions"}


@pytest.fixture
def dlt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    module = pytest.importorskip("dlt")
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")  # no telemetry from the tests
    monkeypatch.chdir(tmp_path)
    return module


def _run_twice(
    dlt: Any, sandbox: Sandbox, destination: Any, tmp_path: Path, dataset: str = "voucherify"
) -> tuple[dict[str, int], dict[str, int]]:
    from exportctl.dlt import voucherify_source

    pipeline = dlt.pipeline(
        pipeline_name="voucherify",
        destination=destination,
        dataset_name=dataset,
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    counts = []
    for _ in range(2):
        pipeline.run(voucherify_source(OBJECTS, settings=sandbox_settings(sandbox)))
        counts.append(dict(pipeline.last_trace.last_normalize_info.row_counts))
    return counts[0], counts[1]


def _duckdb(path: Path, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    import duckdb

    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql, parameters or []).fetchall()
    finally:
        conn.close()


def test_the_source_loads_duckdb_as_into_does_and_a_second_run_loads_nothing(
    dlt: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    pytest.importorskip("duckdb")
    loaded = tmp_path / "dlt.duckdb"
    first, second = _run_twice(dlt, sandbox, dlt.destinations.duckdb(str(loaded)), tmp_path)
    into = tmp_path / "into.duckdb"
    for command, table in TABLES.items():
        fields = _all_fields(command)
        result = export(command, settings=sandbox_settings(sandbox), fields=fields, into=f"duckdb:{into}#{table}")
        rows = result.summary["into"]["rows_loaded"]
        assert first[table] == rows > 0
        assert second.get(table, 0) == 0  # nothing new since the first run's cursor
        assert _duckdb(loaded, f'SELECT count(*) FROM voucherify."{table}"') == [(rows,)]
        typed = dict(_duckdb(into, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [table]))
        dlt_types = dict(
            _duckdb(
                loaded,
                "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'voucherify' "
                "AND table_name = ?",
                [table],
            )
        )
        for name in fields:
            if name in typed:
                assert dlt_types[name] == typed[name], (table, name)


def test_the_source_loads_postgres_as_into_does(
    dlt: Any, sandbox: Sandbox, tmp_path: Path, postgres_server: PgServer, pg_schema: str
) -> None:
    pytest.importorskip("psycopg2")
    destination = dlt.destinations.postgres(postgres_server.url)
    dataset = f"dlt_{pg_schema}"
    first, second = _run_twice(dlt, sandbox, destination, tmp_path, dataset)
    for command, table in TABLES.items():
        into = postgres_server.into(pg_schema, table)
        result = export(command, settings=sandbox_settings(sandbox), fields=_all_fields(command), into=into)
        rows = result.summary["into"]["rows_loaded"]
        assert first[table] == rows > 0
        assert second.get(table, 0) == 0
        assert postgres_server.query(dataset, f'SELECT count(*) FROM "{table}"') == [(rows,)]
    typed = postgres_server.query(
        pg_schema,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = ? AND column_name = ?",
        [pg_schema, "created_at"],
    )
    loaded = postgres_server.query(
        dataset,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = ? AND column_name = ?",
        [dataset, "created_at"],
    )
    assert {row[0] for row in typed} == {row[0] for row in loaded} == {"timestamp with time zone"}


def _all_fields(command: str) -> list[str]:
    from exportctl.schema import get_object

    return [field.name for field in get_object(command).fields]


def test_importing_the_source_imports_neither_dlt_nor_pyarrow() -> None:
    code = (
        "import json, sys\nfrom exportctl.dlt import voucherify_source\n"
        "heavy = ('dlt', 'pyarrow', 'duckdb', 'requests')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def _readme_snippet() -> str:
    text = (Path(__file__).resolve().parent.parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## A dlt source\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "README's 'A dlt source' section has no python block"
    return found.group(1)


def test_the_readme_pipeline_runs_as_written(
    dlt: Any, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("duckdb")
    snippet = _readme_snippet()
    assert len(snippet.strip().splitlines()) <= 10
    monkeypatch.setenv("VOUCHERIFY_APP_ID", sandbox.app_id)
    monkeypatch.setenv("VOUCHERIFY_APP_TOKEN", sandbox.secret_key)
    monkeypatch.setenv("VOUCHERIFY_API_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt-data"))
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md:A dlt source", "exec"), namespace)
    pipeline = namespace["pipeline"]
    counts = pipeline.last_trace.last_normalize_info.row_counts
    assert counts["voucher"] == sandbox.store.rows("SELECT count(*) FROM vouchers")[0][0]
    assert counts["gift_card_transactions"] > 0


def test_a_backfill_through_split_windows_loads_its_window_and_leaves_the_state(
    dlt: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    pytest.importorskip("duckdb")
    from exportctl.dlt import voucherify_source

    created = [row[0] for row in sandbox.store.rows("SELECT created_at FROM vouchers ORDER BY created_at")]
    start, end = created[len(created) // 4], created[3 * len(created) // 4]
    inside = sum(1 for at in created if start <= at < end)
    pipeline = dlt.pipeline(
        pipeline_name="backfill",
        destination=dlt.destinations.duckdb(str(tmp_path / "b.duckdb")),
        dataset_name="raw",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    fields = {"voucher": ["id", "code", "created_at"]}
    source = voucherify_source(
        ["voucher"],
        settings=sandbox_settings(sandbox),
        fields=fields,
        initial_value=start,
        end_value=end,
        split_by="month",
    )
    pipeline.run(source)
    assert pipeline.last_trace.last_normalize_info.row_counts["voucher"] == inside > 0
    # The backfill kept no state: a run without a window starts from the beginning.
    pipeline.run(voucherify_source(["voucher"], settings=sandbox_settings(sandbox), fields=fields))
    assert pipeline.last_trace.last_normalize_info.row_counts["voucher"] == len(created)


def test_the_updated_at_cursor_loads_a_changed_record_and_nothing_else(dlt: Any, tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    from exportctl.dlt import voucherify_source
    from tests.conftest import start_sandbox

    with start_sandbox(db_path=tmp_path / "own.sqlite3", data_dir=tmp_path / "own-exports") as own:
        loaded = tmp_path / "u.duckdb"
        pipeline = dlt.pipeline(
            pipeline_name="updated",
            destination=dlt.destinations.duckdb(str(loaded)),
            dataset_name="raw",
            pipelines_dir=str(tmp_path / "pipelines"),
        )
        fields = {"voucher": ["id", "code", "active", "updated_at"]}

        def run() -> int:
            source = voucherify_source(
                ["voucher"], settings=sandbox_settings(own), fields=fields, cursor="updated_at", lag=0
            )
            pipeline.run(source)
            return int(pipeline.last_trace.last_normalize_info.row_counts.get("voucher", 0))

        total = own.store.counts()["voucher"]
        assert run() == total
        assert run() == 0  # nothing changed
        [touched] = own.store.touch_records("voucher", 1)
        assert run() == 1
        active = own.store.rows("SELECT active FROM vouchers WHERE id = ?", (touched,))[0][0]
        assert _duckdb(loaded, "SELECT active FROM raw.voucher WHERE id = ?", [touched]) == [(bool(active),)]
        assert _duckdb(loaded, "SELECT count(*), count(DISTINCT id) FROM raw.voucher") == [(total, total)]


def test_the_updated_at_cursor_is_refused_for_an_object_without_it(dlt: Any) -> None:
    from exportctl.dlt import voucherify_source
    from exportctl.errors import UsageError

    with pytest.raises(UsageError) as caught:
        voucherify_source(["publication"], cursor="updated_at")
    assert "publication exports cannot follow updated_at" in caught.value.message
    assert "order, voucher, customer" in caught.value.message
    for lag in (-1, "garbage", "30d"):
        with pytest.raises(UsageError) as bad:
            voucherify_source(["voucher"], cursor="updated_at", lag=lag)
        assert bad.value.message.startswith("lag: expected a duration from 0 to 7d")
