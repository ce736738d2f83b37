"""Every command's --help renders without touching the network or needing credentials."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import COMMANDS as REGISTRY
from exportctl.cli.app import app
from exportctl.schema import EXPORT_OBJECTS

# Walk the real command registry, so that a new command is covered without editing this list.
COMMANDS = list(REGISTRY)
EXPECTED = {obj.command for obj in EXPORT_OBJECTS} | {"list", "status", "wait", "download", "delete", "schema"}


def test_the_command_tree_has_every_documented_command() -> None:
    assert EXPECTED | {"sandbox", "completion"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_page(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_root_help_lists_every_command_and_the_exit_codes() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
    assert "130 interrupted" in result.output


def test_scope_options_exist_only_where_the_api_has_an_endpoint() -> None:
    runner = CliRunner()
    transactions = runner.invoke(app, ["gift-card-transactions", "--help"], env={"COLUMNS": "200"}).output
    assert "--voucher" in transactions and "--campaign" in transactions
    order = runner.invoke(app, ["order", "--help"], env={"COLUMNS": "200"}).output
    assert "--voucher" not in order and "--campaign" not in order
    # voucher's --campaign is no scope: it sends parameters.campaign_id (issue 20), which --help says.
    voucher = runner.invoke(app, ["voucher", "--help"], env={"COLUMNS": "200"}).output
    assert "--voucher" not in voucher and "parameters.campaign_id" in voucher and "2026-06-22" in voucher


def test_version() -> None:
    from exportctl import __version__

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"exportctl {__version__}"


def test_a_bare_exportctl_prints_the_help_with_examples_and_exits_0() -> None:
    result = CliRunner().invoke(app, [], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Usage: exportctl" in result.stdout and "Examples:" in result.stdout
    assert "exportctl --sandbox voucher -o vouchers.csv --force" in result.stdout


def test_completion_help_names_the_shells_plainly() -> None:
    result = CliRunner().invoke(app, ["completion", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "{shell}" not in result.stdout and "shell:<" not in result.stdout
    assert "bash|zsh|fish" in result.stdout
