"""The generated data: deterministic, realistic, referentially consistent, proportional to --scale."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from exportctl import schema
from exportctl.sandbox import Sandbox, Timing, tables
from exportctl.sandbox.generator import HISTORY_DAYS, scaled_counts
from exportctl.sandbox.store import Store, UnknownObjectError

from .http_api import Api

FAST = Timing(0.0, 0.0, 0.0)
ID_PREFIXES = {
    "order": "ord_",
    "voucher": "v_",
    "publication": "pub_",
    "redemption": "r",  # r_ for redemptions, rr_ for their rollbacks
    "customer": "cust_",
    "points_expiration": "lopb_",
    "voucher_transactions": "vtx_",
    "product": "prod_",
    "sku": "sku_",
    "api_log": "log_",
}
# Columns no generated record fills: `formula` and `promotion_tier_id` belong to features the data
# does not model; transactions have no status, though the documented default fields name one.
NEVER_FILLED = {("voucher", "formula"), ("redemption", "promotion_tier_id"), ("voucher_transactions", "status")}


def every_field_of(exported_object: str) -> list[str]:
    return [f.name for f in schema.accepted_fields(exported_object)]


def test_same_seed_gives_byte_identical_exports(tmp_path: Path) -> None:
    texts = []
    for run in ("a", "b"):
        # as_of pinned: two sandboxes started either side of midnight UTC would differ by a day.
        with Sandbox(seed=7, scale=0.01, timing=FAST, data_dir=tmp_path / run, as_of=date(2026, 11, 1)) as sb:
            client = Api(sb)
            texts.append(
                {
                    obj: client.csv_text(client.create(obj, {"fields": every_field_of(obj)}))
                    for obj in schema.API_OBJECTS
                }
            )
    assert texts[0] == texts[1]
    with Sandbox(seed=8, scale=0.01, timing=FAST, as_of=date(2026, 11, 1)) as other:
        client = Api(other)
        assert client.csv_text(client.create("voucher", {"fields": ["id"]})) != texts[0]["voucher"]


def test_counts_grow_with_scale(tmp_path: Path) -> None:
    small = Store(tmp_path / "small.sqlite3", seed=1, scale=0.05)
    large = Store(tmp_path / "large.sqlite3", seed=1, scale=0.1)
    small.open()
    large.open()
    assert scaled_counts(1.0)["vouchers"] == 10000 and scaled_counts(1.0)["customers"] == 2000
    assert small.counts()["voucher"] * 2 == large.counts()["voucher"]
    assert small.counts()["customer"] * 2 == large.counts()["customer"]
    for obj in ("order", "redemption", "publication", "voucher_transactions", "points_expiration"):
        ratio = large.counts()[obj] / small.counts()[obj]
        assert 1.5 < ratio < 2.6, (obj, ratio)


def test_an_existing_db_is_reused_only_for_the_same_seed_and_scale(tmp_path: Path) -> None:
    path = tmp_path / "kept.sqlite3"
    first = Store(path, seed=3, scale=0.01)
    first.open()
    assert not first.reused
    again = Store(path, seed=3, scale=0.01)
    again.open()
    assert again.reused
    other = Store(path, seed=3, scale=0.02)
    other.open()
    assert not other.reused
    assert other.counts()["voucher"] == scaled_counts(0.02)["vouchers"]


def test_ids_look_real(sandbox: Sandbox) -> None:
    for obj, prefix in ID_PREFIXES.items():
        table = tables.TABLE_NAMES[obj]
        ids = [row[0] for row in sandbox.store.rows(f"SELECT id FROM {table}")]
        assert ids and all(i.startswith(prefix) for i in ids), obj
        assert len(set(ids)) == len(ids)
    campaigns = [row[0] for row in sandbox.store.rows("SELECT id FROM campaigns")]
    assert all(c.startswith("camp_") for c in campaigns)
    codes = [row[0] for row in sandbox.store.rows("SELECT code FROM vouchers")]
    assert len(set(codes)) == len(codes)


def test_every_column_is_filled_somewhere(sandbox: Sandbox) -> None:
    from exportctl.sandbox import tables

    empty = []
    for obj, table in tables.TABLE_NAMES.items():
        for column in tables.columns(obj):
            filled = sandbox.store.rows(f'SELECT count(*) FROM {table} WHERE "{column}" IS NOT NULL')[0][0]
            if not filled and (obj, column) not in NEVER_FILLED:
                empty.append((obj, column))
    assert not empty


def test_records_refer_to_records_that_exist(sandbox: Sandbox) -> None:
    rows = sandbox.store.rows
    checks = {
        "redemption customers": "SELECT count(*) FROM redemptions WHERE customer_id NOT IN (SELECT id FROM customers)",
        "redemption orders": "SELECT count(*) FROM redemptions WHERE order_id NOT IN (SELECT id FROM orders)",
        "redemption codes": "SELECT count(*) FROM redemptions WHERE voucher_code NOT IN (SELECT code FROM vouchers)",
        "rollback parents": "SELECT count(*) FROM redemptions WHERE parent_redemption_id IS NOT NULL"
        " AND parent_redemption_id NOT IN (SELECT id FROM redemptions)",
        "order customers": "SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT id FROM customers)",
        "voucher holders": "SELECT count(*) FROM vouchers WHERE customer_id NOT IN (SELECT id FROM customers)",
        "voucher campaigns": "SELECT count(*) FROM vouchers WHERE campaign_id NOT IN (SELECT id FROM campaigns)",
        "publication vouchers": "SELECT count(*) FROM publications WHERE voucher_id NOT IN (SELECT id FROM vouchers)",
        "transaction vouchers": "SELECT count(*) FROM voucher_transactions WHERE voucher_id NOT IN"
        " (SELECT id FROM vouchers WHERE voucher_type IN ('GIFT_VOUCHER', 'LOYALTY_CARD'))",
        "transfer counterparts": "SELECT count(*) FROM voucher_transactions WHERE related_transaction_id IS NOT NULL"
        " AND related_transaction_id NOT IN (SELECT id FROM voucher_transactions)",
        "bucket cards": "SELECT count(*) FROM points_buckets WHERE voucher_id NOT IN"
        " (SELECT id FROM vouchers WHERE voucher_type = 'LOYALTY_CARD')",
        "gift transaction types": "SELECT count(*) FROM voucher_transactions t JOIN vouchers v ON v.id = t.voucher_id"
        " WHERE v.voucher_type = 'GIFT_VOUCHER' AND t.type NOT LIKE 'CREDITS_%'",
        "loyalty transaction types": "SELECT count(*) FROM voucher_transactions t"
        " JOIN vouchers v ON v.id = t.voucher_id WHERE v.voucher_type = 'LOYALTY_CARD' AND t.type NOT IN ("
        + ", ".join(f"'{kind}'" for kind in schema.LOYALTY_TRANSACTION_TYPES)
        + ")",
    }
    broken = {name: rows(sql)[0][0] for name, sql in checks.items()}
    assert broken == dict.fromkeys(checks, 0)


def test_balances_and_summaries_agree_with_the_records(sandbox: Sandbox) -> None:
    rows = sandbox.store.rows
    for voucher_id, balance, column in rows(
        "SELECT id, coalesce(gift_balance, loyalty_balance), CASE WHEN gift_balance IS NULL THEN 'l' ELSE 'g' END"
        " FROM vouchers WHERE voucher_type IN ('GIFT_VOUCHER', 'LOYALTY_CARD')"
    ):
        last = rows(
            "SELECT balance FROM voucher_transactions WHERE voucher_id = ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (voucher_id,),
        )
        if last:
            assert last[0][0] == balance, (voucher_id, column)
    for customer_id, redeemed, failed, summary in rows(
        "SELECT id, redemptions_total_redeemed, redemptions_total_failed, summary FROM customers"
    ):
        counted = rows(
            "SELECT count(*), sum(result = 'FAILURE') FROM redemptions WHERE customer_id = ? AND object = 'redemption'",
            (customer_id,),
        )[0]
        assert (redeemed, failed) == (counted[0], counted[1] or 0)
        assert json.loads(summary)["redemptions"]["total_redeemed"] == redeemed
    assert rows("SELECT count(*) FROM redemptions WHERE result = 'FAILURE' AND failure_code IS NULL")[0][0] == 0
    assert rows("SELECT count(*) FROM redemptions WHERE result = 'FAILURE'")[0][0] > 0
    assert rows("SELECT count(*) FROM orders WHERE total_amount < 0 OR total_amount > amount")[0][0] == 0


def test_dates_span_the_two_years_before_as_of(sandbox: Sandbox) -> None:
    low, high = sandbox.store.rows("SELECT min(created_at), max(created_at) FROM vouchers")[0]
    assert isinstance(sandbox.as_of, date)
    start = sandbox.as_of - timedelta(days=HISTORY_DAYS + 31)
    assert start.isoformat() <= low[:10] and high[:10] < sandbox.as_of.isoformat()
    assert (datetime.fromisoformat(high[:10]) - datetime.fromisoformat(low[:10])).days > 365


def test_add_records_for_every_object(tmp_path: Path) -> None:
    with Sandbox(scale=0.01, timing=FAST, db_path=tmp_path / "own.sqlite3") as sb:
        before = sb.store.counts()
        added = {obj: sb.store.add_records(obj, 3) for obj in schema.API_OBJECTS}
        after = sb.store.counts()
        today = datetime.now(timezone.utc).date().isoformat()
        for obj, ids in added.items():
            assert len(ids) == 3 and len(set(ids)) == 3, obj
            assert ids[0].startswith(ID_PREFIXES[obj])
        grown = {obj: after[obj] - before[obj] for obj in after}
        # Each added redemption comes with its order; an added voucher may be published at once.
        assert grown.pop("publication") >= 3
        assert grown == {obj: 6 if obj == "order" else 3 for obj in grown}
        client = Api(sb)
        new = client.ids("voucher", {"created_at": {"conditions": {"$less_than_ago": [1]}}})
        assert sorted(added["voucher"]) == new
        created = sb.store.rows("SELECT created_at FROM customers WHERE id = ?", (added["customer"][0],))[0][0]
        assert created.startswith(today) or created[:10] >= today
        assert sb.store.add_vouchers(2) and len(sb.store.add_vouchers(1)) == 1
        with pytest.raises(UnknownObjectError):
            sb.store.add_records("campaign", 1)
