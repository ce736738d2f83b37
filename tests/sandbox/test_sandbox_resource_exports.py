"""The per-resource export endpoints as the real API answers them: scopes, their echo, 403 and 404."""

from __future__ import annotations

from typing import Any

from exportctl import schema
from exportctl.sandbox import Sandbox, Timing

from .http_api import Api


def ids(sandbox: Sandbox, sql: str, *params: Any) -> list[str]:
    return sorted(str(row[0]) for row in sandbox.store.rows(sql, params))


def campaign(sandbox: Sandbox, voucher_type: str) -> tuple[str, str]:
    """(id, name) of a campaign of this voucher type that has transactions, when its cards can have any."""
    row = sandbox.store.rows(
        "SELECT c.id, c.name FROM campaigns c WHERE c.voucher_type = ? ORDER BY"
        " EXISTS (SELECT 1 FROM voucher_transactions t WHERE t.campaign_id = c.id) DESC, c.rowid LIMIT 1",
        (voucher_type,),
    )[0]
    return str(row[0]), str(row[1])


def loyalty_card(sandbox: Sandbox) -> tuple[str, str, str]:
    """(id, code, campaign id) of a loyalty card with transactions."""
    row = sandbox.store.rows(
        "SELECT v.id, v.code, v.campaign_id FROM vouchers v WHERE v.voucher_type = 'LOYALTY_CARD'"
        " AND EXISTS (SELECT 1 FROM voucher_transactions t WHERE t.voucher_id = v.id) LIMIT 1"
    )[0]
    return str(row[0]), str(row[1]), str(row[2])


def created(api: Api, path: str, body: Any = None) -> dict[str, Any]:
    response = api.post(path, body)
    assert response.status_code == 200, response.text
    export = dict(response.json())
    assert export["exported_object"] in schema.API_OBJECTS
    return export


def transaction_ids(api: Api, export: dict[str, Any]) -> list[str]:
    assert export["exported_object"] == "voucher_transactions"
    return sorted(row[0] for row in api.cells(export))


def test_campaign_transactions_of_a_discount_campaign_are_forbidden(api: Api, sandbox: Sandbox) -> None:
    discount_id, discount_name = campaign(sandbox, "DISCOUNT_VOUCHER")
    for given in (discount_id, discount_name):
        body = api.error(api.post(f"/v1/campaigns/{given}/transactions/export"), 403, "forbidden")
        assert body["message"] == "Forbidden"
        assert body["details"] == "Transactions are allowed only for loyalty or gift campaigns"
    api.error(api.post("/v1/campaigns/camp_nothing/transactions/export"), 404, "not_found")


def test_campaign_scope_echoes_campaign_id_and_the_junction_it_applies(api: Api, sandbox: Sandbox) -> None:
    gift_id, gift_name = campaign(sandbox, "GIFT_VOUCHER")
    bare = created(api, f"/v1/campaigns/{gift_name}/transactions/export")
    scope = {"campaign_id": {"conditions": {"$in": [gift_id]}}}
    assert bare["parameters"] == {"filters": scope}
    since = {"conditions": {"$after": ["2000-01-01T00:00:00.000Z"]}}
    body = {"parameters": {"fields": ["id", "type", "created_at"], "filters": {"created_at": since}}}
    filtered = created(api, f"/v1/campaigns/{gift_id}/transactions/export", body)
    assert filtered["parameters"] == {
        "fields": ["id", "type", "created_at"],
        "filters": {"junction": "AND", "created_at": since, **scope},
    }
    expected = ids(sandbox, "SELECT id FROM voucher_transactions WHERE campaign_id = ?", gift_id)
    assert transaction_ids(api, filtered) == expected
    assert expected


def test_a_top_level_order_beside_parameters_sorts_the_rows(api: Api, sandbox: Sandbox) -> None:
    gift_id, _ = campaign(sandbox, "GIFT_VOUCHER")
    # The documented example of this endpoint sends `order` beside `parameters`, not inside it.
    body = {"order": "-created_at", "parameters": {"fields": ["id", "created_at"]}}
    export = created(api, f"/v1/campaigns/{gift_id}/transactions/export", body)
    assert export["parameters"] == {
        "fields": ["id", "created_at"],
        "filters": {"campaign_id": {"conditions": {"$in": [gift_id]}}},
    }
    times = [row[1] for row in api.cells(export)]
    assert times == sorted(times, reverse=True) and len(set(times)) > 1
    # parameters.order wins over the top-level one.
    body = {"order": "-created_at", "parameters": {"fields": ["id", "created_at"], "order": "created_at"}}
    times = [row[1] for row in api.cells(created(api, f"/v1/campaigns/{gift_id}/transactions/export", body))]
    assert times == sorted(times)
    bad = api.post(f"/v1/campaigns/{gift_id}/transactions/export", {"order": "name"})
    assert "Property .order" in api.error(bad, 400, "invalid_payload")["details"]


