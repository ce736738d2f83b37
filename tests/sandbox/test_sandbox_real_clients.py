"""Request bodies as real clients send them (the official SDKs, a production pipeline), and the echo.

Each form here was seen in a real client or a real example (docs/sandbox.md, "What real clients
send"); the rows they return are checked against the store, and dates are taken from the data, so
nothing depends on the day the suite runs.
"""

from __future__ import annotations

from typing import Any

import pytest

from exportctl import schema
from exportctl.sandbox import Sandbox

from .http_api import Api

SDK_NULLS = {"order": None, "filters": None, "campaign_id": None}


def ids(sandbox: Sandbox, sql: str, *params: Any) -> list[str]:
    return sorted(str(row[0]) for row in sandbox.store.rows(sql, params))


def middle(sandbox: Sandbox, table: str, column: str) -> str:
    """The median value of a column: a date that splits the data, whatever day it was generated on."""
    values = sandbox.store.rows(f"SELECT {column} FROM {table} ORDER BY {column}")
    return str(values[len(values) // 2][0])


@pytest.mark.parametrize("exported_object", list(schema.API_OBJECTS))
def test_sdk_nulls_mean_absent_for_every_object(api: Api, exported_object: str) -> None:
    fields = list(schema.API_OBJECTS[exported_object].default_fields[:2])
    with_nulls = api.create(exported_object, {"fields": fields, **SDK_NULLS})
    assert with_nulls["parameters"] == {"fields": fields}
    assert api.csv_text(with_nulls) == api.csv_text(api.create(exported_object, {"fields": fields}))


def test_nulls_inside_filters_and_conditions_are_absent(api: Api, sandbox: Sandbox) -> None:
    voucher_id, code = sandbox.store.rows("SELECT id, code FROM vouchers LIMIT 1 OFFSET 3")[0]
    filters = {
        "junction": None,
        "created_at": None,
        "code": {"conditions": {"$in": [code], "$is": None, "$not_in": None}},
    }
    export = api.create("voucher", {"fields": ["id"], "filters": filters})
    assert export["parameters"] == {"fields": ["id"], "filters": {"code": {"conditions": {"$in": [code]}}}}
    assert api.cells(export) == [[voucher_id]]


def test_a_null_body_member_is_absent(api: Api) -> None:
    response = api.post("/v1/exports", {"exported_object": "order", "parameters": None})
    assert response.status_code == 200, response.text
    assert response.json()["parameters"] == {}
    api.error(api.post("/v1/exports", {"exported_object": None}), 400, "invalid_payload")


@pytest.mark.parametrize(
    ("exported_object", "table", "created"),
    [("voucher", "vouchers", "created_at"), ("redemption", "redemptions", "date")],
)
def test_upper_case_or_across_created_at_and_updated_at(
    api: Api, sandbox: Sandbox, exported_object: str, table: str, created: str
) -> None:
    # What a production pipeline sends every night to pick up new and changed records. `since` is when
    # a record changed later was created: it is in the export through updated_at only.
    changed = sandbox.store.rows(f"SELECT {created} FROM {table} WHERE updated_at > {created} ORDER BY {created}")
    since = str(changed[len(changed) // 2][0])
    after = {"conditions": {"$after": since}}
    filters = {"junction": "OR", "created_at": after, "updated_at": after}
    got = api.ids(exported_object, filters)
    expected = ids(sandbox, f"SELECT id FROM {table} WHERE {created} > ? OR updated_at > ?", since, since)
    assert got == expected
    only_created = ids(sandbox, f"SELECT id FROM {table} WHERE {created} > ?", since)
    assert len(only_created) < len(expected) < sandbox.store.counts()[exported_object]


def test_single_values_booleans_and_numbers_as_json(api: Api, sandbox: Sandbox) -> None:
    since = middle(sandbox, "vouchers", "created_at")
    single = api.ids("voucher", {"created_at": {"conditions": {"$after": since}}})
    assert single == api.ids("voucher", {"created_at": {"conditions": {"$after": [since]}}})
    assert single == ids(sandbox, "SELECT id FROM vouchers WHERE created_at > ?", since)
    campaign_id = sandbox.store.rows("SELECT campaign_id FROM points_buckets LIMIT 1")[0][0]
    assert api.ids("points_expiration", {"junction": "and", "campaign_id": {"conditions": {"$is": campaign_id}}}) == (
        ids(sandbox, "SELECT id FROM points_buckets WHERE campaign_id = ?", campaign_id)
    )
    no_category = api.ids("voucher", {"categories": {"conditions": {"$is_unknown": True}}})
    assert no_category == ids(sandbox, "SELECT id FROM vouchers WHERE category IS NULL OR category = ''")
    assert no_category
    # The documented example: orders whose discount is above 1,000.00 (amounts are in cents).
    big = api.ids("order", {"discount_amount": {"conditions": {"$more_than": 100000}}})
    assert big == ids(sandbox, "SELECT id FROM orders WHERE discount_amount > 100000")


def test_dates_with_or_without_time_mean_the_same_instant(api: Api, sandbox: Sandbox) -> None:
    day = middle(sandbox, "orders", "created_at")[:10]
    forms = [day, f"{day}T00:00:00.000Z", f"{day}T00:00:00Z", f"{day}T02:00:00+02:00", f"{day}T00:00"]
    results = [api.ids("order", {"created_at": {"conditions": {"$before": form}}}) for form in forms]
    assert all(result == results[0] for result in results)
    assert results[0] == ids(sandbox, "SELECT id FROM orders WHERE created_at < ?", f"{day}T00:00:00.000Z")
    assert results[0]


def test_fields_real_exports_use_beyond_the_table(api: Api, sandbox: Sandbox) -> None:
    vouchers = api.cells(api.create("voucher", {"fields": ["id", "validation_rules_id"]}))
    assert sorted(map(tuple, vouchers)) == sorted(
        (str(i), str(rule or "")) for i, rule in sandbox.store.rows("SELECT id, validation_rules_id FROM vouchers")
    )
    assert any(rule for _, rule in vouchers)
    redemptions = api.cells(api.create("redemption", {"fields": ["id", "order_id"]}))
    assert sorted(map(tuple, redemptions)) == sorted(
        (str(i), str(order)) for i, order in sandbox.store.rows("SELECT id, order_id FROM redemptions")
    )
    assert all(order.startswith("ord_") for _, order in redemptions)


def test_voucher_campaign_id_narrows_and_only_vouchers_take_a_string(api: Api, sandbox: Sandbox) -> None:
    campaign_id = sandbox.store.rows("SELECT campaign_id FROM vouchers WHERE campaign_id IS NOT NULL LIMIT 1")[0][0]
    export = api.create("voucher", {"fields": ["id"], "campaign_id": campaign_id})
    assert export["parameters"] == {"fields": ["id"], "campaign_id": campaign_id}
    assert sorted(row[0] for row in api.cells(export)) == ids(
        sandbox, "SELECT id FROM vouchers WHERE campaign_id = ?", campaign_id
    )
    response = api.post("/v1/exports", {"exported_object": "redemption", "parameters": {"campaign_id": campaign_id}})
    error = api.error(response, 400, "invalid_payload")
    assert "campaign_id" in error["details"] and "voucher" in error["details"]


def test_parameters_are_echoed_as_sent(api: Api, sandbox: Sandbox) -> None:
    assert api.create("voucher")["parameters"] == {}
    sent = {
        "order": "-created_at",
        "fields": ["code", "value"],
        "filters": {"junction": "OR", "type": {"conditions": {"$in": ["GIFT_VOUCHER"]}}},
        "response_format": "CSV",
    }
    created = api.create("voucher", sent)
    assert created["parameters"] == sent
    assert api.wait(created["id"])["parameters"] == sent


def test_operators_without_conditions_are_refused_with_the_form_to_use(api: Api) -> None:
    # What the official Python SDK's campaign transaction filter model sends; the API documents `conditions`.
    filters = {"created_at": {"$after": "2024-01-01T00:00:00+00:00", "$before": None}}
    response = api.post("/v1/exports", {"exported_object": "voucher_transactions", "parameters": {"filters": filters}})
    error = api.error(response, 400, "invalid_payload")
    assert error["details"] == (
        "Property .parameters.filters.created_at should have an object conditions"
        ' ({"created_at": {"conditions": {"$after": ...}}})'
    )
