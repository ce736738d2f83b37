"""The incremental and split samples run against the sandbox as their comments say."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from exportctl.sandbox import Sandbox
from tests.cli import conftest as e2e
from tests.cli.conftest import Cli
from tests.conftest import start_sandbox

cli = e2e.cli
isolated = e2e.isolated

SAMPLES = Path(__file__).parents[2] / "sample-configs"


@pytest.fixture(scope="module")
def sandbox_in_2027() -> Iterator[Sandbox]:
    """Data up to 2027-01-01, so the split sample's fixed year 2026 holds redemptions whatever today is."""
    with start_sandbox(as_of=date(2027, 1, 1)) as running:
        yield running


def test_incremental_sample_exports_only_what_is_new(cli: Cli, isolated: Path) -> None:
    shutil.copy(SAMPLES / "order-incremental.yaml", isolated)
    first = cli("order", "-c", "order-incremental.yaml", "--json")
    assert first.exit_code == 0, first.stderr
    summary = json.loads(first.stdout)
    rows = list(csv.DictReader(Path(summary["output"]).read_text().splitlines()))
    assert rows and "source_id" in rows[0]  # headers: fields
    assert all(row["status"] != "CANCELED" for row in rows)
    since = str(yaml.safe_load((SAMPLES / "order-incremental.yaml").read_text())["since"])
    assert all(row["created_at"] >= since for row in rows)
    # Exactly the orders the sample asks for, however the sandbox's dates fall around `since` today.
    expected = cli.sandbox.store.rows(
        "SELECT count(*) FROM orders WHERE status != 'CANCELED' AND created_at >= ?", (since,)
    )[0][0]
    assert len(rows) == expected
    state = json.loads((isolated / "exportctl-state.json").read_text())
    assert "warehouse-orders" in json.dumps(state)

    # The warehouse loader takes each file away. (The name has the run's time to the second, and the two runs
    # may well start within one second: the second would find the first one's file and refuse to replace it.)
    Path(summary["output"]).rename(isolated / "loaded.csv")
    second = cli("order", "-c", "order-incremental.yaml", "--json")
    assert second.exit_code == 0, second.stderr
    # Nothing was created in the sandbox between the two runs.
    assert json.loads(second.stdout)["rows"] == 0


def test_split_sample_joins_twelve_months_in_order(sandbox_in_2027: Sandbox, isolated: Path) -> None:
    result = Cli(sandbox_in_2027)("redemption", "-c", str(SAMPLES / "redemption-split-monthly.yaml"), "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["windows"]) == 12
    rows = list(csv.DictReader((isolated / "redemptions-2026.csv").read_text().splitlines()))
    dates = [row["Date"] for row in rows]
    assert dates and dates == sorted(dates)
    assert dates[0] >= "2026-01-01" and dates[-1] < "2027-01-01"
    assert not (isolated / "redemptions-2026.csv.manifest.json").exists()
