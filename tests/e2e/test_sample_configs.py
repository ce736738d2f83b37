"""Every file in sample-configs/ passes `exportctl validate` and exports real rows from the sandbox."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from exportctl.schema import BY_COMMAND
from tests.cli import conftest as e2e
from tests.cli.conftest import Cli

# The end-to-end fixtures of tests/cli: the real CLI against the sandbox, in an isolated environment.
cli = e2e.cli
isolated = e2e.isolated

SAMPLES = Path(__file__).parents[2] / "sample-configs"
SINGLE = sorted(path for path in SAMPLES.glob("*.yaml") if path.stem in BY_COMMAND)


def test_there_is_a_sample_per_object_and_a_nightly_file() -> None:
    assert sorted(path.stem for path in SINGLE) == sorted(BY_COMMAND)
    assert (SAMPLES / "nightly.yaml").exists()


def test_every_sample_validates(cli: Cli) -> None:
    result = cli("validate", *sorted(str(path) for path in SAMPLES.glob("*.yaml")), credentials=False)

    assert result.exit_code == 0, result.output
    assert result.stdout.count(": OK (") == len(list(SAMPLES.glob("*.yaml")))


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("path", SINGLE, ids=[path.stem for path in SINGLE])
def test_every_single_sample_exports_rows(cli: Cli, path: Path) -> None:
    result = cli(path.stem, "-c", str(path), "-o", "-")

    assert result.exit_code == 0, result.stderr
    rows = read_csv(result.stdout)
    assert rows, f"{path.name} exported no rows from the sandbox"
    # The filters took effect: spot-check the ones whose values are in the CSV.
    if path.stem == "order":
        assert {row["Status"] for row in rows} <= {"PAID", "FULFILLED"}
        assert all(int(row["Total Amount"]) >= 10000 for row in rows)
    if path.stem == "redemption":
        assert {row["Result"] for row in rows} == {"FAILURE"}
    if path.stem == "voucher":
        assert {row["Active"] for row in rows} == {"true"}
    if path.stem == "customer":
        assert all(row["tier"] in ("gold", "platinum") for row in rows)  # metadata: a column per key


def test_the_nightly_sample_runs(cli: Cli, isolated: Path) -> None:
    (isolated / "exports").mkdir()

    result = cli("run", str(SAMPLES / "nightly.yaml"), "--parallel", "4", "--json")

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)["exports"]
    assert [item["result"] for item in summary] == ["done"] * len(summary)
    for item in summary:
        assert (isolated / item["output"]).exists()
    # Yesterday's business may be empty in generated data, the snapshot of gift cards never is.
    assert max(item["rows"] for item in summary) > 0
    assert {item["name"]: item["rows"] for item in summary}["active-gift-cards"] > 0


def test_the_warehouse_sample_keeps_a_duckdb_file_current(cli: Cli, isolated: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    import shutil

    shutil.copy(SAMPLES / "warehouse.yaml", isolated)
    first = cli("run", "warehouse.yaml", "--parallel", "3", "--json")
    assert first.exit_code == 0, first.stderr
    loads = {item["name"]: item["into"] for item in json.loads(first.stdout)["exports"]}
    assert set(loads) == {"vouchers", "customers", "orders", "redemptions", "gift-card-transactions"}
    assert all(load["inserted"] == load["rows_loaded"] > 0 for load in loads.values())

    again = cli("run", "warehouse.yaml", "--parallel", "3", "--json")
    assert again.exit_code == 0, again.stderr
    for item in json.loads(again.stdout)["exports"]:
        assert (item["into"]["inserted"], item["into"]["updated"]) == (0, 0), item["name"]
    conn = duckdb.connect(str(isolated / "warehouse.duckdb"), read_only=True)
    try:
        counts = {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in ("vouchers", "orders")
        }
        kinds = dict(
            conn.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'vouchers'").fetchall()
        )
    finally:
        conn.close()
    assert counts == {"vouchers": loads["vouchers"]["rows_loaded"], "orders": loads["orders"]["rows_loaded"]}
    assert (kinds["gift_balance"], kinds["active"], kinds["created_at"]) == (
        "BIGINT",
        "BOOLEAN",
        "TIMESTAMP WITH TIME ZONE",
    )
