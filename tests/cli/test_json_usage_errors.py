"""A usage error with --json anywhere on the line (a bad flag, a value Typer refuses, an unknown command)
prints the JSON contract's one document, as every other failure does; without --json, none."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from exportctl.cli.json_contract import CONTRACT_KEYS
from exportctl.errors import ExitCode
from exportctl.schema import BY_COMMAND
from tests.cli.conftest import Cli

CASES = {
    "a bad flag": (["voucher", "--bogus", "--json"], "voucher", "No such option: --bogus"),
    "a value out of range": (["list", "--json", "--limit", "0"], "list", "'--limit': 0 is not in the range"),
    "a value that is not a number": (["voucher", "--json", "--parallel", "abc"], "voucher", "'abc' is not a valid"),
    "--json before the command": (["--json", "order"], "order", "No such option: --json"),
    "an unknown command": (["vouchr", "--json"], None, "No such command 'vouchr'"),
    "run with a bad value": (["run", "--json", "nightly.yaml", "--parallel", "x"], "run", "'--parallel'"),
    "status without its id": (["status", "--json"], "status", "Missing argument"),
}


def _document(stdout: str) -> dict[str, Any]:
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout  # one object, nothing else on standard output
    document: dict[str, Any] = json.loads(lines[0])
    return document


@pytest.mark.parametrize("name", list(CASES))
def test_a_usage_error_with_json_prints_the_error_document(cli: Cli, name: str) -> None:
    argv, command, message = CASES[name]

    result = cli(*argv)

    assert result.exit_code == ExitCode.USAGE
    document = _document(result.stdout)
    assert list(document)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert document["object"] == command
    assert document["exit_code"] == ExitCode.USAGE
    assert message in document["error"]
    assert document["hint"].startswith("See 'exportctl")
    assert document["export_id"] is None and document["api_calls"] is None
    assert message in result.stderr  # the person's message is still there


def test_an_export_commands_document_names_its_exported_object(cli: Cli) -> None:
    result = cli("gift-card-transactions", "--bogus", "--json")
    assert _document(result.stdout)["exported_object"] == BY_COMMAND["gift-card-transactions"].exported_object


def test_without_json_a_usage_error_prints_nothing_on_standard_output(cli: Cli) -> None:
    result = cli("voucher", "--bogus")
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert "No such option: --bogus" in result.stderr


def test_json_after_a_double_dash_is_an_argument_not_the_flag(cli: Cli) -> None:
    result = cli("status", "--bogus", "--", "--json")
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""


def test_the_installed_command_prints_the_document_too() -> None:
    """Through the console script's main(), in a process of its own."""
    process = subprocess.run(
        [sys.executable, "-m", "exportctl", "voucher", "--json", "--parallel", "abc"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == ExitCode.USAGE
    document = _document(process.stdout)
    assert document["exit_code"] == ExitCode.USAGE and "'abc' is not a valid int" in document["error"]


def _commands() -> list[str]:
    from exportctl.cli.app import COMMANDS

    return list(COMMANDS)


# A value each command's parser refuses (a bad number, a missing value or argument, a choice that is not one).
BAD_VALUES: dict[str, list[str]] = {
    **{obj: ["--parallel", "abc"] for obj in BY_COMMAND},
    "run": ["nightly.yaml", "--parallel", "x"],
    "validate": ["--object"],
    "list": ["--limit", "0"],
    "status": [],
    "wait": ["exp_1", "--timeout"],
    "download": ["exp_1", "-o"],
    "delete": [],
    "schema": ["--format", "xml"],
    "login": ["--with-token", "--force", "extra"],
    "auth": ["logout", "--profile"],
    "doctor": ["--download-url"],
    "completion": ["tcsh"],
    "sandbox": ["--port", "abc"],
}


def test_every_command_has_a_bad_value_case() -> None:
    assert sorted(BAD_VALUES) == sorted(_commands())


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("command", _commands())
def test_every_command_prints_the_document_for_a_bad_flag(cli: Cli, command: str, where: str) -> None:
    words = ["status", "--bogus"] if command == "auth" else ["--bogus"]
    argv = [command, "--json", *words] if where == "before" else [command, *words, "--json"]

    result = cli(*argv)

    assert result.exit_code == ExitCode.USAGE
    document = _document(result.stdout)
    assert (document["object"], document["exit_code"]) == (command, ExitCode.USAGE)
    assert "No such option: --" in document["error"] and document["hint"].startswith("See 'exportctl")


@pytest.mark.parametrize("command", _commands())
def test_every_command_prints_the_document_for_a_value_it_refuses(cli: Cli, command: str) -> None:
    result = cli(command, "--json", *BAD_VALUES[command])

    assert result.exit_code == ExitCode.USAGE, result.output
    document = _document(result.stdout)
    assert (document["object"], document["exit_code"]) == (command, ExitCode.USAGE)
    assert document["error"] and document["error"][:30] in result.stderr  # the person's message too
