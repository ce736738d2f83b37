"""What the API documents is accepted and sent in the forms real clients use: end to end against the sandbox.

Default field lists passed back, fields real exports use beyond the spec's tables, JSON booleans and
numbers, presence operators as `true`, a date in an equality meaning that whole day.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from exportctl.schema import EXPORT_OBJECTS, ExportObject
from tests.cli.conftest import Cli


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("obj", EXPORT_OBJECTS, ids=lambda obj: obj.command)
def test_the_default_field_list_passed_back_exports_those_columns(cli: Cli, obj: ExportObject) -> None:
    shown = cli("schema", obj.command, "--json", credentials=False)
    defaults = json.loads(shown.stdout)["default_fields"]
    result = cli(obj.command, "--fields", ",".join(defaults), "--headers", "fields", "-o", "-")
    assert result.exit_code == 0, result.output
    assert _csv(result.stdout)[0] == defaults


@pytest.mark.parametrize(
    ("command", "field"), [("voucher", "validation_rules_id"), ("redemption", "order_id"), ("publication", "code")]
)
def test_fields_real_exports_use_beyond_the_tables(cli: Cli, command: str, field: str) -> None:
    result = cli(command, "--fields", f"id,{field}" if command != "publication" else field, "--headers", "fields",
                 "-o", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _csv(result.stdout)[0][-1] == field
