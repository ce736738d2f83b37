"""A 0-row export says so in one line, and with the embedded sandbox names the span of its data."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from exportctl.cli.app import app
from tests.cli.conftest import Cli

NOTHING = ["--filter", "created_at<2001-01-01"]
NO_RECORDS = "The export has no rows: the filters matched no records."


def test_an_empty_export_says_the_filters_matched_nothing(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", *NOTHING, "-o", "v.csv")
    assert result.exit_code == 0, result.output
    assert len((isolated / "v.csv").read_text().splitlines()) == 1  # the header row only
    assert result.stderr.count(NO_RECORDS) == 1


def test_an_export_with_rows_does_not(cli: Cli) -> None:
    result = cli("voucher", "-o", "v.csv")
    assert result.exit_code == 0 and "no rows" not in result.stderr


def test_a_run_entry_with_no_rows_says_so(cli: Cli, isolated: Path) -> None:
    (isolated / "run.yaml").write_text(
        'exports:\n  - name: none\n    object: voucher\n    parameters: {filters: ["created_at<2001-01-01"]}\n'
        "    output: none.csv\n",
        encoding="utf-8",
    )
    result = cli("run", "run.yaml")
    assert result.exit_code == 0, result.output
    assert "[none] no rows: the filters matched no records." in result.stderr


def test_with_the_embedded_sandbox_it_names_the_span_of_the_data(isolated: Path) -> None:
    result = CliRunner().invoke(app, ["--sandbox", "voucher", *NOTHING, "-o", "v.csv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stderr.splitlines() if NO_RECORDS in line)
    assert "The sandbox's records were created from " in line and line.count("T00:00:00.000Z") == 2
