"""The CSV as real Voucherify exports write it: titles, metadata key columns and decimal values, over HTTP."""

from __future__ import annotations

import csv
import io
import json
import re

from exportctl.sandbox import Sandbox

from .http_api import Api


def _header(api: Api, exported_object: str, parameters: dict[str, object]) -> list[str]:
    text = api.csv_text(api.create(exported_object, parameters))
    return next(csv.reader(io.StringIO(text, newline="")))


def test_voucher_titles_are_the_ones_real_exports_write(api: Api) -> None:
    fields = ["id", "code", "voucher_type", "value", "redemption_quantity", "loyalty_balance", "bar_code"]
    header = _header(api, "voucher", {"fields": [*fields, "created_at", "updated_at", "gift_balance"]})
    assert header == [
        "ID",
        "Code",
        "Voucher Type",
        "Value",
        "Redemption Limit",
        "Loyalty Card Balance",
        "Barcode",
        "Creation Date",
        "Last Update Date",
        "Gift Balance",
    ]


def test_metadata_becomes_one_column_per_key_in_place_sorted(api: Api, sandbox: Sandbox) -> None:
    rows = list(
        csv.reader(io.StringIO(api.csv_text(api.create("voucher", {"fields": ["code", "metadata", "id"]})), newline=""))
    )
    assert rows[0] == ["Code", "batch", "channel", "region", "ID"]
    stored = {r[0]: r[1:] for r in sandbox.store.rows("SELECT id, code, metadata FROM vouchers")}
    assert len(rows) - 1 == len(stored)
    missing = 0
    for code, batch, channel, region, voucher_id in rows[1:]:
        assert code == stored[voucher_id][0]
        metadata = json.loads(stored[voucher_id][1])
        assert [batch, channel, region] == [str(metadata.get(key, "")) for key in ("batch", "channel", "region")]
        missing += "batch" not in metadata
    assert missing > 0  # a record without a key gets an empty cell


def test_metadata_columns_are_the_keys_of_the_rows_left_after_filters(api: Api) -> None:
    # Without region, no exported row has that key, so there is no region column.
    without_region = {"metadata.region": {"conditions": {"$is_unknown": [True]}}}
    assert _header(api, "voucher", {"fields": ["id", "metadata"], "filters": without_region}) == [
        "ID",
        "batch",
        "channel",
    ]
    nothing = {"code": {"conditions": {"$is": ["NO-SUCH-CODE"]}}}
    assert _header(api, "voucher", {"fields": ["id", "metadata"], "filters": nothing}) == ["ID"]
    # metadata alone over no rows keeps one column, so the file is still a CSV with a header.
    assert _header(api, "voucher", {"fields": ["metadata"], "filters": nothing}) == ["Metadata"]


def test_metadata_key_columns_write_booleans_and_lists_like_metadata_x(api: Api) -> None:
    fields = ["id", "metadata", "metadata.newsletter", "metadata.favourite_categories"]
    rows = api.rows("customer", {"fields": fields})
    assert list(rows[0]) == [
        "ID",
        "favourite_categories",
        "newsletter",
        "tier",
        "Metadata Newsletter",
        "Metadata Favourite Categories",
    ]
    assert {row["newsletter"] for row in rows} == {"true", "false"}
    for row in rows:
        assert row["newsletter"] == row["Metadata Newsletter"]
        assert row["favourite_categories"] == row["Metadata Favourite Categories"]
    assert any(row["favourite_categories"].startswith('["') for row in rows)


def test_gift_card_values_are_currency_units_with_two_decimals(api: Api, sandbox: Sandbox) -> None:
    rows = api.rows("voucher", {"fields": ["id", "voucher_type", "discount_type", "value"]})
    stored = {r[0]: r[1:] for r in sandbox.store.rows("SELECT id, value, gift_balance, loyalty_balance FROM vouchers")}
    seen = set()
    for row in rows:
        value, gift_balance, loyalty_balance = stored[row["ID"]]
        kind = row["Voucher Type"]
        seen.add(kind)
        if kind == "GIFT_VOUCHER":
            assert re.fullmatch(r"\d+\.\d\d", row["Value"]), row
            assert row["Value"] == f"{gift_balance / 100:.2f}"
        elif kind == "LOYALTY_CARD":
            assert row["Value"] == str(loyalty_balance) and row["Value"].isdigit()
        else:
            assert row["Value"] == str(value)  # amount in cents, percent or units, as stored
    assert seen == {"GIFT_VOUCHER", "LOYALTY_CARD", "DISCOUNT_VOUCHER"}
