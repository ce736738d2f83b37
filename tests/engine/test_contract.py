"""engine/contract.py: the keys every `--json` document starts with, and `blank()`, the document they make."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.engine.contract import CONTRACT_KEYS, blank

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_contract_keys() -> list[str]:
    """The keys of the README's "The JSON contract" table, in its order."""
    section = README.read_text(encoding="utf-8").split("### The JSON contract", 1)[1]
    table = section.split("\n\n| key | meaning |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.MULTILINE)


def test_the_keys_are_the_readmes_in_its_order() -> None:
    assert list(CONTRACT_KEYS) == _readme_contract_keys()


def test_a_blank_document_has_every_key_null_but_its_command_and_exit_code() -> None:
    document = blank("list")
    assert list(document) == list(CONTRACT_KEYS)
    assert document["object"] == "list" and document["exit_code"] == 0
    assert {key: value for key, value in document.items() if key not in ("object", "exit_code")} == dict.fromkeys(
        set(CONTRACT_KEYS) - {"object", "exit_code"}
    )


def test_given_values_replace_the_nulls_and_new_keys_come_after_the_contract() -> None:
    document = blank("wait", export_id="exp_1", exit_code=6, total=3)
    assert document["export_id"] == "exp_1" and document["exit_code"] == 6
    assert list(document) == [*CONTRACT_KEYS, "total"]


def test_each_document_is_a_new_dict() -> None:
    first = blank("run")
    first["error"] = "changed"
    assert blank("run")["error"] is None


def test_hostile_values_stay_data_in_the_json_text() -> None:
    hostile = "\x1b[31m[bold]red[/bold]\n\u202e</script>"
    document = blank("status", error=hostile, output="../../etc/passwd")
    assert json.loads(json.dumps(document))["error"] == hostile


def test_a_usage_error_with_json_prints_the_contract_keys_first() -> None:
    """What a user sees: a bad flag with --json is one document whose keys start with the contract's."""
    result = CliRunner().invoke(app, ["voucher", "--bogus", "--json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert list(document)[: len(CONTRACT_KEYS)] == list(CONTRACT_KEYS)
    assert document["exit_code"] == 2 and document["object"] == "voucher" and "--bogus" in document["error"]
