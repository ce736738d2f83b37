"""Every FiltersCondition operator, checked against the generated data read straight from SQLite.

The expected rows come from Python predicates over the raw table, never from the sandbox's SQL, so a
wrong translation of an operator shows up as a difference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from exportctl import schema
from exportctl.sandbox import Sandbox

from .http_api import Api

Row = dict[str, Any]


def table(sandbox: Sandbox, name: str) -> list[Row]:
    conn = sandbox.store.connect()
    try:
        cursor = conn.execute(f"SELECT * FROM {name}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor]
    finally:
        conn.close()


def expect(rows: list[Row], predicate: Callable[[Row], bool], key: str = "id") -> list[str]:
    return sorted(str(row[key]) for row in rows if predicate(row))


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def meta(row: Row, column: str, path: str) -> Any:
    value: Any = json.loads(row[column] or "{}")
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def cond(**conditions: Any) -> dict[str, Any]:
    # `is_` and `in_` stand for the operators whose names are Python keywords.
    return {"conditions": {f"${name.rstrip('_')}": value for name, value in conditions.items()}}


def test_every_operator_is_covered_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    missing = [op for op in schema.OPERATORS if f"{op[1:]}=" not in source and f"{op[1:]}_=" not in source]
    assert not missing


def test_in_and_not_in(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    got = api.ids("voucher", {"type": cond(in_=["GIFT_VOUCHER", "LOYALTY_CARD"])})
    assert got == expect(vouchers, lambda r: r["voucher_type"] in ("GIFT_VOUCHER", "LOYALTY_CARD"))
    assert got
    category = next(r["category"] for r in vouchers if r["category"])
    got = api.ids("voucher", {"categories": cond(not_in=[category])})
    # A voucher with no category is "not in" any list of categories.
    assert got == expect(vouchers, lambda r: r["category"] != category)
    assert any(r["category"] is None for r in vouchers)


def test_is_and_is_not_on_strings_and_booleans(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    code = vouchers[7]["code"]
    assert api.ids("voucher", {"code": cond(is_=[code])}) == [vouchers[7]["id"]]
    inactive = expect(vouchers, lambda r: r["active"] == 0)
    assert inactive
    assert api.ids("voucher", {"active": cond(is_=[False])}) == inactive
    assert api.ids("voucher", {"active": cond(is_not=["true"])}) == inactive


def test_a_single_value_may_be_given_without_an_array(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    got = api.ids("voucher", {"metadata.region": cond(is_="EU")})
    assert got == expect(vouchers, lambda r: meta(r, "metadata", "region") == "EU")


def test_has_value_and_is_unknown(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    with_region = expect(vouchers, lambda r: meta(r, "metadata", "region") is not None)
    without_region = expect(vouchers, lambda r: meta(r, "metadata", "region") is None)
    assert with_region and without_region
    assert api.ids("voucher", {"metadata.region": cond(has_value=[])}) == with_region
    assert api.ids("voucher", {"metadata.region": cond(is_unknown=[])}) == without_region
    assert api.ids("voucher", {"expiration_date": cond(is_unknown=True)}) == expect(
        vouchers, lambda r: r["expiration_date"] is None
    )


def test_text_matching(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    prefix = next(r["code"] for r in vouchers if "-" in r["code"]).split("-")[0]
    assert api.ids("voucher", {"code": cond(starts_with=[prefix + "-"])}) == expect(
        vouchers, lambda r: r["code"].startswith(prefix + "-")
    )
    last = vouchers[0]["code"][-1]
    assert api.ids("voucher", {"code": cond(ends_with=[last])}) == expect(vouchers, lambda r: r["code"].endswith(last))
    assert api.ids("voucher", {"code": cond(contains=["-"])}) == expect(vouchers, lambda r: "-" in r["code"])
    assert api.ids("voucher", {"code": cond(not_contain=["-"])}) == expect(vouchers, lambda r: "-" not in r["code"])


def test_numbers_compare_as_numbers(api: Api, sandbox: Sandbox) -> None:
    orders = table(sandbox, "orders")
    pivot = sorted(r["amount"] for r in orders)[len(orders) // 2]
    assert api.ids("order", {"amount": cond(more_than=[pivot])}) == expect(orders, lambda r: r["amount"] > pivot)
    assert api.ids("order", {"amount": cond(less_than=[str(pivot)])}) == expect(orders, lambda r: r["amount"] < pivot)
    assert api.ids("order", {"amount": cond(more_than_equal=[pivot])}) == expect(orders, lambda r: r["amount"] >= pivot)
    assert api.ids("order", {"amount": cond(less_than_equal=[pivot])}) == expect(orders, lambda r: r["amount"] <= pivot)
    # 999 < 10000 as numbers, though not as text.
    assert api.ids("order", {"total_amount": cond(less_than=[10000])}) == expect(
        orders, lambda r: r["total_amount"] < 10000
    )


def test_dates_compare_as_instants(api: Api, sandbox: Sandbox) -> None:
    orders = table(sandbox, "orders")
    pivot = when(sorted(r["created_at"] for r in orders)[len(orders) // 3])
    given = pivot.astimezone(timezone(timedelta(hours=2))).isoformat()  # another offset, same instant
    assert api.ids("order", {"created_at": cond(after=[given])}) == expect(
        orders, lambda r: when(r["created_at"]) > pivot
    )
    assert api.ids("order", {"created_at": cond(before=[given])}) == expect(
        orders, lambda r: when(r["created_at"]) < pivot
    )
    day = pivot.date()
    assert api.ids("order", {"created_at": cond(is_=[day.isoformat()])}) == expect(
        orders, lambda r: when(r["created_at"]).date() == day
    )


def test_dates_without_time_on_a_date_field(api: Api, sandbox: Sandbox) -> None:
    customers = table(sandbox, "customers")
    got = api.ids("customer", {"birthday": cond(before=["1970-01-01"])})
    assert got == expect(customers, lambda r: r["birthday"] is not None and r["birthday"] < "1970-01-01")
    assert got


def test_days_ago_and_in_future(api: Api, sandbox: Sandbox) -> None:
    # The server counts days from its own clock: a run that crosses midnight (UTC) is tried once more.
    started = datetime.now(timezone.utc).date()
    try:
        _days_ago_and_in_future(api, sandbox)
    except AssertionError:
        if datetime.now(timezone.utc).date() == started:
            raise
        _days_ago_and_in_future(api, sandbox)


def _days_ago_and_in_future(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    now = datetime.now(timezone.utc)
    today = now.date()
    sample = when(vouchers[3]["created_at"])
    n = (today - sample.date()).days
    assert api.ids("voucher", {"created_at": cond(is_days_ago=[n])}) == expect(
        vouchers, lambda r: when(r["created_at"]).date() == sample.date()
    )
    assert api.ids("voucher", {"created_at": cond(more_than_ago=[100])}) == expect(
        vouchers, lambda r: when(r["created_at"]) < now - timedelta(days=100)
    )
    assert api.ids("voucher", {"created_at": cond(less_than_ago=[100])}) == expect(
        vouchers, lambda r: now - timedelta(days=100) <= when(r["created_at"]) <= now
    )
    future = [when(r["expiration_date"]) for r in vouchers if r["expiration_date"] and when(r["expiration_date"]) > now]
    if not future:
        pytest.skip("the generated expiration dates are all in the past by now")
    target = future[0].date()
    assert api.ids("voucher", {"expiration_date": cond(is_days_in_future=[(target - today).days])}) == expect(
        vouchers, lambda r: r["expiration_date"] is not None and when(r["expiration_date"]).date() == target
    )
    assert api.ids("voucher", {"expiration_date": cond(more_than_future=[30])}) == expect(
        vouchers, lambda r: r["expiration_date"] is not None and when(r["expiration_date"]) > now + timedelta(days=30)
    )
    assert api.ids("voucher", {"expiration_date": cond(less_than_future=[200])}) == expect(
        vouchers,
        lambda r: r["expiration_date"] is not None and now <= when(r["expiration_date"]) <= now + timedelta(days=200),
    )


def _days(row: Row) -> int:
    text = row["validity_day_of_week"]
    return len(text.split(",")) if text else 0


def test_counts_of_list_values(api: Api, sandbox: Sandbox) -> None:
    vouchers = table(sandbox, "vouchers")
    assert api.ids("voucher", {"validity_day_of_week": cond(count=[5])}) == expect(vouchers, lambda r: _days(r) == 5)
    assert api.ids("voucher", {"validity_day_of_week": cond(count_more=[2])}) == expect(
        vouchers, lambda r: _days(r) > 2
    )
    assert api.ids("voucher", {"validity_day_of_week": cond(count_less=[3])}) == expect(
        vouchers, lambda r: _days(r) < 3
    )
    # Membership, not substring: day 1 is in "1,3,5" and "1,2,3,4,5".
    assert api.ids("voucher", {"validity_day_of_week": cond(in_=["1"])}) == expect(
        vouchers, lambda r: "1" in (r["validity_day_of_week"] or "").split(",")
    )


def test_counts_of_json_arrays_in_metadata(api: Api, sandbox: Sandbox) -> None:
    customers = table(sandbox, "customers")
    got = api.ids("customer", {"metadata.favourite_categories": cond(count=[2])})
    assert got == expect(customers, lambda r: len(meta(r, "metadata", "favourite_categories") or []) == 2)
    assert got


def test_customer_prefixes_and_typed_nested_filters(api: Api, sandbox: Sandbox) -> None:
    customers = table(sandbox, "customers")
    city = customers[0]["address_city"]
    assert api.ids("customer", {"address.city": cond(is_=[city])}) == expect(
        customers, lambda r: r["address_city"] == city
    )
    assert api.ids("customer", {"summary.orders.total_amount": cond(more_than=[20000])}) == expect(
        customers, lambda r: r["orders_total_amount"] > 20000
    )
    assert api.ids("customer", {"system_metadata.consents.unsubscribed": cond(is_=["true"])}) == expect(
        customers, lambda r: meta(r, "system_metadata", "consents.unsubscribed") is True
    )
    assert api.ids("customer", {"metadata.newsletter": cond(is_=[True])}) == expect(
        customers, lambda r: meta(r, "metadata", "newsletter") is True
    )
    assert api.ids("customer", {"metadata.tier": cond(in_=["gold", "platinum"])}) == expect(
        customers, lambda r: meta(r, "metadata", "tier") in ("gold", "platinum")
    )


def test_junction_and_or(api: Api, sandbox: Sandbox) -> None:
    redemptions = table(sandbox, "redemptions")
    failed = cond(is_=["FAILURE"])
    rollbacks = cond(is_=["redemption_rollback"])
    both = api.ids("redemption", {"junction": "and", "result": failed, "object": rollbacks})
    either = api.ids("redemption", {"junction": "OR", "result": failed, "object": rollbacks})
    assert both == expect(redemptions, lambda r: r["result"] == "FAILURE" and r["object"] == "redemption_rollback")
    assert either == expect(redemptions, lambda r: r["result"] == "FAILURE" or r["object"] == "redemption_rollback")
    assert len(either) > len(both)


def test_filters_that_test_another_attribute(api: Api, sandbox: Sandbox) -> None:
    redemptions = table(sandbox, "redemptions")
    order_id = redemptions[0]["order_id"]
    assert api.ids("redemption", {"related_object_id": cond(is_=[order_id])}) == expect(
        redemptions, lambda r: r["order_id"] == order_id
    )
    publications = table(sandbox, "publications")
    campaign = next(r["campaign"] for r in publications if r["campaign"])
    assert api.ids("publication", {"campaign_name": cond(is_=[campaign])}, "voucher_code") == expect(
        publications, lambda r: r["campaign"] == campaign, "voucher_code"
    )
    buckets = table(sandbox, "points_buckets")
    voucher_id = buckets[0]["voucher_id"]
    assert api.ids("points_expiration", {"voucher_id": cond(in_=[voucher_id])}) == expect(
        buckets, lambda r: r["voucher_id"] == voucher_id
    )
