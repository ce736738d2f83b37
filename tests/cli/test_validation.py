"""Bad input: one clear message, exit 2, nothing submitted, no traceback, no credentials needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Cli

CASES = [
    (["voucher", "--fields", "code,valeu"], ["unknown field 'valeu'", "Did you mean 'value'", "Valid values:"]),
    (["voucher", "--order", "-craeted_at"], ["-craeted_at", "Did you mean '-created_at'", "Valid values:"]),
    (["order", "--filter", "stauts=PAID"], ["stauts", "Did you mean 'status'"]),
    (["order", "--filter", "status=PAYED"], ["PAYED", "Did you mean 'PAID'"]),
    (["order", "--filter", "amount:$more_thn:5"], ["$more_thn", "Did you mean '$more_than'"]),
    (["order", "--filter", "amount>lots"], ["amount", "lots"]),
    (["order", "--filter", "created_at>yesterday"], ["created_at", "yesterday"]),
    (["order", "--junction", "xor", "--filter", "status=PAID"], ["xor", "and", "or"]),
    (["voucher", "--timeout", "soon"], ["soon"]),
    (["voucher", "--output", "{object}-{nope}.csv"], ["nope", "{object}"]),
    (["voucher", "--output-dir", "/etc/passwd/sub"], ["/etc/passwd", "is a file"]),
    (["voucher", "--filter", "amount>5"], ["amount", "Valid values:"]),
]


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(case[0]) for case in CASES])
def test_bad_input_is_one_clear_message_and_exit_2(cli: Cli, args: list[str], expected: list[str]) -> None:
    before = cli.export_count()
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    for fragment in expected:
        assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert cli.export_count() == before


def test_validation_happens_before_credentials_are_read(cli: Cli) -> None:
    result = cli("voucher", "--fields", "nope", credentials=False)
    assert result.exit_code == 2
    assert "unknown field 'nope'" in result.stderr


def test_unknown_option_is_a_usage_error(cli: Cli) -> None:
    result = cli("voucher", "--feilds", "code")
    assert result.exit_code == 2
    assert "--fields" in result.output  # click's own "did you mean"


def test_yaml_syntax_error_names_file_line_and_column(cli: Cli, isolated: Path) -> None:
    (isolated / "bad.yaml").write_text("parameters:\n  fields: [code, value\n  order: code\n")
    result = cli("voucher", "--config", "bad.yaml")
    assert result.exit_code == 2
    assert "bad.yaml:3:" in result.stderr


def test_unknown_yaml_key_names_the_line_and_a_close_key(cli: Cli, isolated: Path) -> None:
    (isolated / "typo.yaml").write_text("exported_object: voucher\nouptut: v.csv\n")
    result = cli("voucher", "--config", "typo.yaml")
    assert result.exit_code == 2
    assert "typo.yaml:2" in result.stderr and "'output'" in result.stderr


def test_yaml_for_another_object_is_refused(cli: Cli, isolated: Path) -> None:
    (isolated / "orders.yaml").write_text("exported_object: order\n")
    result = cli("voucher", "--config", "orders.yaml")
    assert result.exit_code == 2
    assert "order" in result.stderr and "voucher" in result.stderr


def test_missing_config_file(cli: Cli) -> None:
    result = cli("voucher", "--config", "nowhere.yaml")
    assert result.exit_code == 2
    assert "nowhere.yaml" in result.stderr
