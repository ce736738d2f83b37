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


def test_a_download_knows_no_filters_and_claims_none(cli: Cli, isolated: Path) -> None:
    export_id = cli("voucher", *NOTHING, "--no-wait").stdout.strip()
    assert cli("wait", export_id).exit_code == 0
    result = cli("download", export_id, "-o", "v.csv")
    assert result.exit_code == 0, result.output
    assert "The export has no rows." in result.stderr and "filters" not in result.stderr


def test_without_a_filter_it_does_not_blame_the_filters() -> None:
    from exportctl.cli.connect import empty_export_line
    from exportctl.jobs.plan import narrowed, plan
    from exportctl.request.model import ExportRequest, RunOptions
    from exportctl.schema import lookup

    voucher = lookup("voucher")
    bare = plan(ExportRequest(voucher), RunOptions(output="-"))
    filtered = plan(ExportRequest(voucher, filters={"junction": "and"}), RunOptions(output="-"))
    assert not narrowed(bare) and narrowed(filtered)
    assert narrowed(plan(ExportRequest(lookup("gift-card-transactions")), RunOptions(output="-")))  # a kind
    assert "filters" not in empty_export_line(False) and "no filter was given" in empty_export_line(False)
    assert empty_export_line(True) == NO_RECORDS
