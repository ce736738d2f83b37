"""The official Python SDK (`voucherify`) against the sandbox, used exactly as its documentation shows.

Its request bodies reach the sandbox unchanged, nulls and all (`from_dict` marks every optional
property as set, so `order`, `filters` and `campaign_id` go out as null), and each export is polled
with the SDK, downloaded from `result.url` and compared with the store.

Three of the SDK's response models reject what the real API answers (they allow one-character
strings in `filters.*.conditions.$in`, from a `maxLength: 1` in the OpenAPI document); for those
calls the test reads the answer as JSON, as a user of the SDK has to.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from exportctl import schema
from exportctl.sandbox import Sandbox

voucherify = pytest.importorskip("voucherify")
models = pytest.importorskip("voucherify.models")
exceptions = pytest.importorskip("voucherify.exceptions")


@pytest.fixture
def client(sandbox: Sandbox) -> Any:
    configuration = voucherify.Configuration(
        host=sandbox.base_url, api_key={"X-App-Id": sandbox.app_id, "X-App-Token": sandbox.secret_key}
    )
    with voucherify.ApiClient(configuration) as api_client:
        yield api_client


def title(exported_object: str, name: str) -> str:
    return next(f.title for f in schema.accepted_fields(exported_object) if f.name == name)


def table_values(sandbox: Sandbox, sql: str, *params: Any) -> list[list[str]]:
    """Rows from the store as the CSV writes them: text, a missing value empty."""
    return [["" if value is None else str(value) for value in row] for row in sandbox.store.rows(sql, params)]


def downloaded(sandbox: Sandbox, client: Any, export_id: str) -> list[list[str]]:
    """Poll with the SDK until DONE, then GET result.url with the X-App headers; the CSV's rows."""
    exports = voucherify.ExportsApi(client)
    deadline = time.monotonic() + 20
    export = exports.get_export(export_id)
    while export.status not in ("DONE", "ERROR") and time.monotonic() < deadline:
        time.sleep(0.05)
        export = exports.get_export(export_id)
    assert export.status == "DONE", export
    response = requests.get(export.result.url, headers=sandbox.headers, timeout=10)
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))


