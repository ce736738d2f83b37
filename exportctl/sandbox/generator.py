"""Deterministic, referentially consistent data for every exported object.

One pass over the vouchers produces everything that hangs off a voucher (its publication, the orders
and redemptions that used it, its card transactions and point buckets) so that balances, counts and
customer summaries agree with the records they summarise. Rows are flushed to SQLite in batches, so
memory stays flat however large `scale` is. Same seed, scale and `as_of`, same bytes.
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from exportctl.sandbox import tables

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
HISTORY_DAYS = 730

# Record counts at --scale 1; every count grows linearly with scale (with a floor so tiny scales
# still hold every kind of record).
BASE_COUNTS = {"customers": 2000, "vouchers": 10000, "campaigns": 12, "categories": 8, "extra_orders": 2000}
MIN_COUNTS = {"customers": 20, "vouchers": 60, "campaigns": 5, "categories": 3, "extra_orders": 10}

BATCH_ROWS = 5000
_ALNUM = str.maketrans("+/=", "QxZ")
_CODE_MASK_BITS = 40


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as the export writes timestamps: `2024-05-01T09:03:07.250Z`."""
    day, rem = divmod(ms, DAY_MS)
    seconds, milli = divmod(rem, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day_text(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}Z"


def iso_date(ms: int) -> str:
    return _day_text(ms // DAY_MS)


@lru_cache(maxsize=8192)
def _day_text(epoch_day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=epoch_day)).isoformat()


def now_ms() -> int:
    return int(datetime.now(timezone.utc).timestamp() * 1000)


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def anchor_ms(as_of: date | datetime) -> int:
    """Where generated history ends: the start (00:00 UTC) of a date, or a datetime itself (naive is UTC).

    History ends at a fixed instant rather than the wall clock, so the same `as_of` gives the same bytes
    all day; a date's midnight keeps everything generated in the past for the whole of that day.
    """
    if isinstance(as_of, datetime):
        moment = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=timezone.utc)
    else:
        moment = datetime(as_of.year, as_of.month, as_of.day, tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def as_of_text(as_of: date | datetime) -> str:
    """`as_of` as the store's meta row and the banner show it: `2026-11-01`, or a UTC timestamp."""
    return as_of.isoformat() if not isinstance(as_of, datetime) else iso_ms(anchor_ms(as_of))


# One encoder for every record: json.dumps would build a new one per call.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _json(value: dict[str, Any]) -> str:
    return _ENCODE(value)


CAMPAIGN_PLAN = (
    "DISCOUNT_COUPONS",
    "GIFT_VOUCHERS",
    "LOYALTY_PROGRAM",
    "REFERRAL_PROGRAM",
    "DISCOUNT_COUPONS",
    "DISCOUNT_COUPONS",
    "GIFT_VOUCHERS",
    "LOYALTY_PROGRAM",
    "DISCOUNT_COUPONS",
    "DISCOUNT_COUPONS",
    "GIFT_VOUCHERS",
    "DISCOUNT_COUPONS",
)
CAMPAIGN_NAMES = {
    "DISCOUNT_COUPONS": ("Summer Sale 20% off", "Welcome 10", "Black Friday", "Free Shipping", "Back to School"),
    "GIFT_VOUCHERS": ("Gift Cards", "Corporate Gift Cards", "Holiday Gift Cards"),
    "LOYALTY_PROGRAM": ("Rewards Club", "Coffee Stamps"),
    "REFERRAL_PROGRAM": ("Refer a Friend",),
}
VOUCHER_TYPE_OF = {
    "DISCOUNT_COUPONS": "DISCOUNT_VOUCHER",
    "REFERRAL_PROGRAM": "DISCOUNT_VOUCHER",
    "GIFT_VOUCHERS": "GIFT_VOUCHER",
    "LOYALTY_PROGRAM": "LOYALTY_CARD",
}
CATEGORY_NAMES = ("Electronics", "Fashion", "Grocery", "Home", "Beauty", "Sports", "Travel", "Books")
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Ida",
    "Jonas",
    "Kira",
    "Liam",
    "Maja",
    "Noah",
    "Olga",
    "Piotr",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wiktoria",
    "Zoe",
)
LAST_NAMES = (
    "Nowak",
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Johnson",
    "Lee",
    "Tanaka",
    "O'Brien",
    "Silva",
    "Novak",
    "Andersen",
    "Costa",
    "Fischer",
    "Brown",
    "Martin",
    "Wójcik",
    "Jansen",
)
PLACES = (
    ("Warsaw", "Mazowieckie", "PL", "00-"),
    ("Kraków", "Małopolskie", "PL", "30-"),
    ("Berlin", "Berlin", "DE", "10"),
    ("Munich", "Bavaria", "DE", "80"),
    ("Paris", "Île-de-France", "FR", "75"),
    ("Madrid", "Madrid", "ES", "28"),
    ("New York", "NY", "US", "100"),
    ("Austin", "TX", "US", "787"),
    ("San Francisco", "CA", "US", "941"),
    ("London", "Greater London", "GB", "EC1"),
    ("Tokyo", "Tokyo", "JP", "100-"),
    ("Sydney", "NSW", "AU", "20"),
)
STREETS = ("Main St", "Oak Avenue", "Marszałkowska", "Hauptstraße", "Rue de Rivoli", "Gran Vía", "High Street")
TIERS = ("bronze", "silver", "gold", "platinum")
REGIONS = ("EU", "US", "APAC")
VOUCHER_CHANNELS = ("email", "sms", "web", "in-store")
PUBLICATION_CHANNELS = ("API", "Email", "SMS", "voucherify-website", "Automation")
PAYMENT_MEANS = ("card", "paypal", "apple_pay", "bank_transfer", "cash")
STORES = ("online", "warsaw-01", "berlin-02", "nyc-03")
CUSTOMER_SOURCES = ("API", "Shopify", "csv-import", "voucherify-website")
FAILURES = {
    "DISCOUNT_VOUCHER": (
        ("voucher_expired", "Voucher has expired."),
        ("customer_rules_violated", "Customer did not match the validation rules."),
        ("order_rules_violated", "Order did not match the validation rules."),
        ("voucher_disabled", "Voucher is disabled."),
    ),
    "GIFT_VOUCHER": (
        ("gift_amount_exceeded", "Gift amount exceeded the card balance."),
        ("voucher_disabled", "Voucher is disabled."),
        ("voucher_expired", "Voucher has expired."),
    ),
    "LOYALTY_CARD": (
        ("loyalty_card_points_exceeded", "Not enough points on the loyalty card."),
        ("voucher_disabled", "Voucher is disabled."),
    ),
}
QUANTITY_EXCEEDED = ("quantity_exceeded", "Voucher's redemptions limit has been exceeded.")
MANUAL_REASONS = ("Customer service goodwill", "Balance correction", "Promotional top-up", "Fraud review")


