"""The incremental and split samples run against the sandbox as their comments say."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from tests.cli import conftest as e2e
from tests.cli.conftest import Cli

cli = e2e.cli
isolated = e2e.isolated

SAMPLES = Path(__file__).parents[2] / "sample-configs"


def test_incremental_sample_exports_only_what_is_new(cli: Cli, isolated: Path) -> None:
    shutil.copy(SAMPLES / "order-incremental.yaml", isolated)
    first = cli("order", "-c", "order-incremental.yaml", "--json")
    assert first.exit_code == 0, first.stderr
    summary = json.loads(first.stdout)
    rows = list(csv.DictReader(Path(summary["output"]).read_text().splitlines()))
    assert rows and "source_id" in rows[0]  # headers: fields
    assert all(row["status"] != "CANCELED" for row in rows)
    assert all(row["created_at"] >= "2024-01-01" for row in rows)
    state = json.loads((isolated / "exportctl-state.json").read_text())
    assert "warehouse-orders" in json.dumps(state)

    second = cli("order", "-c", "order-incremental.yaml", "--json")
    assert second.exit_code == 0, second.stderr
    # Nothing was created in the sandbox between the two runs.
    assert json.loads(second.stdout)["rows"] == 0


def test_split_sample_joins_twelve_months_in_order(cli: Cli, isolated: Path) -> None:
    result = cli("redemption", "-c", str(SAMPLES / "redemption-split-monthly.yaml"), "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert len(summary["windows"]) == 12
    rows = list(csv.DictReader((isolated / "redemptions-2025.csv").read_text().splitlines()))
    dates = [row["Date"] for row in rows]
    assert dates == sorted(dates)
    assert dates[0] >= "2025-01-01" and dates[-1] < "2026-01-01"
    assert not (isolated / "redemptions-2025.csv.manifest.json").exists()