def the_middle(sandbox: Sandbox, sql: str, *params: Any) -> str:
    """The median of a column: a boundary inside the data, whatever day it was generated for."""
    values = sandbox.store.rows(sql, params)
    return str(values[len(values) // 2][0])


# Per object: the parameters a user passes to `from_dict`, and the store's rows they must produce.
Case = tuple[dict[str, Any], Callable[[Sandbox, dict[str, Any]], list[list[str]]], bool]


def _vouchers(sandbox: Sandbox) -> Case:
    since = the_middle(sandbox, "SELECT updated_at FROM vouchers ORDER BY updated_at")
    after = {"conditions": {"$after": since}}
    parameters = {
        "fields": ["code", "voucher_type", "validation_rules_id"],
        "order": "-created_at",
        "filters": {"junction": "OR", "created_at": after, "updated_at": after},
    }
    sql = (
        "SELECT code, voucher_type, validation_rules_id FROM vouchers WHERE created_at > ? OR updated_at > ?"
        " ORDER BY created_at DESC, rowid"
    )
    return parameters, lambda sb, _: table_values(sb, sql, since, since), True


def _redemptions(sandbox: Sandbox) -> Case:
    since = the_middle(sandbox, "SELECT updated_at FROM redemptions ORDER BY updated_at")
    after = {"conditions": {"$after": since}}
    parameters = {
        "fields": ["id", "order_id", "result"],
        "filters": {"junction": "OR", "created_at": after, "updated_at": after},
    }
    sql = "SELECT id, order_id, result FROM redemptions WHERE date > ? OR updated_at > ?"
    return parameters, lambda sb, _: table_values(sb, sql, since, since), False


def _orders(sandbox: Sandbox) -> Case:
    parameters = {"fields": ["id", "source_id", "status"], "filters": {"status": {"conditions": {"$in": "PAID"}}}}
    sql = "SELECT id, source_id, status FROM orders WHERE status = 'PAID'"
    return parameters, lambda sb, _: table_values(sb, sql), False


def _publications(sandbox: Sandbox) -> Case:
    parameters = {
        "fields": ["voucher_code", "customer_id", "channel"],
        "filters": {"junction": "AND", "result": {"conditions": {"$is": "SUCCESS"}}},
    }
    sql = "SELECT voucher_code, customer_id, channel FROM publications WHERE result = 'SUCCESS'"
    return parameters, lambda sb, _: table_values(sb, sql), False


def _customers(sandbox: Sandbox) -> Case:
    day = the_middle(sandbox, "SELECT created_at FROM customers ORDER BY created_at")[:10]
    parameters = {"fields": ["id", "name", "email"], "filters": {"created_at": {"conditions": {"$before": day}}}}
    sql = "SELECT id, name, email FROM customers WHERE created_at < ?"
    return parameters, lambda sb, _: table_values(sb, sql, f"{day}T00:00:00.000Z"), False


def _points(sandbox: Sandbox) -> Case:
    campaign_id = str(sandbox.store.rows("SELECT campaign_id FROM points_buckets LIMIT 1")[0][0])
    parameters = {
        "fields": ["id", "voucher_id", "status", "points"],
        "order": "expires_at",
        "filters": {"campaign_id": {"conditions": {"$is": campaign_id}}},
    }
    sql = "SELECT id, voucher_id, status, points FROM points_buckets WHERE campaign_id = ? ORDER BY expires_at, rowid"
    return parameters, lambda sb, _: table_values(sb, sql, campaign_id), True


def _transactions(sandbox: Sandbox) -> Case:
    since = the_middle(sandbox, "SELECT created_at FROM voucher_transactions ORDER BY created_at")
    parameters = {"fields": ["id", "type", "voucher_id"], "filters": {"created_at": {"conditions": {"$after": since}}}}
    sql = "SELECT id, type, voucher_id FROM voucher_transactions WHERE created_at > ?"
    return parameters, lambda sb, _: table_values(sb, sql, since), False


def _products(sandbox: Sandbox) -> Case:
    # The SDK 6.1.1 enums: product fields and the orders it added for products and SKUs.
    parameters = {"fields": ["id", "name", "price", "attributes", "created_at"], "order": "-name"}
    sql = "SELECT id, name, price, attributes, created_at FROM products ORDER BY name DESC, rowid"
    return parameters, lambda sb, _: table_values(sb, sql), True


def _skus(sandbox: Sandbox) -> Case:
    since = the_middle(sandbox, "SELECT created_at FROM skus ORDER BY created_at")
    parameters = {
        "fields": ["id", "sku", "product_id", "currency", "price", "attributes"],
        "order": "product_id",
        "filters": {"created_at": {"conditions": {"$after": since}}},
    }
    sql = (
        "SELECT id, sku, product_id, currency, price, attributes FROM skus WHERE created_at > ?"
        " ORDER BY product_id, rowid"
    )
    return parameters, lambda sb, _: table_values(sb, sql, since), True


CASES: dict[str, Callable[[Sandbox], Case]] = {
    "voucher": _vouchers,
    "redemption": _redemptions,
    "order": _orders,
    "publication": _publications,
    "customer": _customers,
    "points_expiration": _points,
    "voucher_transactions": _transactions,
    "product": _products,
    "sku": _skus,
}


def test_every_exported_object_is_covered() -> None:
    # api_log is in the changelog only, not in the SDK's enum of exported objects.
    assert set(CASES) == set(schema.API_OBJECTS) - {"api_log"}
    with pytest.raises(ValueError, match="must be one of enum values"):
        models.ExportsCreateRequestBody.from_dict({"exported_object": "api_log"})


@pytest.mark.parametrize("exported_object", list(CASES))
def test_create_export_with_the_sdk_end_to_end(sandbox: Sandbox, client: Any, exported_object: str) -> None:
    parameters, expected_rows, ordered = CASES[exported_object](sandbox)
    body = models.ExportsCreateRequestBody.from_dict({"exported_object": exported_object, "parameters": parameters})
    # What goes on the wire: the SDK's nulls for everything the user left out.
    sent = body.to_dict()["parameters"]
    assert {key for key, value in sent.items() if value is None} == {"order", "filters", "campaign_id"} - set(
        parameters
    )
    created = voucherify.ExportsApi(client).create_export(body)
    assert created.status == "SCHEDULED"
    assert created.exported_object == exported_object
    header, *rows = downloaded(sandbox, client, created.id)
    assert header == [title(exported_object, name) for name in parameters["fields"]]
    expected = expected_rows(sandbox, parameters)
    assert expected, "the filter should select some rows"
    assert rows == expected if ordered else sorted(rows) == sorted(expected)


def _ids(rows: list[list[str]]) -> list[str]:
    return sorted(row[0] for row in rows[1:])


def _store_ids(sandbox: Sandbox, sql: str, *params: Any) -> list[str]:
    return sorted(str(row[0]) for row in sandbox.store.rows(sql, params))


def _loyalty_card(sandbox: Sandbox) -> tuple[str, str, str]:
    """(id, code, campaign id) of the loyalty card with the most transactions."""
    row = sandbox.store.rows(
        "SELECT v.id, v.code, v.campaign_id FROM vouchers v WHERE v.voucher_type = 'LOYALTY_CARD'"
        " ORDER BY (SELECT count(*) FROM voucher_transactions t WHERE t.voucher_id = v.id) DESC, v.rowid LIMIT 1"
    )[0]
    return str(row[0]), str(row[1]), str(row[2])


def _gift_campaign(sandbox: Sandbox) -> str:
    return str(sandbox.store.rows("SELECT id FROM campaigns WHERE voucher_type = 'GIFT_VOUCHER' LIMIT 1")[0][0])


def _raw_export_id(response: Any) -> str:
    assert response.status == 200, response.data
    return str(json.loads(response.data)["id"])


# The SDK marks the /v1/loyalties export endpoints deprecated; the API still documents and serves them.
@pytest.mark.filterwarnings("ignore:POST /v1/loyalties/:DeprecationWarning")
def test_per_resource_exports_with_the_sdk(sandbox: Sandbox, client: Any) -> None:
    card_id, code, loyalty_id = _loyalty_card(sandbox)
    gift_id = _gift_campaign(sandbox)
    of_card = _store_ids(sandbox, "SELECT id FROM voucher_transactions WHERE voucher_id = ?", card_id)
    fields: dict[str, Any] = {"parameters": {"fields": ["id", "created_at"], "order": "-created_at"}}
    vouchers, campaigns = voucherify.VouchersApi(client), voucherify.CampaignsApi(client)
    loyalties, orders = voucherify.LoyaltiesApi(client), voucherify.OrdersApi(client)

    voucher_body = models.VouchersTransactionsExportCreateRequestBody.from_dict(fields)
    voucher_export = _raw_export_id(vouchers.export_voucher_transactions_without_preload_content(code, voucher_body))
    assert _ids(downloaded(sandbox, client, voucher_export)) == of_card

    campaign_body = models.CampaignsTransactionsExportCreateRequestBody.from_dict(fields)
    answer = campaigns.export_campaign_transactions_without_preload_content(gift_id, campaign_body)
    assert _ids(downloaded(sandbox, client, _raw_export_id(answer))) == _store_ids(
        sandbox, "SELECT id FROM voucher_transactions WHERE campaign_id = ?", gift_id
    )

    loyalty_body = models.LoyaltiesTransactionsExportCreateRequestBody.from_dict(fields)
    answer = loyalties.export_loyalty_campaign_transactions_without_preload_content(loyalty_id, loyalty_body)
    assert _ids(downloaded(sandbox, client, _raw_export_id(answer))) == _store_ids(
        sandbox, "SELECT id FROM voucher_transactions WHERE campaign_id = ?", loyalty_id
    )

    # This model keeps the `conditions` level of filters and sends the 24 other operators as null.
    since = the_middle(
        sandbox, "SELECT created_at FROM voucher_transactions WHERE voucher_id = ? ORDER BY created_at", card_id
    )
    member_filters = {"junction": "and", "created_at": {"conditions": {"$after": [since]}}}
    member_body = models.LoyaltiesMembersTransactionsExportCreateRequestBody.from_dict(
        {"parameters": {**fields["parameters"], "filters": member_filters}}
    )
    assert member_body.to_dict()["parameters"]["filters"]["created_at"]["conditions"]["$before"] is None
    of_card_since = _store_ids(
        sandbox, "SELECT id FROM voucher_transactions WHERE voucher_id = ? AND created_at > ?", card_id, since
    )
    assert 0 < len(of_card_since) < len(of_card)
    member = loyalties.export_loyalty_card_transactions(code, member_body)
    assert member.exported_object == "voucher_transactions"
    assert _ids(downloaded(sandbox, client, member.id)) == of_card_since
    in_campaign = loyalties.export_loyalty_card_transactions1(loyalty_id, code, member_body)
    assert _ids(downloaded(sandbox, client, in_campaign.id)) == of_card_since

    points_body = models.LoyaltiesPointsExpirationExportCreateRequestBody.from_dict(
        {"parameters": {"fields": ["id", "points"], "order": "-expires_at"}}
    )
    points = loyalties.create_points_expiration_export(loyalty_id, points_body)
    assert points.exported_object == "points_expiration"
    assert _ids(downloaded(sandbox, client, points.id)) == _store_ids(
        sandbox, "SELECT id FROM points_buckets WHERE campaign_id = ?", loyalty_id
    )

    orders_body = models.OrdersExportCreateRequestBody.from_dict({"parameters": {"fields": ["id", "status"]}})
    order_export = orders.create_order_export(orders_body)
    assert _ids(downloaded(sandbox, client, order_export.id)) == _store_ids(sandbox, "SELECT id FROM orders")


def test_wrong_credentials_are_the_sdks_unauthorized_exception(sandbox: Sandbox) -> None:
    configuration = voucherify.Configuration(host=sandbox.base_url, api_key={"X-App-Id": "x", "X-App-Token": "y"})
    with voucherify.ApiClient(configuration) as api_client, pytest.raises(exceptions.UnauthorizedException) as caught:
        voucherify.ExportsApi(api_client).list_exports()
    assert caught.value.status == 401
    assert json.loads(caught.value.body) == {"code": 401, "message": "Unauthorized", "key": "unauthorized"}