def scaled_counts(scale: float) -> dict[str, int]:
    """How many of each base record a scale makes."""
    return {name: max(MIN_COUNTS[name], round(base * scale)) for name, base in BASE_COUNTS.items()}


@dataclass
class Campaign:
    id: str
    name: str
    campaign_type: str
    voucher_type: str
    discount_type: str | None
    category: str | None
    category_id: str | None
    prefix: str
    created_ms: int

    @property
    def is_referral(self) -> bool:
        return self.campaign_type == "REFERRAL_PROGRAM"


@dataclass
class Customers:
    """The customers' identities and the running totals their summaries are computed from."""

    ids: list[str] = field(default_factory=list)
    source_ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    totals: list[Totals] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


class Totals:
    """One customer's running totals; slots keep 200,000 customers in a few tens of megabytes."""

    __slots__ = (
        "failed",
        "gift_redeemed",
        "last_order_amount",
        "last_order_ms",
        "orders_amount",
        "orders_count",
        "points",
        "points_redeemed",
        "redeemed",
        "referred",
        "rollback_succeeded",
        "rolled_back",
        "succeeded",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    failed: int
    gift_redeemed: int
    last_order_amount: int
    last_order_ms: int
    orders_amount: int
    orders_count: int
    points: int
    points_redeemed: int
    redeemed: int
    referred: int
    rollback_succeeded: int
    rolled_back: int
    succeeded: int


class Batches:
    """Rows waiting to be inserted, flushed table by table with executemany."""

    def __init__(self, conn: sqlite3.Connection, *, track_ids: bool = False) -> None:
        self.conn = conn
        self.track_ids = track_ids
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.counts: dict[str, int] = {}
        self.ids: dict[str, list[str]] = {}
        self._columns = {obj: tables.columns(obj) for obj in tables.TABLE_NAMES}

    def add(self, exported_object: str, row: dict[str, Any]) -> None:
        pending = self.rows.setdefault(exported_object, [])
        pending.append(tuple(map(row.get, self._columns[exported_object])))
        if self.track_ids:
            self.ids.setdefault(exported_object, []).append(row["id"])
        if len(pending) >= BATCH_ROWS:
            self.flush(exported_object)

    def flush(self, exported_object: str | None = None) -> None:
        for name in [exported_object] if exported_object else list(self.rows):
            pending = self.rows.get(name)
            if not pending:
                continue
            cols = self._columns[name]
            marks = ",".join("?" * len(cols))
            self.conn.executemany(f"INSERT INTO {tables.TABLE_NAMES[name]} VALUES ({marks})", pending)
            self.counts[name] = self.counts.get(name, 0) + len(pending)
            pending.clear()


class Generator:
    """Makes records from one random stream; `generate` fills an empty store."""

    def __init__(self, seed: int, *, anchor_ms: int) -> None:
        self.rng = random.Random(seed)
        self.anchor_ms = anchor_ms
        self.start_ms = anchor_ms - HISTORY_DAYS * DAY_MS
        self._code_mask = random.Random(f"codes-{seed}").getrandbits(_CODE_MASK_BITS)
        self._order_seq = 0
        self.campaigns: list[Campaign] = []
        self.categories: list[tuple[str, str]] = []
        self.customers = Customers()
        # The latest transaction of the previous card, which a points transfer names as its counterpart.
        self._last_transaction_elsewhere: str | None = None
        self.rollbacks = True

    # identifiers ---------------------------------------------------------------------------------
    def ident(self, prefix: str, nbytes: int = 18) -> str:
        return prefix + base64.b64encode(self.rng.randbytes(nbytes)).decode().translate(_ALNUM)

    def hex_ident(self, prefix: str) -> str:
        return prefix + self.rng.randbytes(9).hex()

    def code(self, index: int, prefix: str) -> str:
        """A unique code: the index through a bijection of 40 bits, so codes never collide."""
        bits = ((index * 0x9E3779B97F4A7C15) & ((1 << _CODE_MASK_BITS) - 1)) ^ self._code_mask
        body = base64.b32encode(bits.to_bytes(5, "big")).decode()
        return f"{prefix}-{body}" if prefix else body

    def next_order_source(self) -> str:
        self._order_seq += 1
        return f"ORD-{self._order_seq:07d}"

    def between(self, low_ms: int, high_ms: int) -> int:
        return low_ms if high_ms <= low_ms else self.rng.randrange(low_ms, high_ms)

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

    def make_customer_identities(self, n: int, created_low: int | None = None, created_high: int | None = None) -> None:
        low = self.start_ms if created_low is None else created_low
        high = self.anchor_ms - 7 * DAY_MS if created_high is None else created_high
        customers = self.customers
        for _ in range(n):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            number = len(customers) + 1
            customers.ids.append(self.ident("cust_"))
            customers.source_ids.append(f"customer-{number:06d}")
            customers.names.append(f"{first} {last}")
            customers.created.append(self.between(low, high))
            customers.totals.append(Totals())

    # the per-voucher bundle ----------------------------------------------------------------------
    def voucher_bundle(self, index: int, batches: Batches, created_ms: int | None = None) -> str:
        """Write one voucher and every record that refers to it; returns the voucher id."""
        rng = self.rng
        campaign = rng.choice(self.campaigns) if rng.random() < 0.9 else None
        voucher_type = campaign.voucher_type if campaign else "DISCOUNT_VOUCHER"
        low = campaign.created_ms if campaign else self.start_ms
        created = created_ms if created_ms is not None else self.between(low, self.anchor_ms - 2 * DAY_MS)
        voucher_id = self.ident("v_", 24)
        code = self.code(index, campaign.prefix if campaign else "")
        discount_type = campaign.discount_type if campaign else None
        if voucher_type == "DISCOUNT_VOUCHER" and discount_type is None:
            discount_type = rng.choice(("AMOUNT", "PERCENT", "FIXED", "UNIT"))
        v: dict[str, Any] = {
            "id": voucher_id,
            "code": code,
            "voucher_type": voucher_type,
            "discount_type": discount_type,
            "campaign": campaign.name if campaign else None,
            "campaign_id": campaign.id if campaign else None,
            "category": campaign.category if campaign else None,
            "category_id": campaign.category_id if campaign else None,
            "created_at": iso_ms(created),
            "active": 0 if rng.random() < 0.08 else 1,
            "is_referral_code": 1 if campaign and campaign.is_referral else 0,
            "qr_code": f"https://dl.voucherify.io/api/v1/assets/qr/{code}",
            "bar_code": f"https://dl.voucherify.io/api/v1/assets/barcode/{code}",
        }
        if rng.random() < 0.5:
            v["start_date"] = iso_ms(created + rng.randrange(0, 10) * DAY_MS)
        expires = None
        if rng.random() < 0.6:
            expires = created + rng.randrange(30, 730) * DAY_MS
            v["expiration_date"] = iso_ms(expires)
        if rng.random() < 0.1:
            v["validity_timeframe_interval"] = rng.choice(("P2D", "P1W"))
            v["validity_timeframe_duration"] = rng.choice(("PT1H", "PT12H"))
        if rng.random() < 0.2:
            v["validity_day_of_week"] = rng.choice(("1,2,3,4,5", "0,6", "5,6", "1,3,5"))
        if rng.random() < 0.15:
            v["additional_info"] = rng.choice(("One use per customer", "Staff only", "Printed flyer"))
        if rng.random() < 0.3:
            v["validation_rules_id"] = self.ident("val_")
        metadata: dict[str, Any] = {"channel": rng.choice(VOUCHER_CHANNELS)}
        if rng.random() < 0.8:
            metadata["region"] = rng.choice(REGIONS)
        if rng.random() < 0.3:
            metadata["batch"] = rng.randrange(1, 20)
        v["metadata"] = _json(metadata)

        if voucher_type == "DISCOUNT_VOUCHER":
            v.update(self._discount_terms(discount_type))
        holder: int | None = None
        published_share = {"DISCOUNT_VOUCHER": 0.4, "GIFT_VOUCHER": 0.6, "LOYALTY_CARD": 0.95}[voucher_type]
        if campaign and campaign.is_referral:
            published_share = 1.0
        customers = self.customers
        last_event = created
        if rng.random() < published_share:
            holder = rng.randrange(len(customers))
            pub_ms = self.between(max(created, customers.created[holder]), self.anchor_ms - DAY_MS)
            v["customer_id"] = customers.ids[holder]
            v["customer_source_id"] = customers.source_ids[holder]
            self._publication(batches, v, campaign, holder, pub_ms, "SUCCESS")
            if rng.random() < 0.03:
                other = rng.randrange(len(customers))
                self._publication(batches, v, campaign, other, self.between(pub_ms, self.anchor_ms), "FAILURE")
            last_event = pub_ms
        card = _CardState(voucher=v, campaign=campaign, holder=holder, expires_ms=expires)
        if voucher_type == "DISCOUNT_VOUCHER":
            last_event = self._discount_events(batches, card, last_event)
        elif voucher_type == "GIFT_VOUCHER":
            last_event = self._gift_events(batches, card, last_event)
        else:
            last_event = self._loyalty_events(batches, card, last_event)
        if card.last_transaction is not None:
            self._last_transaction_elsewhere = card.last_transaction
        v["redemption_count"] = card.succeeded
        v["redemption"] = _json({"quantity": v.get("redemption_quantity"), "redeemed_quantity": card.succeeded})
        v["updated_at"] = iso_ms(last_event)
        batches.add("voucher", v)
        return voucher_id

    def _discount_terms(self, discount_type: str | None) -> dict[str, Any]:
        rng = self.rng
        terms: dict[str, Any] = {"redemption_quantity": rng.choice((None, None, 1, 1, 5, 10))}
        if discount_type == "AMOUNT":
            terms["value"] = rng.choice((500, 1000, 1500, 2000, 2500, 5000))
            terms["discount_effect"] = "APPLY_TO_ORDER"
        elif discount_type == "PERCENT":
            terms["value"] = rng.choice((5, 10, 15, 20, 25, 12.5))
            terms["discount_amount_limit"] = rng.choice((None, 2000, 5000))
            terms["discount_effect"] = rng.choice(("APPLY_TO_ORDER", "APPLY_TO_ITEMS"))
        elif discount_type == "UNIT":
            terms["value"] = rng.choice((1, 1, 2, 3))
            terms["discount_unit_type"] = self.ident("prod_", 12)
            terms["discount_unit_effect"] = rng.choice(("ADD_MISSING_ITEMS", "ADD_NEW_ITEMS", "ADD_MANY_ITEMS"))
        elif discount_type == "FIXED":
            terms["value"] = rng.choice((999, 1999, 4999))
        return terms

    def _publication(
        self, batches: Batches, v: dict[str, Any], campaign: Campaign | None, who: int, at_ms: int, result: str
    ) -> None:
        rng = self.rng
        customers = self.customers
        failed = result == "FAILURE"
        batches.add(
            "publication",
            {
                "id": self.ident("pub_"),
                "voucher_code": v["code"],
                "code": v["code"],
                "voucher_id": v["id"],
                "customer_id": customers.ids[who],
                "customer_source_id": customers.source_ids[who],
                "tracking_id": customers.source_ids[who],
                "date": iso_ms(at_ms),
                "created_at": iso_ms(at_ms),
                "channel": rng.choice(PUBLICATION_CHANNELS),
                "campaign": campaign.name if campaign else None,
                "campaign_id": campaign.id if campaign else None,
                "voucher_type": v["voucher_type"],
                "is_referral_code": v["is_referral_code"],
                "is_winner": 1 if not failed and rng.random() < 0.02 else 0,
                "metadata": _json(
                    {"source": rng.choice(("newsletter", "checkout", "crm"))} if rng.random() < 0.5 else {}
                ),
                "result": result,
                "failure_code": "voucher_already_published" if failed else None,
                "source_id": f"pub-{rng.randrange(10**8):08d}" if rng.random() < 0.3 else None,
            },
        )

    def _events(self, after_ms: int, count: int) -> Iterator[int]:
        at = after_ms
        for _ in range(count):
            at += self.rng.randrange(HOUR_MS, 40 * DAY_MS)
            if at >= self.anchor_ms:
                return
            yield at

    def _discount_events(self, batches: Batches, card: _CardState, after_ms: int) -> int:
        rng = self.rng
        last = after_ms
        attempts = rng.choices((0, 1, 2, 3), weights=(55, 30, 10, 5))[0]
        quantity = card.voucher.get("redemption_quantity")
        for at in self._events(after_ms, attempts):
            last = at
            who = card.holder
            if who is None or (card.campaign is not None and card.campaign.is_referral):
                who = rng.randrange(len(self.customers))
            failure = None
            if quantity is not None and card.succeeded >= quantity:
                failure = QUANTITY_EXCEEDED
            elif card.expires_ms is not None and at > card.expires_ms:
                failure = FAILURES["DISCOUNT_VOUCHER"][0]
            elif rng.random() < 0.12:
                failure = rng.choice(FAILURES["DISCOUNT_VOUCHER"][1:])
            amount = rng.randrange(10, 500) * 100 - 1
            discount = 0 if failure else self._discount_for(card.voucher, amount)
            self._redemption(batches, card, who, at, amount, failure, discount=discount)
        return last

    def _discount_for(self, v: dict[str, Any], amount: int) -> int:
        value = v.get("value") or 0
        kind = v.get("discount_type")
        if kind == "AMOUNT":
            return int(min(value, amount))
        if kind == "PERCENT":
            off = int(amount * value / 100)
            limit = v.get("discount_amount_limit")
            return min(off, limit) if limit else off
        if kind == "FIXED":
            return max(0, amount - int(value))
        return min(amount, 1500 * int(value))

    def _gift_events(self, batches: Batches, card: _CardState, after_ms: int) -> int:
        rng = self.rng
        balance = rng.choice((2500, 5000, 10000, 20000))
        last = after_ms
        for at in self._events(after_ms, rng.choices((0, 1, 2, 3, 4), weights=(30, 30, 20, 12, 8))[0]):
            last = at
            roll = rng.random()
            if roll < 0.7:
                who = card.holder if card.holder is not None else rng.randrange(len(self.customers))
                amount = rng.randrange(10, 300) * 100
                if balance <= 0 or rng.random() < 0.1:
                    self._redemption(batches, card, who, at, amount, rng.choice(FAILURES["GIFT_VOUCHER"]))
                    continue
                used = min(balance, amount)
                balance -= used
                redemption_id, order = self._redemption(batches, card, who, at, amount, None, gift_amount=used)
                self._transaction(batches, card, "CREDITS_REDEMPTION", -used, balance, at, redemption_id, order)
                self.customers.totals[who].gift_redeemed += used
            elif roll < 0.85:
                added = rng.choice((1000, 2500, 5000))
                balance += added
                self._transaction(batches, card, "CREDITS_ADDITION", added, balance, at, manual=True)
            elif roll < 0.93 and balance > 0:
                removed = min(balance, rng.choice((500, 1000)))
                balance -= removed
                self._transaction(batches, card, "CREDITS_REMOVAL", -removed, balance, at, manual=True)
            else:
                refund = rng.choice((500, 1500))
                balance += refund
                self._transaction(batches, card, "CREDITS_REFUND", refund, balance, at)
        card.voucher["gift_balance"] = balance
        card.voucher["value"] = balance
        return last

    def _loyalty_events(self, batches: Batches, card: _CardState, after_ms: int) -> int:
        rng = self.rng
        balance = 0
        last = after_ms
        pending: list[tuple[int, int]] = []  # (expires_ms, points) of buckets not yet expired
        for at in self._events(after_ms, rng.choices((0, 1, 2, 3, 4, 6), weights=(10, 20, 25, 20, 15, 10))[0]):
            balance = self._expire_buckets(batches, card, pending, balance, at)
            last = at
            who = card.holder if card.holder is not None else rng.randrange(len(self.customers))
            roll = rng.random()
            if roll < 0.55 or balance == 0:
                order = self._order(batches, who, at, rng.randrange(10, 400) * 100 - 1, 0, "SUCCESS", None)
                points = order["amount"] // 100
                balance += points
                self._transaction(batches, card, "POINTS_ACCRUAL", points, balance, at, None, order)
                pending.append(self._bucket(batches, card, points, at))
            elif roll < 0.8:
                wanted = rng.choice((100, 200, 500))
                if wanted > balance:
                    self._redemption(batches, card, who, at, wanted * 10, FAILURES["LOYALTY_CARD"][0])
                    continue
                balance -= wanted
                redemption_id, order = self._redemption(batches, card, who, at, wanted * 10, None, points=wanted)
                self._transaction(batches, card, "POINTS_REDEMPTION", -wanted, balance, at, redemption_id, order)
                self.customers.totals[who].points_redeemed += wanted
            elif roll < 0.88:
                added = rng.choice((50, 100, 250))
                balance += added
                self._transaction(batches, card, "POINTS_ADDITION", added, balance, at, manual=True)
                pending.append(self._bucket(batches, card, added, at))
            elif roll < 0.93:
                removed = min(balance, rng.choice((25, 50)))
                balance -= removed
                self._transaction(batches, card, "POINTS_REMOVAL", -removed, balance, at, manual=True)
            elif roll < 0.97:
                moved = min(balance, rng.choice((10, 50)))
                balance -= moved
                self._transaction(batches, card, "POINTS_TRANSFER_OUT", -moved, balance, at, manual=True, related=True)
            else:
                refund = rng.choice((20, 40))
                balance += refund
                self._transaction(batches, card, "POINTS_REFUND", refund, balance, at)
        balance = self._expire_buckets(batches, card, pending, balance, self.anchor_ms)
        card.voucher["loyalty_balance"] = balance
        card.voucher["value"] = balance
        if card.holder is not None:
            self.customers.totals[card.holder].points += balance
        return last

    def _bucket(self, batches: Batches, card: _CardState, points: int, at_ms: int) -> tuple[int, int]:
        expires = (at_ms // DAY_MS + 365) * DAY_MS
        batches.add(
            "points_expiration",
            {
                "id": self.ident("lopb_"),
                "campaign_id": card.voucher["campaign_id"],
                "voucher_id": card.voucher["id"],
                "status": "ACTIVE" if expires > self.anchor_ms else "INACTIVE",
                "expires_at": iso_date(expires),
                "points": points,
            },
        )
        return expires, points

    def _expire_buckets(
        self, batches: Batches, card: _CardState, pending: list[tuple[int, int]], balance: int, until_ms: int
    ) -> int:
        for bucket in [b for b in pending if b[0] <= until_ms]:
            pending.remove(bucket)
            lost = min(balance, bucket[1])
            if lost > 0:
                balance -= lost
                self._transaction(batches, card, "POINTS_EXPIRATION", -lost, balance, bucket[0])
        return balance

    def _transaction(
        self,
        batches: Batches,
        card: _CardState,
        kind: str,
        amount: int,
        balance: int,
        at_ms: int,
        redemption_id: str | None = None,
        order: dict[str, Any] | None = None,
        *,
        manual: bool = False,
        related: bool = False,
    ) -> None:
        rng = self.rng
        details: dict[str, Any] = {}
        if order is not None:
            details["order"] = {"id": order["id"], "source_id": order["source_id"]}
        if redemption_id is not None:
            details["redemption"] = {"id": redemption_id}
        if kind == "POINTS_EXPIRATION":
            details["points_expiration"] = {"points": -amount}
        tx_id = self.hex_ident("vtx_")
        row = {
            "id": tx_id,
            "type": kind,
            "source_id": f"tx-{rng.randrange(10**6):06d}" if manual and rng.random() < 0.6 else None,
            "reason": rng.choice(MANUAL_REASONS) if manual else None,
            "balance": balance,
            "amount": amount,
            "created_at": iso_ms(at_ms),
            "voucher_id": card.voucher["id"],
            "campaign_id": card.voucher["campaign_id"],
            "source": "voucherify-web-ui" if manual else ("Automation" if kind == "POINTS_EXPIRATION" else "API"),
            "details": _json(details),
            # A transfer names the receiving card's transaction; the previous card's latest stands in for it.
            "related_transaction_id": self._last_transaction_elsewhere if related else None,
        }
        batches.add("voucher_transactions", row)
        card.last_transaction = tx_id

    def _order(
        self,
        batches: Batches,
        who: int,
        at_ms: int,
        amount: int,
        discount: int,
        result: str,
        referrer: int | None,
    ) -> dict[str, Any]:
        rng = self.rng
        items_discount = rng.choice((0, 0, 0, 100, 250)) if result == "SUCCESS" and amount > 1000 else 0
        # Discounts never take an order below zero.
        discount = min(discount, amount)
        items_discount = min(items_discount, amount - discount)
        total_discount = discount + items_discount
        status = (
            rng.choice(("PAID", "FULFILLED", "FULFILLED"))
            if result == "SUCCESS"
            else rng.choice(("CREATED", "CANCELED"))
        )
        order: dict[str, Any] = {
            "id": self.ident("ord_"),
            "source_id": self.next_order_source(),
            "created_at": iso_ms(at_ms - rng.randrange(1000, 600_000)),
            "updated_at": iso_ms(at_ms + rng.randrange(1000, 3 * DAY_MS)),
            "status": status,
            "amount": amount,
            "discount_amount": discount,
            "items_discount_amount": items_discount,
            "total_discount_amount": total_discount,
            "total_amount": amount - total_discount,
            "customer_id": self.customers.ids[who],
            "referrer_id": self.customers.ids[referrer] if referrer is not None else None,
            "metadata": _json({"payment_mean": rng.choice(PAYMENT_MEANS), "store": rng.choice(STORES)}),
        }
        batches.add("order", order)
        if status != "CANCELED":
            totals = self.customers.totals[who]
            totals.orders_amount += amount - total_discount
            totals.orders_count += 1
            if at_ms >= totals.last_order_ms:
                totals.last_order_ms = at_ms
                totals.last_order_amount = amount - total_discount
        return order

    def _redemption(
        self,
        batches: Batches,
        card: _CardState,
        who: int,
        at_ms: int,
        amount: int,
        failure: tuple[str, str] | None,
        *,
        discount: int = 0,
        gift_amount: int | None = None,
        points: int | None = None,
    ) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        v = card.voucher
        result = "FAILURE" if failure else "SUCCESS"
        referrer = card.holder if card.campaign is not None and card.campaign.is_referral else None
        applied = discount or gift_amount or (points * 10 if points else 0)
        order = self._order(batches, who, at_ms, amount, applied, result, referrer)
        customers = self.customers
        redemption_id = self.ident("r_")
        row = {
            "id": redemption_id,
            "object": "redemption",
            "date": iso_ms(at_ms),
            "created_at": iso_ms(at_ms),
            "updated_at": iso_ms(at_ms),
            "voucher_code": v["code"],
            "campaign": v["campaign"],
            "campaign_id": v["campaign_id"],
            "customer_id": customers.ids[who],
            "customer_source_id": customers.source_ids[who],
            "customer_name": customers.names[who],
            "tracking_id": customers.source_ids[who],
            "order_amount": amount,
            "order_id": order["id"],
            "gift_amount": gift_amount,
            "loyalty_points": points,
            "result": result,
            "failure_code": failure[0] if failure else None,
            "failure_message": failure[1] if failure else None,
            "user_login": "ops@example.com" if rng.random() < 0.05 else None,
            "metadata": _json({"pos": f"POS-{rng.randrange(1, 9)}"} if rng.random() < 0.4 else {}),
        }
        totals = customers.totals[who]
        totals.redeemed += 1
        if failure:
            totals.failed += 1
            batches.add("redemption", row)
            return redemption_id, order
        totals.succeeded += 1
        card.succeeded += 1
        if referrer is not None:
            customers.totals[referrer].referred += 1
        if self.rollbacks and v["voucher_type"] == "DISCOUNT_VOUCHER" and rng.random() < 0.04:
            rollback_at = at_ms + rng.randrange(HOUR_MS, 5 * DAY_MS)
            # The rollback updates the redemption it undoes.
            row["updated_at"] = iso_ms(rollback_at)
            batches.add("redemption", row)
            batches.add(
                "redemption",
                {
                    **row,
                    "id": self.ident("rr_"),
                    "object": "redemption_rollback",
                    "date": iso_ms(rollback_at),
                    "created_at": iso_ms(rollback_at),
                    "parent_redemption_id": redemption_id,
                    "metadata": _json({"reason": "Order returned"}),
                },
            )
            totals.rolled_back += 1
            totals.rollback_succeeded += 1
        else:
            batches.add("redemption", row)
        return redemption_id, order

    def extra_order(self, batches: Batches, at_ms: int | None = None) -> str:
        who = self.rng.randrange(len(self.customers))
        when = at_ms if at_ms is not None else self.between(self.customers.created[who], self.anchor_ms)
        result = "SUCCESS" if self.rng.random() < 0.9 else "FAILURE"
        order = self._order(batches, who, when, self.rng.randrange(5, 600) * 100 - 1, 0, result, None)
        return str(order["id"])

    # customers, last, because their summaries total everything above ------------------------------
    def customer_rows(self, first: int = 0) -> Iterator[dict[str, Any]]:
        rng = self.rng
        customers = self.customers
        for i in range(first, len(customers)):
            t = customers.totals[i]
            name = customers.names[i]
            city, state, country, postal = rng.choice(PLACES)
            address = {
                "city": city,
                "state": state,
                "line_1": f"{rng.randrange(1, 250)} {rng.choice(STREETS)}",
                "line_2": f"Apt {rng.randrange(1, 80)}" if rng.random() < 0.3 else None,
                "country": country,
                "postal_code": f"{postal}{rng.randrange(100, 999)}",
            }
            birthday = None
            if rng.random() < 0.7:
                birthday = date(rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()
            average = t.orders_amount // t.orders_count if t.orders_count else 0
            last_order = iso_ms(t.last_order_ms) if t.orders_count else None
            summary = {
                "redemptions": {
                    "total_redeemed": t.redeemed,
                    "total_failed": t.failed,
                    "total_succeeded": t.succeeded,
                    "total_rolled_back": t.rolled_back,
                    "total_rollback_failed": 0,
                    "total_rollback_succeeded": t.rollback_succeeded,
                    "gift": {"redeemed_amount": t.gift_redeemed, "amount_to_go": 0},
                    "loyalty_card": {"redeemed_points": t.points_redeemed, "points_to_go": t.points},
                },
                "orders": {
                    "total_amount": t.orders_amount,
                    "total_count": t.orders_count,
                    "average_amount": average,
                    "last_order_amount": t.last_order_amount if t.orders_count else None,
                    "last_order_date": last_order,
                },
            }
            first_name, _, last_name = name.partition(" ")
            email_user = f"{first_name}.{last_name}".lower().replace("'", "")
            created = customers.created[i]
            metadata: dict[str, Any] = {"tier": rng.choice(TIERS), "newsletter": rng.random() < 0.6}
            if rng.random() < 0.4:
                metadata["favourite_categories"] = rng.sample(CATEGORY_NAMES, rng.randrange(1, 4))
            row: dict[str, Any] = {
                "id": customers.ids[i],
                "name": name,
                "description": rng.choice((None, None, "VIP customer", "Imported from Shopify")),
                "email": f"{email_user}{i + 1}@example.com",
                "source_id": customers.source_ids[i],
                "created_at": iso_ms(created),
                "updated_at": iso_ms(max(created, t.last_order_ms)),
                "address_city": city,
                "address_state": state,
                "address_line_1": address["line_1"],
                "address_line_2": address["line_2"],
                "address_country": country,
                "address_postal_code": address["postal_code"],
                "address": _json(address),
                "redemptions_total_redeemed": t.redeemed,
                "redemptions_total_failed": t.failed,
                "redemptions_total_succeeded": t.succeeded,
                "redemptions_total_rolled_back": t.rolled_back,
                "redemptions_total_rollback_failed": 0,
                "redemptions_total_rollback_succeeded": t.rollback_succeeded,
                "orders_total_amount": t.orders_amount,
                "orders_total_count": t.orders_count,
                "orders_average_amount": average,
                "orders_last_order_amount": t.last_order_amount if t.orders_count else None,
                "orders_last_order_date": last_order,
                "loyalty_points": t.points,
                "loyalty_referred_customers": t.referred,
                "loyalty": _json({"points": t.points, "referred_customers": t.referred}),
                "summary": _json(summary),
                "phone": f"+1 555 01{rng.randrange(10**5):05d}" if rng.random() < 0.8 else None,
                "birthday": birthday,
                "birthdate": birthday,
                "metadata": _json(metadata),
                "system_metadata": _json(
                    {"source": rng.choice(CUSTOMER_SOURCES), "consents": {"unsubscribed": rng.random() < 0.15}}
                ),
                # The documented filter prefixes beyond the spec's table, derived (no random draw, so the
                # rest of the data is what it was): loyalty_tier.X, events.X, system.metadata.X.
                "loyalty_tier": _json({"ltr_sandbox": {"points": t.points}}) if t.points else None,
                "events": _json({"order_paid": {"count": t.orders_count}}) if t.orders_count else None,
            }
            row["system"] = _ENCODE({"metadata": json.loads(row["system_metadata"])})
            yield row

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
        batches.flush()
        return batches.counts


@dataclass
class _CardState:
    voucher: dict[str, Any]
    campaign: Campaign | None
    holder: int | None
    expires_ms: int | None
    succeeded: int = 0
    last_transaction: str | None = None
