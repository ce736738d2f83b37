"""What the generator's records are made of: timestamps, compact JSON, campaigns, customers, card state, batches.

Shared by the generator's object families (`customers`, `vouchers`, `orders`, `cards`) and the store.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from exportctl.sandbox import tables

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
HISTORY_DAYS = 730

BATCH_ROWS = 5000


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


def compact_json(value: Any) -> str:
    return _ENCODE(value)


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


@dataclass
class CardState:
    voucher: dict[str, Any]
    campaign: Campaign | None
    holder: int | None
    expires_ms: int | None
    succeeded: int = 0
    last_transaction: str | None = None
