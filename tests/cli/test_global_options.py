"""Global options before or after the subcommand, listed under every command's help."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from exportctl.cli.app import COMMANDS, app
from tests.cli.conftest import Cli


def test_global_options_after_the_subcommand_reach_the_api(cli: Cli) -> None:
    # The credentials after the subcommand: the root has none, so a failure to take them would exit 3.
    result = cli("voucher", "--fields", "code", "-o", "-", "--quiet", *cli.credentials(), credentials=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Code"
    assert result.stderr == ""  # --quiet after the subcommand silenced the progress lines


def test_quiet_and_dry_run_after_the_subcommand() -> None:
    result = CliRunner().invoke(app, ["voucher", "--quiet", "--dry-run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exported_object"] == "voucher"


@pytest.mark.parametrize("command", ["list", "status", "delete"])
def test_verbose_after_the_subcommand_logs_http_for_every_command(cli: Cli, command: str) -> None:
    export_id = cli("voucher", "--no-wait").stdout.strip()
    args = [command] if command == "list" else [command, export_id]
    args += ["--yes"] if command == "delete" else []
    result = cli(*args, "-v")
    assert result.exit_code == 0, result.output
    assert "http GET " in result.stderr or "http DELETE " in result.stderr
    assert cli.sandbox.secret_key not in result.stderr


def test_a_profile_after_the_subcommand_is_the_one_used() -> None:
    result = CliRunner().invoke(app, ["list", "--profile", "nosuchprofile"], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "Profile 'nosuchprofile' not found" in result.stderr


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_lists_the_global_options_in_its_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    options_part, globals_part = result.stdout.split("Global options:", 1)
    own = COMMANDS[command].own_globals  # login's --profile, --region...: its own options, listed first
    for flag in ("--profile", "--region", "--api-url", "--quiet", "--verbose", "--sandbox"):
        listed = options_part.split("Options:", 1)[1] if flag[2:].replace("-", "_") in own else globals_part
        assert flag in listed, (command, flag)


def test_login_help_lists_the_options_it_saves_as_its_own() -> None:
    result = CliRunner().invoke(app, ["login", "--help"], catch_exceptions=False)
    options = result.stdout.split("Options:", 1)[1].split("Global options:", 1)[0]
    for flag in ("--profile", "--region", "--api-url", "--app-id", "--app-token", "--help"):
        assert flag in options, flag
