"""Store.touch_records: records change in place, with a field and updated_at (the sandbox's now), so that an
export filtering on updated_at sees exactly them, and repeated touches walk through the table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from exportctl.sandbox import Sandbox, Timing
from exportctl.sandbox.touch import CHANGES, NotTouchable, touchable

from .http_api import Api

FAST = Timing(0.0, 0.0, 0.0)


def test_touched_records_change_a_field_and_their_updated_at_and_an_export_on_updated_at_sees_them(
    tmp_path: Path,
) -> None:
    with Sandbox(scale=0.01, timing=FAST, db_path=tmp_path / "own.sqlite3") as sb:
        client = Api(sb)
        start = datetime.now(timezone.utc) - timedelta(seconds=1)

        def since() -> dict[str, object]:
            # Until now: the generator dates some orders' updated_at after its as_of, even after the clock.
            until = datetime.now(timezone.utc) + timedelta(milliseconds=1)
            window = {"$after": [start.isoformat(timespec="milliseconds")], "$before": [until.isoformat()]}
            return {"updated_at": {"conditions": window}}

        for obj, column in (("voucher", "active"), ("order", "status"), ("customer", "description")):
            table = {"voucher": "vouchers", "order": "orders", "customer": "customers"}[obj]
            before = dict(sb.store.rows(f"SELECT id, {column} FROM {table}"))
            touched = sb.store.touch_records(obj, 2)
            after = dict(sb.store.rows(f"SELECT id, {column} FROM {table}"))
            assert len(set(touched)) == 2
            assert {i for i in before if before[i] != after[i]} == set(touched), obj
            assert client.ids(obj, since()) == sorted(touched), obj
            # The next touch takes the least recently updated records: never the ones just changed.
            assert not set(sb.store.touch_records(obj, 2)) & set(touched)
        rolled = sb.store.touch_records("redemption", 1)
        assert client.ids("redemption", since()) == rolled


def test_only_objects_with_updated_at_can_be_touched(tmp_path: Path) -> None:
    assert set(CHANGES) <= set(touchable())
    assert "publication" not in touchable()
    with Sandbox(scale=0.01, timing=FAST, db_path=tmp_path / "own.sqlite3") as sb, pytest.raises(NotTouchable):
        sb.store.touch_records("publication", 1)


def test_the_touch_endpoint_changes_records_over_http_and_refuses_bad_bodies(tmp_path: Path) -> None:
    import requests

    with Sandbox(scale=0.01, timing=FAST, db_path=tmp_path / "own.sqlite3") as sb:
        client = Api(sb)
        answer = client.post("/v1/sandbox/touch", {"object": "order", "count": 3})
        assert answer.status_code == 200, answer.text
        ids = answer.json()["ids"]
        assert len(set(ids)) == 3 and all(i.startswith("ord_") for i in ids)
        newest = sb.store.rows("SELECT id FROM orders WHERE id IN (?, ?, ?)", tuple(ids))
        assert len(newest) == 3
        for body in ({"object": "publication"}, {"object": "order", "count": 0}, {"object": "order", "count": "3"}):
            refused = client.post("/v1/sandbox/touch", body)
            assert refused.status_code == 400 and refused.json()["key"] == "invalid_payload", body
        unauthenticated = requests.post(f"{sb.base_url}/v1/sandbox/touch", json={"object": "order"}, timeout=10)
        assert unauthenticated.status_code == 401
