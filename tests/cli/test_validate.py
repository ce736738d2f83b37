"""End to end: `exportctl validate FILE...`, offline: no credentials, no network."""

from __future__ import annotations

import json
from pathlib import Path

from exportctl.errors import ExitCode
from tests.cli.conftest import Cli

SINGLE = """\
exported_object: order
parameters:
  fields: [id, stauts, amount]
  order: -created
  filters:
    - status=PAID
    - amount>abc
timeout: forever
"""

MULTI = """\
defaults:
  output_dir: exports
  colour: red
exports:
  - name: paid-orders
    object: order
    parameters: {fields: [id, amount]}
  - name: cards
    object: gift_card_transactions
  - name: paid-orders
    object: customer
    parameters:
      order: -nme
    output: "{name}-{nope}.csv"
"""


def test_reports_every_problem_of_every_file_with_its_line(cli: Cli, isolated: Path) -> None:
    (isolated / "orders.yaml").write_text(SINGLE, encoding="utf-8")
    (isolated / "nightly.yaml").write_text(MULTI, encoding="utf-8")

    result = cli("validate", "orders.yaml", "nightly.yaml", credentials=False)

    assert result.exit_code == ExitCode.USAGE
    lines = result.stdout.splitlines()
    expected = [
        "orders.yaml:3: parameters.fields[1]: unknown field 'stauts' for order. Did you mean 'status'?",
        "orders.yaml:4: parameters.order: unknown order '-created' for order. Did you mean '-created_at'?",
        "orders.yaml:7: parameters.filters[1]: Filter 'amount>abc': 'abc' is not valid for 'amount'",
        "orders.yaml:8: timeout: Invalid duration 'forever'",
        "nightly.yaml:3: defaults.colour: unknown key 'colour'.",
        "nightly.yaml:9: exports[1].object: unknown object 'gift_card_transactions'. "
        "Did you mean 'gift-card-transactions'?",
        "nightly.yaml:10: exports[2].name: the name 'paid-orders' is used twice (first on line 5).",
        "nightly.yaml:13: exports[2]: parameters.order: unknown order '-nme' for customer. Did you mean '-name'?",
    ]
    assert len(lines) == len(expected) + 1, result.stdout
    for line, start in zip(lines, expected, strict=False):
        assert line.startswith(start), (line, start)
    assert lines[-1].startswith("nightly.yaml:14: exports[2]: output: Unknown placeholder {nope}")
    assert "Valid values: created_at, -created_at" in lines[1]  # what would be valid
    assert "9 problems in 2 of 2 files." in result.stderr


def test_messages_are_those_the_export_command_prints(cli: Cli, isolated: Path) -> None:
    (isolated / "order.yaml").write_text("parameters:\n  order: -created\n", encoding="utf-8")

    validated = cli("validate", "order.yaml", credentials=False)
    exported = cli("order", "-c", "order.yaml", "--dry-run", credentials=False)

    assert validated.exit_code == exported.exit_code == ExitCode.USAGE
    assert validated.stdout.strip() in exported.stderr.replace("\n", " ")


def test_good_files_get_one_ok_line_each(cli: Cli, isolated: Path) -> None:
    (isolated / "gift-card-transactions-weekly.yaml").write_text(
        "parameters: {filters: [created_at>-7d]}\n", encoding="utf-8"
    )
    (isolated / "nightly.yaml").write_text(
        "exports:\n  - {name: a, object: voucher}\n  - {name: b, object: order, output: '{name}.csv'}\n",
        encoding="utf-8",
    )

    result = cli("validate", "gift-card-transactions-weekly.yaml", "nightly.yaml", credentials=False)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "gift-card-transactions-weekly.yaml: OK (one gift-card-transactions export)",
        "nightly.yaml: OK (2 exports: a, b)",
    ]


def test_the_object_of_a_single_file(cli: Cli, isolated: Path) -> None:
    (isolated / "weekly.yaml").write_text("parameters: {fields: [code]}\n", encoding="utf-8")

    unknown = cli("validate", "weekly.yaml", credentials=False)
    chosen = cli("validate", "--object", "voucher", "weekly.yaml", credentials=False)
    wrong = cli("validate", "--object", "order", "weekly.yaml", credentials=False)

    assert unknown.exit_code == ExitCode.USAGE
    assert "cannot tell which object this file exports" in unknown.stdout
    assert chosen.exit_code == 0 and "OK (one voucher export)" in chosen.stdout
    assert wrong.exit_code == ExitCode.USAGE and "unknown field 'code' for order" in wrong.stdout