def test_loyalty_campaign_transactions(api: Api, sandbox: Sandbox) -> None:
    loyalty_id, loyalty_name = campaign(sandbox, "LOYALTY_CARD")
    expected = ids(sandbox, "SELECT id FROM voucher_transactions WHERE campaign_id = ?", loyalty_id)
    assert expected
    for given in (loyalty_id, loyalty_name):
        export = created(api, f"/v1/loyalties/{given}/transactions/export", {"parameters": {"fields": ["id"]}})
        assert export["parameters"]["filters"] == {"campaign_id": {"conditions": {"$in": [loyalty_id]}}}
        assert transaction_ids(api, export) == expected
    gift_id, _ = campaign(sandbox, "GIFT_VOUCHER")
    api.error(api.post(f"/v1/loyalties/{gift_id}/transactions/export"), 404, "not_found")


def test_loyalty_member_transactions_by_code_or_id(api: Api, sandbox: Sandbox) -> None:
    card_id, code, _ = loyalty_card(sandbox)
    expected = ids(sandbox, "SELECT id FROM voucher_transactions WHERE voucher_id = ?", card_id)
    for given in (code, card_id):
        body = {"parameters": {"order": "-created_at", "fields": ["id", "voucher_id"]}}
        export = created(api, f"/v1/loyalties/members/{given}/transactions/export", body)
        assert export["parameters"] == {
            "order": "-created_at",
            "fields": ["id", "voucher_id"],
            "filters": {"voucher_id": {"conditions": {"$in": [given]}}},
        }
        assert transaction_ids(api, export) == expected
    gift_card = sandbox.store.rows("SELECT code FROM vouchers WHERE voucher_type = 'GIFT_VOUCHER' LIMIT 1")[0][0]
    error = api.error(api.post(f"/v1/loyalties/members/{gift_card}/transactions/export"), 404, "not_found")
    assert error["resource_type"] == "loyalty card"
    api.error(api.post("/v1/loyalties/members/NO-SUCH-CARD/transactions/export"), 404, "not_found")


def test_loyalty_member_transactions_within_a_campaign(api: Api, sandbox: Sandbox) -> None:
    card_id, code, campaign_id = loyalty_card(sandbox)
    export = created(api, f"/v1/loyalties/{campaign_id}/members/{code}/transactions/export")
    assert export["parameters"] == {"filters": {"voucher_id": {"conditions": {"$in": [code]}}}}
    assert transaction_ids(api, export) == ids(
        sandbox, "SELECT id FROM voucher_transactions WHERE voucher_id = ?", card_id
    )
    api.error(api.post(f"/v1/loyalties/camp_nothing/members/{code}/transactions/export"), 404, "not_found")


def test_a_member_outside_the_campaign_is_not_found() -> None:
    # The shared sandbox is too small for two loyalty campaigns; this scale makes two.
    with Sandbox(scale=0.7, timing=Timing(scheduled=0.01, in_progress=0.01, per_thousand_rows=0)) as larger:
        api = Api(larger)
        loyalty = larger.store.rows("SELECT id FROM campaigns WHERE voucher_type = 'LOYALTY_CARD' ORDER BY rowid")
        first, second = str(loyalty[0][0]), str(loyalty[1][0])
        code = larger.store.rows("SELECT code FROM vouchers WHERE campaign_id = ? LIMIT 1", (first,))[0][0]
        created(api, f"/v1/loyalties/{first}/members/{code}/transactions/export")
        outside = api.post(f"/v1/loyalties/{second}/members/{code}/transactions/export")
        assert api.error(outside, 404, "not_found")["resource_id"] == code
        api.session.close()


def test_points_expiration_echoes_only_what_was_sent(api: Api, sandbox: Sandbox) -> None:
    loyalty_id, _ = campaign(sandbox, "LOYALTY_CARD")
    sent = {"fields": ["id", "campaign_id"], "order": "-expires_at"}
    export = created(api, f"/v1/loyalties/{loyalty_id}/points-expiration/export", {"parameters": sent})
    assert export["parameters"] == sent
    assert sorted(row[0] for row in api.cells(export)) == ids(
        sandbox, "SELECT id FROM points_buckets WHERE campaign_id = ?", loyalty_id
    )


def test_orders_export_takes_nulls_and_a_top_level_order(api: Api, sandbox: Sandbox) -> None:
    body = {"order": "created_at", "parameters": {"fields": ["id", "created_at"], "filters": None}}
    export = created(api, "/v1/orders/export", body)
    assert export["parameters"] == {"fields": ["id", "created_at"]}
    times = [row[1] for row in api.cells(export)]
    assert times == sorted(times) and len(times) == sandbox.store.counts()["order"]
