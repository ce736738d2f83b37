"""End to end through the CLI: each kind's transactions command exports only its kind, and --member."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from exportctl import schema
from tests.cli.conftest import Cli

FIELDS = "id,type,voucher_id,campaign_id,amount,created_at"


def _records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _all_transactions(cli: Cli, *scope: str) -> list[str]:
    """The data lines of voucher-transactions (every kind), for the same fields and scope."""
    result = cli("voucher-transactions", "--fields", FIELDS, "--order", "created_at", *scope, "-o", "-")
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def _saved(cli: Cli, isolated: Path, command: str, *args: str) -> tuple[dict[str, Any], bytes]:
    result = cli(command, "--order", "created_at", *args, "-o", "out.csv", "--force", "--json")
    assert result.exit_code == 0, result.output
    saved = (isolated / "out.csv").read_bytes()
    summary = json.loads(result.stdout)
    # The summary describes the saved (filtered) file, not what the API sent.
    assert summary["sha256"] == hashlib.sha256(saved).hexdigest() and summary["bytes"] == len(saved)
    assert summary["rows"] == len(saved.decode("utf-8").splitlines()) - 1
    return summary, saved


@pytest.mark.parametrize(
    ("command", "types"),
    [
        ("gift-card-transactions", schema.GIFT_TRANSACTION_TYPES),
        # PENDING_POINTS_ACTIVATION is a loyalty type without the POINTS_ prefix.
        ("loyalty-card-transactions", schema.LOYALTY_TRANSACTION_TYPES),
    ],
)
def test_a_kinds_command_without_scope_exports_only_its_kind(
    cli: Cli, isolated: Path, command: str, types: tuple[str, ...]
) -> None:
    every = _all_transactions(cli)
    kinds = {row["Type"][: row["Type"].index("_") + 1] for row in _records("\n".join(every))}
    assert kinds == {"CREDITS_", "POINTS_", "PENDING_"}  # the API's export mixes both kinds
    _, saved = _saved(cli, isolated, command, "--fields", FIELDS)
    lines = saved.decode("utf-8").splitlines()
    assert lines[0] == every[0]
    # Exactly the records of the kind, byte for byte and in the API's order.
    assert lines[1:] == [line for line in every[1:] if line.split(",")[1] in types]
    assert len(lines) > 10


def test_the_kinds_filter_keeps_working_with_defaults_field_names_and_a_split(cli: Cli, isolated: Path) -> None:
    _, whole = _saved(cli, isolated, "gift-card-transactions")  # the API's default fields
    rows = _records(whole.decode("utf-8"))
    assert rows and all(row["Type"].startswith("CREDITS_") for row in rows)
    first, last = rows[0]["Created At"][:10], rows[-1]["Created At"][:10]
    summary, split = _saved(
        cli, isolated, "gift-card-transactions", "--headers", "fields",
        "--split-by", "month", "--since", first, "--until", f"{int(last[:4]) + 1}-01-01",
    )  # fmt: skip
    joined = _records(split.decode("utf-8"))
    assert [row["type"] for row in joined] == [row["Type"] for row in rows]
    assert summary["rows"] == sum(window["rows"] for window in summary["windows"])


def test_a_kinds_command_without_the_type_field_is_refused_offline(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    result = cli("gift-card-transactions", "--fields", "id,amount", "-o", "out.csv")
    assert result.exit_code == 2, result.output
    assert "needs the type field" in result.output and "voucher-transactions" in result.output
    assert "Traceback" not in result.output
    assert cli.export_count() == before and not (isolated / "out.csv").exists()


def test_member_exports_one_loyalty_cards_transactions_through_the_loyalty_endpoints(cli: Cli, isolated: Path) -> None:
    voucher_id, code, campaign_id = cli.sandbox.store.rows(
        "SELECT v.id, v.code, v.campaign_id FROM vouchers v JOIN voucher_transactions t ON t.voucher_id = v.id "
        "WHERE v.voucher_type = 'LOYALTY_CARD' GROUP BY v.id ORDER BY COUNT(*) DESC, v.id LIMIT 1"
    )[0]
    expected = _all_transactions(cli, "--voucher", code)[1:]
    assert expected
    for scope in (("--member", code), ("--campaign", campaign_id, "--member", code)):
        # The endpoint gives loyalty transactions only: no type column is needed.
        _, saved = _saved(cli, isolated, "loyalty-card-transactions", "--fields", "id,amount", *scope)
        assert saved.decode("utf-8").splitlines()[1:] == [
            ",".join(line.split(",")[i] for i in (0, 4)) for line in expected
        ]
    # Its campaign alone: every record is that campaign's, each a loyalty one.
    _, saved = _saved(cli, isolated, "loyalty-card-transactions", "--fields", FIELDS, "--campaign", campaign_id)
    rows = _records(saved.decode("utf-8"))
    assert rows and {row["Campaign ID"] for row in rows} == {campaign_id}
    assert voucher_id in {row["Voucher ID"] for row in rows}
    refused = cli("gift-card-transactions", "--member", code, "-o", "-")
    assert refused.exit_code == 2 and "--member" in refused.output


def test_a_broken_download_of_a_kind_starts_over_and_saves_the_filtered_file(cli: Cli, isolated: Path) -> None:
    _, clean = _saved(cli, isolated, "loyalty-card-transactions", "--fields", FIELDS)
    assert len(clean) > 3000  # the break comes within the file, after records were already written
    cli.sandbox.faults.drop_download_after(3000)
    summary, saved = _saved(cli, isolated, "loyalty-card-transactions", "--fields", FIELDS)
    assert saved == clean and summary["rows"] == len(clean.splitlines()) - 1


@pytest.mark.default_polling  # polling itself is under test: the product's schedule
def test_a_kinds_export_left_on_the_server_says_that_its_file_holds_every_kind(cli: Cli, isolated: Path) -> None:
    cli.sandbox.faults.hold_in_progress(5)
    result = cli("gift-card-transactions", "--timeout", "1s", "-o", "out.csv")
    assert result.exit_code == 6, result.output
    assert "exportctl wait" in result.output
    assert "holds every kind of transaction; rerun this command" in result.output
    assert not (isolated / "out.csv").exists()


def test_schema_says_which_rows_a_kinds_command_keeps_and_where_the_endpoint_does_it(cli: Cli) -> None:
    gift = json.loads(cli("schema", "gift-card-transactions", "--json", credentials=False).stdout)
    assert gift["kept_types"] and all(kind.startswith("CREDITS_") for kind in gift["kept_types"])
    assert gift["kind_endpoints"] == []
    loyalty = json.loads(cli("schema", "loyalty-card-transactions", "--json", credentials=False).stdout)
    assert loyalty["kind_endpoints"] == ["--campaign", "--member", "--campaign --member"]
    assert json.loads(cli("schema", "voucher-transactions", "--json", credentials=False).stdout)["kept_types"] == []


def test_validate_refuses_a_kind_without_type_only_where_no_loyalty_endpoint_scopes_it(
    cli: Cli, isolated: Path
) -> None:
    (isolated / "run.yaml").write_text(
        "exports:\n"
        "  - {name: one-card, object: loyalty-card-transactions, member: LC-1, campaign: c1,"
        " parameters: {fields: [id, amount]}}\n"
        "  - {name: gifts, object: gift-card-transactions, parameters: {fields: [id, amount]}}\n",
        encoding="utf-8",
    )
    result = cli("validate", "run.yaml", credentials=False)
    assert result.exit_code == 2, result.output
    assert "gifts: gift-card-transactions needs the type field" in result.output
    assert "one-card" not in result.output