def test_a_yaml_error_is_a_problem_and_the_other_files_are_still_checked(cli: Cli, isolated: Path) -> None:
    (isolated / "order.yaml").write_text("parameters:\n  fields: [id\n", encoding="utf-8")
    (isolated / "voucher.yaml").write_text("parameters: {order: -code}\n", encoding="utf-8")

    result = cli("validate", "order.yaml", "voucher.yaml", "missing.yaml", credentials=False)

    assert result.exit_code == ExitCode.USAGE
    lines = result.stdout.splitlines()
    assert lines[0].startswith("order.yaml:3:") and "YAML syntax error" in lines[0]
    assert lines[1] == "voucher.yaml: OK (one voucher export)"
    assert lines[2] == "missing.yaml: no such file."


def test_json_lists_problems_as_objects(cli: Cli, isolated: Path) -> None:
    (isolated / "nightly.yaml").write_text(MULTI, encoding="utf-8")
    (isolated / "voucher.yaml").write_text("parameters: {order: -code}\n", encoding="utf-8")

    result = cli("validate", "--json", "nightly.yaml", "voucher.yaml", credentials=False)

    assert result.exit_code == ExitCode.USAGE
    document = json.loads(result.stdout)
    assert document["ok"] is False
    multi, single = document["files"]
    assert multi["kind"] == "multi" and single["kind"] == "single"
    assert single == {"file": "voucher.yaml", "kind": "single", "object": "voucher", "exports": None, "problems": []}
    assert [problem["line"] for problem in multi["problems"]] == [3, 9, 10, 13, 14]
    assert all(problem["file"] == "nightly.yaml" for problem in multi["problems"])
    assert multi["problems"][1]["message"].startswith("nightly.yaml:9: exports[1].object: unknown object")


BAD_VOUCHER = """\
parameters:
  fields: [code, nosuchfield]
  filters: ["status=PAID"]
  colour: red
timeout: soon
"""


def test_config_flag_reports_every_problem_validate_does(cli: Cli, isolated: Path) -> None:
    (isolated / "bad.yaml").write_text(BAD_VOUCHER, encoding="utf-8")
    before = cli.export_count()

    validated = cli("validate", "bad.yaml", "--object", "voucher", credentials=False)
    exported = cli("voucher", "-c", "bad.yaml", "-o", "v.csv")

    assert exported.exit_code == ExitCode.USAGE
    problems = validated.stdout.splitlines()
    assert len(problems) == 4  # an unknown field, a bad filter, an unknown key, a bad duration
    said = exported.stderr.splitlines()
    assert "4 problems in bad.yaml; nothing was submitted." in said[0]
    for problem in problems:
        assert problem in said
    assert "exportctl validate bad.yaml" in exported.stderr
    assert cli.export_count() == before
    assert not (isolated / "v.csv").exists()


def test_config_flag_json_lists_the_problems_as_validate_does(cli: Cli, isolated: Path) -> None:
    (isolated / "bad.yaml").write_text(BAD_VOUCHER, encoding="utf-8")

    validated = json.loads(cli("validate", "bad.yaml", "--object", "voucher", "--json", credentials=False).stdout)
    exported = cli("voucher", "-c", "bad.yaml", "--json")

    assert exported.exit_code == ExitCode.USAGE
    document = json.loads(exported.stdout)
    assert document["exit_code"] == 2
    assert document["error"] == "4 problems in bad.yaml; nothing was submitted."
    assert document["problems"] == validated["files"][0]["problems"]


def test_config_flag_leaves_out_what_a_flag_replaces(cli: Cli, isolated: Path) -> None:
    (isolated / "bad.yaml").write_text(BAD_VOUCHER, encoding="utf-8")

    exported = cli("voucher", "-c", "bad.yaml", "--fields", "id", "--timeout", "5m", "--dry-run", credentials=False)

    assert exported.exit_code == ExitCode.USAGE
    assert "2 problems in bad.yaml" in exported.stderr
    assert "nosuchfield" not in exported.stderr and "soon" not in exported.stderr
    assert "unknown key 'colour'" in exported.stderr and "status=PAID" in exported.stderr


def test_run_file_reports_every_problem_too(cli: Cli, isolated: Path) -> None:
    entry = "".join(f"    {line}\n" for line in BAD_VOUCHER.splitlines())
    (isolated / "nightly.yaml").write_text(f"exports:\n  - name: cards\n    object: voucher\n{entry}", encoding="utf-8")

    result = cli("run", "nightly.yaml", "--json")

    assert result.exit_code == ExitCode.USAGE
    assert len(json.loads(result.stdout)["problems"]) == 4
