"""Deterministic, referentially consistent data for every exported object.

One pass over the vouchers produces everything that hangs off a voucher (its publication, the orders
and redemptions that used it, its card transactions and point buckets) so that balances, counts and
customer summaries agree with the records they summarise. Rows are flushed to SQLite in batches, so
memory stays flat however large `scale` is. Same seed, scale and `as_of`, same bytes.

The record families live beside it: `customers`, `vouchers` (+ publications), `orders` (+ redemptions),
`cards` (gift and loyalty events, transactions, point buckets), on the random core in `stream`, with
the record types in `records` and the name tables in `names`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from exportctl.sandbox import tables
from exportctl.sandbox.api_logs import ApiLogRecords
from exportctl.sandbox.catalog import CatalogRecords
from exportctl.sandbox.customers import CustomerRecords
from exportctl.sandbox.names import CAMPAIGN_NAMES, CAMPAIGN_PLAN, CATEGORY_NAMES, VOUCHER_TYPE_OF
from exportctl.sandbox.records import (
    DAY_MS,
    HISTORY_DAYS,
    HOUR_MS,
    Batches,
    Campaign,
    CardState,
    Customers,
    Totals,
    anchor_ms,
    as_of_text,
    iso_date,
    iso_ms,
    now_ms,
    today_utc,
)
from exportctl.sandbox.vouchers import VoucherRecords

__all__ = [
    "BASE_COUNTS",
    "DAY_MS",
    "HISTORY_DAYS",
    "HOUR_MS",
    "MIN_COUNTS",
    "Batches",
    "Campaign",
    "CardState",
    "Customers",
    "Generator",
    "Totals",
    "anchor_ms",
    "as_of_text",
    "iso_date",
    "iso_ms",
    "now_ms",
    "scaled_counts",
    "today_utc",
]

# Record counts at --scale 1; every count grows linearly with scale (with a floor so tiny scales
# still hold every kind of record).
BASE_COUNTS = {
    "customers": 2000,
    "vouchers": 10000,
    "campaigns": 12,
    "categories": 8,
    "extra_orders": 2000,
    "products": 120,
    "api_logs": 5000,
}
MIN_COUNTS = {
    "customers": 20,
    "vouchers": 60,
    "campaigns": 5,
    "categories": 3,
    "extra_orders": 10,
    "products": 8,
    "api_logs": 60,
}


_TRANSACTIONS_OF = "SELECT rowid FROM voucher_transactions WHERE type = ? ORDER BY rowid"


def scaled_counts(scale: float) -> dict[str, int]:
    """How many of each base record a scale makes."""
    return {name: max(MIN_COUNTS[name], round(base * scale)) for name, base in BASE_COUNTS.items()}


class Generator(VoucherRecords, CustomerRecords, CatalogRecords, ApiLogRecords):
    """Makes records from one random stream; `generate` fills an empty store."""

    # reference data ------------------------------------------------------------------------------
    def make_categories(self, n: int) -> list[dict[str, Any]]:
        rows = []
        for i in range(n):
            name = CATEGORY_NAMES[i % len(CATEGORY_NAMES)]
            if i >= len(CATEGORY_NAMES):
                name = f"{name} {i // len(CATEGORY_NAMES) + 1}"
            cat_id = self.ident("cat_")
            self.categories.append((cat_id, name))
            rows.append({"id": cat_id, "name": name})
        return rows

    def make_campaigns(self, n: int) -> list[dict[str, Any]]:
        rows = []
        used: dict[str, int] = {}
        for i in range(n):
            ctype = CAMPAIGN_PLAN[i % len(CAMPAIGN_PLAN)]
            names = CAMPAIGN_NAMES[ctype]
            base = names[used.get(ctype, 0) % len(names)]
            round_ = used.get(ctype, 0) // len(names)
            used[ctype] = used.get(ctype, 0) + 1
            name = base if round_ == 0 else f"{base} {round_ + 1}"
            voucher_type = VOUCHER_TYPE_OF[ctype]
            discount_type = None
            if voucher_type == "DISCOUNT_VOUCHER":
                discount_type = (
                    "PERCENT"
                    if ctype == "REFERRAL_PROGRAM"
                    else self.rng.choice(("AMOUNT", "PERCENT", "PERCENT", "UNIT", "FIXED"))
                )
            category, category_id = (None, None)
            if self.categories and self.rng.random() < 0.75:
                category_id, category = self.rng.choice(self.categories)
            prefix = "".join(word[:1] for word in name.split() if word[:1].isalnum()).upper()[:4] or "V"
            campaign = Campaign(
                id=self.ident("camp_"),
                name=name,
                campaign_type=ctype,
                voucher_type=voucher_type,
                discount_type=discount_type,
                category=category,
                category_id=category_id,
                prefix=f"{prefix}{i + 1}",
                created_ms=self.between(self.start_ms - 30 * DAY_MS, self.start_ms + 200 * DAY_MS),
            )
            self.campaigns.append(campaign)
            rows.append(
                {
                    "id": campaign.id,
                    "name": name,
                    "campaign_type": ctype,
                    "voucher_type": voucher_type,
                    "category": category,
                    "category_id": category_id,
                    "created_at": iso_ms(campaign.created_ms),
                    "discount_type": discount_type,
                    "prefix": campaign.prefix,
                }
            )
        return rows

    def add_catalog(self, conn: sqlite3.Connection, batches: Batches, exported_object: str, n: int, at: int) -> None:
        """n products, SKUs (of existing products) or API log entries created at `at`, for `Store.add_records`."""
        if exported_object == "product":
            first = conn.execute("SELECT count(*) FROM products").fetchone()[0] + 1
            for number in range(first, first + n):
                self.product(batches, number, at, updated=at)
        elif exported_object == "sku":
            products = conn.execute("SELECT id, name, price, rowid FROM products ORDER BY rowid").fetchall()
            for _ in range(n):
                product_id, name, price, number = self.catalog_rng.choice(products)
                self.sku_for(batches, product_id, name, int(price), int(number), at)
        elif exported_object == "api_log":
            codes = [str(row[0]) for row in conn.execute("SELECT code FROM vouchers ORDER BY rowid LIMIT 500")]
            skus = [str(row[0]) for row in conn.execute("SELECT id FROM skus ORDER BY rowid LIMIT 500")]
            self.api_logs(batches, n, codes, skus, at=at)

    def newer_loyalty_types(self, conn: sqlite3.Connection) -> None:
        """The loyalty transaction types beyond the export table's seven, relabelling existing movements.

        A tenth of the accruals were pending points that became active (PENDING_POINTS_ACTIVATION), a
        quarter of the manual additions came from another card (POINTS_TRANSFER_IN, naming a transfer out
        of another card). Amounts, balances and counts stay what they were; the choice is `catalog_rng`'s.
        """
        rng = self.catalog_rng
        accruals = [row[0] for row in conn.execute(_TRANSACTIONS_OF, ("POINTS_ACCRUAL",))]
        pending = rng.sample(accruals, len(accruals) // 10)
        conn.executemany(
            "UPDATE voucher_transactions SET type = 'PENDING_POINTS_ACTIVATION' WHERE rowid = ?",
            [(rowid,) for rowid in sorted(pending)],
        )
        outs = conn.execute(
            "SELECT id, voucher_id FROM voucher_transactions WHERE type = 'POINTS_TRANSFER_OUT' ORDER BY rowid"
        ).fetchall()
        additions = conn.execute(
            "SELECT rowid, voucher_id FROM voucher_transactions WHERE type = 'POINTS_ADDITION' ORDER BY rowid"
        ).fetchall()
        for rowid, card in sorted(rng.sample(additions, len(additions) // 4) if outs else []):
            donors = [out_id for out_id, donor in outs if donor != card]
            if donors:
                conn.execute(
                    "UPDATE voucher_transactions SET type = 'POINTS_TRANSFER_IN', related_transaction_id = ?, "
                    "reason = NULL WHERE rowid = ?",
                    (rng.choice(donors), rowid),
                )

    def generate(self, conn: sqlite3.Connection, scale: float) -> dict[str, int]:
        """Fill empty tables; returns the number of rows written per exported object."""
        counts = scaled_counts(scale)
        for row in self.make_categories(counts["categories"]):
            conn.execute("INSERT INTO categories VALUES (?, ?)", (row["id"], row["name"]))
        campaign_cols = tables.INTERNAL_TABLES["campaigns"]
        conn.executemany(
            f"INSERT INTO campaigns VALUES ({','.join('?' * len(campaign_cols))})",
            [tuple(map(row.get, campaign_cols)) for row in self.make_campaigns(counts["campaigns"])],
        )
        self.make_customer_identities(counts["customers"])
        batches = Batches(conn)
        for index in range(counts["vouchers"]):
            self.voucher_bundle(index, batches)
        for _ in range(counts["extra_orders"]):
            self.extra_order(batches)
        for row in self.customer_rows():
            batches.add("customer", row)
        # Last, from their own stream: the catalog and the API's log of the calls that used all of the above.
        skus = self.catalog(batches, counts["products"])
        batches.flush()
        self.newer_loyalty_types(conn)
        codes = [str(row[0]) for row in conn.execute("SELECT code FROM vouchers ORDER BY rowid LIMIT 500")]
        self.api_logs(batches, counts["api_logs"], codes, skus)
        batches.flush()
        return batches.counts
