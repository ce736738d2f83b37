"""The data ends at `as_of` (default: today, UTC), so relative filters find data on any day the suite runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone

import pytest

from exportctl.sandbox import Sandbox, Timing
from exportctl.schema import API_OBJECTS

from .http_api import Api

FAST = Timing(scheduled=0.0, in_progress=0.0, per_thousand_rows=0.0)
PINNED = date(2026, 11, 1)
# Every object that filters on created_at, with the field its CSV shows that date in.
CREATED = {
    "voucher": "created_at",
    "redemption": "date",
    "publication": "date",
    "customer": "created_at",
    "order": "created_at",
    "voucher_transactions": "created_at",
}


@pytest.fixture(scope="module")
def pinned() -> Iterator[Sandbox]:
    with Sandbox(scale=0.02, as_of=PINNED, timing=FAST) as sb:
        yield sb


def export(sandbox: Sandbox, exported_object: str, parameters: Mapping[str, object]) -> list[dict[str, str]]:
    """The exported rows over HTTP, keyed by field name."""
    fields = parameters["fields"]
    assert isinstance(fields, list)
    api = Api(sandbox)
    try:
        rows = api.rows(exported_object, dict(parameters))
    finally:
        api.session.close()
    obj = API_OBJECTS[exported_object]
    return [{field: row[obj.title_of(field)] for field in fields} for row in rows]


def test_the_default_is_today_in_utc(sandbox: Sandbox) -> None:
    assert sandbox.as_of == datetime.now(timezone.utc).date()


@pytest.mark.parametrize("exported_object", sorted(CREATED))
def test_the_last_thirty_days_hold_data_for_every_object(sandbox: Sandbox, exported_object: str) -> None:
    since = (datetime.now(timezone.utc) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    shown = CREATED[exported_object]
    rows = export(
        sandbox,
        exported_object,
        {"fields": [shown], "filters": {"created_at": {"conditions": {"$after": [since]}}}},
    )
    assert rows, f"no {exported_object} created in the last 30 days"
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    assert all(since <= row[shown] < now for row in rows)


def test_history_ends_before_a_pinned_as_of_and_spans_two_years(pinned: Sandbox) -> None:
    rows = export(pinned, "redemption", {"fields": ["id", "date"], "order": "created_at"})
    first, last = rows[0]["date"], rows[-1]["date"]
    assert last < "2026-11-01" and last >= "2026-09-01"
    assert "2024-10-01" <= first < "2025-06-01"


def test_future_dated_fields_lie_ahead_of_as_of(pinned: Sandbox) -> None:
    buckets = export(pinned, "points_expiration", {"fields": ["id", "status", "expires_at"]})
    active = [row["expires_at"] for row in buckets if row["status"] == "ACTIVE"]
    expired = [row["expires_at"] for row in buckets if row["status"] != "ACTIVE"]
    assert active and all(expiry > "2026-11-01" for expiry in active)
    assert all(expiry <= "2026-11-01" for expiry in expired)
    vouchers = export(pinned, "voucher", {"fields": ["code", "expiration_date"]})
    assert any(row["expiration_date"] > "2026-11-01" for row in vouchers)


def test_same_seed_and_as_of_give_the_same_bytes_another_as_of_shifts_every_date(pinned: Sandbox) -> None:
    fields = {"fields": ["code", "created_at", "expiration_date"], "order": "created_at"}
    with Sandbox(scale=0.02, as_of=PINNED, timing=FAST) as again:
        assert export(again, "voucher", fields) == export(pinned, "voucher", fields)
    with Sandbox(scale=0.02, as_of=PINNED + timedelta(days=100), timing=FAST) as later:
        shifted = export(later, "voucher", fields)
    for before, after in zip(export(pinned, "voucher", fields), shifted, strict=True):
        assert before["code"] == after["code"]
        moved = datetime.fromisoformat(after["created_at"][:-1]) - datetime.fromisoformat(before["created_at"][:-1])
        assert moved == timedelta(days=100)


def test_a_datetime_pins_the_instant_history_ends() -> None:
    end = datetime(2027, 3, 15, 18, 30, tzinfo=timezone.utc)
    with Sandbox(scale=0.01, as_of=end, timing=FAST) as sb:
        rows = export(sb, "order", {"fields": ["id", "created_at"], "order": "-created_at"})
    assert "2027-03-14" <= rows[0]["created_at"] < "2027-03-15T18:30"


def test_records_added_later_are_created_now_whatever_as_of_says(pinned: Sandbox) -> None:
    with Sandbox(scale=0.01, as_of=PINNED, timing=FAST) as sb:
        before = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        (added,) = sb.store.add_orders(1)
        rows = export(sb, "order", {"fields": ["id", "created_at"], "order": "-created_at"})
    newest = next(row for row in rows if row["id"] == added)
    # An order's created_at may precede the event that made it by up to ten minutes.
    assert newest["created_at"] >= (datetime.fromisoformat(before) - timedelta(minutes=11)).isoformat()
