"""What the API documents is accepted and sent in the forms real clients use: end to end against the sandbox.

Default field lists passed back, fields real exports use beyond the spec's tables, JSON booleans,
presence operators as `true`, a date in an equality meaning that whole day.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox
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


def _sent_filters(cli: Cli, command: str, *filters: str) -> dict[str, object]:
    args = [command, "--dry-run", *(part for f in filters for part in ("--filter", f))]
    result = cli(*args, credentials=False)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout)["parameters"]["filters"])


def _ids(cli: Cli, command: str, *filters: str) -> set[str]:
    args = [command, "--fields", "id", "-o", "-", *(part for f in filters for part in ("--filter", f))]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return {row[0] for row in _csv(result.stdout)[1:]}


def test_booleans_are_sent_as_json_booleans_and_select_those_records(cli: Cli, sandbox: Sandbox) -> None:
    assert _sent_filters(cli, "voucher", "is_referral_code=false")["is_referral_code"] == {
        "conditions": {"$is": [False]}
    }
    expected = {str(r[0]) for r in sandbox.store.rows("SELECT id FROM vouchers WHERE is_referral_code = 1")}
    assert expected and _ids(cli, "voucher", "is_referral_code=TRUE") == expected


def test_presence_operators_are_sent_as_true_and_select_those_records(cli: Cli, sandbox: Sandbox) -> None:
    sent = _sent_filters(cli, "customer", "metadata.tier?", "metadata.favourite_categories!?")
    assert sent["metadata.tier"] == {"conditions": {"$has_value": True}}
    assert sent["metadata.favourite_categories"] == {"conditions": {"$is_unknown": True}}
    without = {
        str(r[0])
        for r in sandbox.store.rows(
            "SELECT id FROM customers WHERE json_extract(metadata, '$.favourite_categories') IS NULL"
        )
    }
    assert without and _ids(cli, "customer", "metadata.favourite_categories!?") == without


def test_a_date_in_an_equality_means_that_whole_day(cli: Cli, sandbox: Sandbox) -> None:
    day = sandbox.store.rows(
        "SELECT substr(created_at, 1, 10) FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )[0][0]
    expected = {str(r[0]) for r in sandbox.store.rows("SELECT id FROM orders WHERE created_at LIKE ?", (f"{day}%",))}
    assert _ids(cli, "order", f"created_at={day}") == expected != set()
    assert _ids(cli, "order", f"created_at:$is:{day}") == expected


@pytest.mark.parametrize(
    ("filters", "says"),
    [
        (["created_at!=2024-01-01"], "--since FIRST_DAY --until DAY_AFTER_THE_LAST"),
        (["created_at=2024-01-01,2024-01-02"], "$in cannot express"),
        (["created_at=2024-01-01", "created_at>2023-06-01"], "means the whole day"),
    ],
)
def test_days_that_cannot_be_expressed_are_refused_with_how_to_write_them(
    cli: Cli, filters: list[str], says: str
) -> None:
    result = cli("order", "--dry-run", *(part for f in filters for part in ("--filter", f)), credentials=False)
    assert result.exit_code == 2
    assert says in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("expression", "sql"),
    [
        ("loyalty_tier.ltr_sandbox.points>0", "json_extract(loyalty_tier, '$.ltr_sandbox.points') > 0"),
        ("events.order_paid.count>1", "json_extract(events, '$.order_paid.count') > 1"),
        ("system.metadata.source=Shopify", "json_extract(system_metadata, '$.source') = 'Shopify'"),
    ],
)
def test_the_documented_customer_filter_prefixes(cli: Cli, sandbox: Sandbox, expression: str, sql: str) -> None:
    expected = {str(r[0]) for r in sandbox.store.rows(f"SELECT id FROM customers WHERE {sql}")}
    assert expected and _ids(cli, "customer", expression) == expected


def test_operators_beyond_filters_condition_are_sent_and_left_to_the_api(cli: Cli) -> None:
    sent = _sent_filters(cli, "order", "created_at:$this_week", "metadata.tags:$in_location:a,b")
    assert sent["created_at"] == {"conditions": {"$this_week": True}}  # "takes true as the value"
    assert sent["metadata.tags"] == {"conditions": {"$in_location": ["a", "b"]}}
    assert _sent_filters(cli, "order", "created_at:is_years_ago:2")["created_at"] == {
        "conditions": {"$is_years_ago": [2]}
    }
    shown = json.loads(cli("schema", "order", "--json", credentials=False).stdout)["operators"]
    assert "$this_week" in shown["calendar"] and "$in_location" in shown["passed_through"]
    assert "passed_through: sent as written" in " ".join(cli("schema", "order", credentials=False).stdout.split())
    # The sandbox, like FiltersCondition, knows none of them: the API's answer is shown, exit 4, not refused offline.
    result = cli("order", "--filter", "created_at:$today", "-o", "-")
    assert result.exit_code == 4, result.output
    assert "invalid_payload" in result.stderr and "$today" in result.stderr


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("created_at:$is_years_ago:two", "$is_years_ago takes years, a whole number"),
        ("status:$today", "does not apply to the string field 'status'"),
        ("created_at:$today:2024-01-01", "$today takes no value"),
    ],
)
def test_operators_beyond_filters_condition_have_their_documented_values_checked(
    cli: Cli, expression: str, says: str
) -> None:
    result = cli("order", "--filter", expression, "--dry-run", credentials=False)
    assert result.exit_code == 2
    assert says in " ".join(result.stderr.split())


def test_the_api_filter_object_in_yaml_takes_the_same_forms(cli: Cli, isolated: Path) -> None:
    (isolated / "o.yaml").write_text(
        "parameters:\n  filters:\n    junction: AND\n"
        "    created_at: {conditions: {$is: [2024-01-15]}}\n"
        "    metadata.region: {conditions: {$is_unknown: true}}\n",
        encoding="utf-8",
    )
    result = cli("order", "-c", "o.yaml", "--dry-run", credentials=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parameters"]["filters"] == {
        "junction": "and",
        "created_at": {"conditions": {"$after": ["2024-01-14T23:59:59.999Z"], "$before": ["2024-01-16T00:00:00.000Z"]}},
        "metadata.region": {"conditions": {"$is_unknown": True}},
    }
