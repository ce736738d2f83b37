"""The one --json contract: every command prints one object with the README table's keys, success or failure."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from exportctl.cli.json_contract import CONTRACT_KEYS
from tests.cli.conftest import Cli

README = Path(__file__).resolve().parents[2] / "README.md"
RUN_FILE = """\
exports:
  - name: codes
    object: voucher
    parameters: {fields: [code]}
    output: codes.csv
"""


def readme_contract() -> list[str]:
    """The keys of the README's JSON contract table, in its order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### The JSON contract", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.MULTILINE)


def one_document(stdout: str) -> dict[str, Any]:
    """Standard output is exactly one JSON object with every contract key."""
    document = json.loads(stdout)
    assert isinstance(document, dict)
    missing = [key for key in CONTRACT_KEYS if key not in document]
    assert missing == [], missing
    return document


def test_the_readme_table_is_the_contract() -> None:
    assert readme_contract() == list(CONTRACT_KEYS)


def _done_export(cli: Cli) -> str:
    export_id = cli("voucher", "--no-wait", "--fields", "code").stdout.strip()
    assert cli("wait", export_id).exit_code == 0
    return export_id


def test_every_command_prints_the_contract_on_success(cli: Cli, isolated: Path) -> None:
    export = one_document(cli("voucher", "--fields", "code", "-o", "v.csv", "--json").stdout)
    assert export | {"seconds": 0} == export | {
        "object": "voucher",
        "exported_object": "voucher",
        "status": "DONE",
        "exit_code": 0,
        "error": None,
        "hint": None,
        "output": "v.csv",
        "seconds": 0,
    }
    assert export["rows"] == len((isolated / "v.csv").read_text().splitlines()) - 1
    export_id = _done_export(cli)
    documents = {
        "list": cli("list", "--json"),
        "status": cli("status", export_id, "--json"),
        "wait": cli("wait", export_id, "--json"),
        "download": cli("download", export_id, "-o", "d.csv", "--json"),
        "delete": cli("delete", export_id, "--yes", "--json"),
        "run": cli("run", _write(isolated), "--json"),
    }
    for command, result in documents.items():
        assert result.exit_code == 0, (command, result.output)
        document = one_document(result.stdout)
        assert document["object"] == command and document["exit_code"] == 0 and document["error"] is None
        if command not in ("list", "run"):
            assert document["export_id"] == export_id
        if command in ("status", "wait", "download"):
            assert document["status"] == "DONE" and document["exported_object"] == "voucher"
    assert one_document(documents["download"].stdout)["output"] == "d.csv"
    run = one_document(documents["run"].stdout)
    assert [entry["status"] for entry in run["exports"]] == ["DONE"]  # the API's status, as everywhere
    assert all(key in run["exports"][0] for key in CONTRACT_KEYS)


def _write(directory: Path) -> str:
    path = directory / "run.yaml"
    path.write_text(RUN_FILE, encoding="utf-8")
    return str(path)


def test_an_export_that_ends_in_error_still_prints_the_contract(cli: Cli) -> None:
    cli.sandbox.faults.fail_next_job("Disk on fire")
    result = cli("voucher", "-o", "v.csv", "--json")
    assert result.exit_code == 5
    document = one_document(result.stdout)
    assert document["exit_code"] == 5 and document["status"] == "ERROR"
    assert document["export_id"].startswith("exp_") and "Disk on fire" in document["error"]
    assert document["output"] is None


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_a_timeout_prints_the_contract_with_the_id_to_wait_for(cli: Cli) -> None:
    cli.sandbox.faults.hold_in_progress(30)
    result = cli("voucher", "-o", "v.csv", "--timeout", "1s", "--json")
    assert result.exit_code == 6
    document = one_document(result.stdout)
    assert document["exit_code"] == 6 and document["status"] in ("SCHEDULED", "IN_PROGRESS")
    assert f"exportctl wait {document['export_id']}" in document["hint"]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["voucher", "--fields", "nosuch", "--json"], 2),
        (["status", "exp_doesnotexist", "--json"], 4),
        (["wait", "exp_doesnotexist", "--json"], 4),
        (["download", "exp_doesnotexist", "-o", "d.csv", "--json"], 4),
        (["delete", "exp_doesnotexist", "--yes", "--json"], 4),
        (["run", "missing.yaml", "--json"], 2),
    ],
)
def test_failures_print_the_contract_with_the_error(cli: Cli, argv: list[str], code: int) -> None:
    result = cli(*argv)
    assert result.exit_code == code, result.output
    document = one_document(result.stdout)
    assert document["exit_code"] == code and document["error"] and document["object"] == argv[0]


@pytest.mark.parametrize("argv", [["voucher", "-o", "-", "--json"], ["download", "exp_x", "-o", "-", "--json"]])
def test_json_and_csv_on_stdout_together_are_refused_offline(cli: Cli, argv: list[str]) -> None:
    before = cli.export_count()
    result = cli(*argv, credentials=False)
    assert result.exit_code == 2
    document = one_document(result.stdout)  # standard output holds the JSON and no CSV row
    assert "-o -" in document["error"] and "-o FILE.csv" in document["hint"]
    assert cli.export_count() == before
