"""Every endpoint and status code of the sandbox, over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest
import requests

from exportctl import schema
from exportctl.sandbox import Sandbox

from .http_api import Api


def _filter(exported_object: str, name: str, operator: str, values: object) -> bytes:
    body = {"exported_object": exported_object, "parameters": {"filters": {name: {"conditions": {operator: values}}}}}
    return json.dumps(body).encode()


ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.mark.parametrize("exported_object", list(schema.API_OBJECTS))
def test_create_answers_a_scheduled_export_and_defaults_the_fields(api: Api, exported_object: str) -> None:
    export = api.create(exported_object)
    assert export["id"].startswith("exp_")
    assert export["object"] == "export"
    assert export["status"] == "SCHEDULED"
    assert export["result"] is None
    assert export["channel"] == "API"
    assert export["user_id"] is None
    assert export["exported_object"] == exported_object
    assert ISO_MS.match(export["created_at"])
    # Nothing was sent, so nothing is echoed; the file still has the documented default columns.
    assert export["parameters"] == {}
    defaults = schema.API_OBJECTS[exported_object].default_fields
    text = api.csv_text(export)
    assert text.split("\r\n", 1)[0] == ",".join(schema.API_OBJECTS[exported_object].title_of(name) for name in defaults)
    assert text.endswith("\r\n")


def test_the_export_moves_through_its_statuses(sandbox: Sandbox) -> None:
    from exportctl.sandbox import Timing

    with Sandbox(scale=0.01, timing=Timing(scheduled=0.3, in_progress=0.3, per_thousand_rows=0)) as slow:
        client = Api(slow)
        export = client.create("order")
        seen = [export["status"]]
        deadline = time.monotonic() + 10
        while seen[-1] != "DONE" and time.monotonic() < deadline:
            status = client.get(f"/v1/exports/{export['id']}").json()["status"]
            if status != seen[-1]:
                seen.append(status)
            time.sleep(0.03)
        assert seen == ["SCHEDULED", "IN_PROGRESS", "DONE"]


def test_get_export_answers_the_export_object_and_the_file_url(api: Api, sandbox: Sandbox) -> None:
    export = api.create("voucher", {"fields": ["id", "code"]})
    done = api.wait(export["id"])
    assert done["status"] == "DONE"
    url = done["result"]["url"]
    assert url.startswith(f"{sandbox.base_url}/v1/exports/{export['id']}?token=")
    assert done["parameters"] == {"fields": ["id", "code"]}


def test_download_streams_the_file_with_its_length(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("customer")["id"])
    response = api.session.get(done["result"]["url"], timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert int(response.headers["Content-Length"]) == len(response.content)
    on_disk = (sandbox.data_dir / f"{done['id']}.csv").read_bytes()
    assert response.content == on_disk


def test_download_with_a_wrong_or_empty_token_is_unauthorized(api: Api) -> None:
    done = api.wait(api.create("order")["id"])
    base = done["result"]["url"].split("?")[0]
    api.error(api.session.get(base + "?token=not-the-token", timeout=10), 401, "unauthorized")
    api.error(api.session.get(base + "?token=", timeout=10), 401, "unauthorized")
    # The download needs the auth headers too.
    api.unauthorized(requests.get(done["result"]["url"], timeout=10))


def test_download_supports_ranges(api: Api) -> None:
    done = api.wait(api.create("voucher")["id"])
    url = done["result"]["url"]
    whole = api.session.get(url, timeout=10).content
    tail = api.session.get(url, headers={"Range": "bytes=10-"}, timeout=10)
    assert tail.status_code == 206
    assert tail.content == whole[10:]
    assert tail.headers["Content-Range"] == f"bytes 10-{len(whole) - 1}/{len(whole)}"
    assert int(tail.headers["Content-Length"]) == len(whole) - 10
    middle = api.session.get(url, headers={"Range": "bytes=5-9"}, timeout=10)
    assert (middle.status_code, middle.content) == (206, whole[5:10])
    suffix = api.session.get(url, headers={"Range": "bytes=-4"}, timeout=10)
    assert suffix.content == whole[-4:]
    beyond = api.session.get(url, headers={"Range": f"bytes={len(whole)}-"}, timeout=10)
    api.error(beyond, 416, "range_not_satisfiable")
    assert beyond.headers["Content-Range"] == f"bytes */{len(whole)}"


def test_delete_removes_the_export_and_its_file(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("order")["id"])
    path = sandbox.data_dir / f"{done['id']}.csv"
    assert path.exists()
    response = api.session.delete(api.url(f"/v1/exports/{done['id']}"), timeout=10)
    assert response.status_code == 204
    assert response.content == b""
    assert not path.exists()
    body = api.error(api.get(f"/v1/exports/{done['id']}"), 404, "not_found")
    assert body["resource_id"] == done["id"]
    assert body["resource_type"] == "export"
    api.error(api.session.delete(api.url(f"/v1/exports/{done['id']}"), timeout=10), 404, "not_found")
    api.error(api.session.get(done["result"]["url"], timeout=10), 404, "not_found")


def test_unknown_export_is_not_found(api: Api) -> None:
    body = api.error(api.get("/v1/exports/exp_missing"), 404, "not_found")
    assert body["details"] == "Cannot find export with id exp_missing"


def test_list_pages_and_orders(sandbox: Sandbox) -> None:
    from exportctl.sandbox import Timing

    with Sandbox(scale=0.01, timing=Timing(0.0, 0.0, 0.0)) as own:
        client = Api(own)
        created = [client.create(obj)["id"] for obj in ("order", "voucher", "customer")]
        listing = client.get("/v1/exports?limit=2&page=1").json()
        assert listing["object"] == "list"
        assert listing["data_ref"] == "exports"
        assert listing["total"] == 3
        assert [e["id"] for e in listing["exports"]] == created[::-1][:2]
        second = client.get("/v1/exports", params={"limit": 2, "page": 2}).json()
        assert [e["id"] for e in second["exports"]] == created[:1]
        oldest_first = client.get("/v1/exports", params={"order": "created_at"}).json()
        assert [e["id"] for e in oldest_first["exports"]] == created
        for job in created:
            client.wait(job)
        by_status = client.get("/v1/exports", params={"order": "-status"}).json()
        assert {e["status"] for e in by_status["exports"]} == {"DONE"}


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "page=0", "page=101", "order=name"])
def test_list_validates_its_query(api: Api, query: str) -> None:
    api.error(api.get(f"/v1/exports?{query}"), 400, "invalid_payload")


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-App-Id": "wrong"}, {"X-App-Token": "wrong"}],
    ids=["none", "wrong-id", "wrong-token"],
)
def test_requests_without_valid_credentials_are_unauthorized(sandbox: Sandbox, headers: dict[str, str]) -> None:
    sent = {**sandbox.headers, **headers} if headers else {}
    for method, path in (("GET", "/v1/exports"), ("POST", "/v1/exports"), ("GET", "/v1/nothing")):
        response = requests.request(method, sandbox.base_url + path, headers=sent, json={}, timeout=10)
        Api.unauthorized(response)


def test_wrong_method_and_unknown_path(api: Api) -> None:
    response = api.session.put(api.url("/v1/exports"), json={}, timeout=10)
    api.error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    api.error(api.session.post(api.url("/v1/exports/exp_x"), json={}, timeout=10), 405, "method_not_allowed")
    api.error(api.get("/v1/vouchers"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b"{not json", "Malformed JSON"),
        (b"[]", "object"),
        (b"", "required"),
        (b'{"parameters": {}}', "exported_object"),
        (b'{"exported_object": "campaign"}', "exported_object"),
        (b'{"exported_object": "voucher", "extra": 1}', "extra"),
        (b'{"exported_object": "voucher", "parameters": []}', "parameters"),
        (b'{"exported_object": "voucher", "parameters": {"fields": "code"}}', "fields"),
        (b'{"exported_object": "voucher", "parameters": {"fields": [1]}}', "fields"),
        (b'{"exported_object": "voucher", "parameters": {"order": "name"}}', "order"),
        (_filter("voucher", "code", "$like", ["A"]), "$like"),
        (_filter("voucher", "nope", "$is", ["A"]), "nope"),
        (b'{"exported_object": "voucher", "parameters": {"filters": {"junction": "xor"}}}', "junction"),
        (b'{"exported_object": "voucher", "parameters": {"filters": {"code": {"$is": ["A"]}}}}', "conditions"),
        (_filter("order", "amount", "$more_than", ["lots"]), "amount"),
        (_filter("voucher", "active", "$is", ["maybe"]), "active"),
        (_filter("voucher", "created_at", "$after", ["soon"]), "created_at"),
        (_filter("voucher", "code", "$is_days_ago", [3]), "dates"),
        (_filter("voucher", "created_at", "$is_days_ago", [-1]), "whole"),
        (_filter("voucher", "code", "$is", ["A", "B"]), "$in"),
        (_filter("voucher", "code", "$in", []), "value"),
        (_filter("voucher", "code", "$in", [{"a": 1}]), "code"),
    ],
)
def test_invalid_payloads(api: Api, body: bytes, mentions: str) -> None:
    response = api.session.post(
        api.url("/v1/exports"), data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    error = api.error(response, 400, "invalid_payload")
    assert mentions in error["details"]


def test_unknown_field_is_named_with_the_allowed_ones(api: Api) -> None:
    response = api.post("/v1/exports", {"exported_object": "redemption", "parameters": {"fields": ["id", "colour"]}})
    error = api.error(response, 400, "invalid_export_fields")
    assert error["message"] == "Invalid Export"
    assert "colour" in error["details"]
    assert "voucher_code" in error["details"]


def test_fields_pick_and_order_the_columns_with_titles(api: Api, sandbox: Sandbox) -> None:
    rows = api.rows(
        "voucher", {"fields": ["value", "code", "id", "active", "created_at", "metadata.region", "metadata"]}
    )
    # `metadata` becomes one column per key of the exported rows, headed by the key, sorted.
    titles = ["Value", "Code", "ID", "Active", "Creation Date", "Metadata Region", "batch", "channel", "region"]
    assert list(rows[0]) == titles
    stored = {r[0]: r for r in sandbox.store.rows("SELECT id, code, active, created_at, metadata FROM vouchers")}
    assert len(rows) == len(stored)
    for row in rows:
        _, code, active, created_at, metadata = stored[row["ID"]]
        assert row["Code"] == code
        assert row["Active"] == ("true" if active else "false")
        assert row["Creation Date"] == created_at and ISO_MS.match(created_at)
        keys = json.loads(metadata)
        for key in ("batch", "channel", "region"):
            assert row[key] == str(keys.get(key, ""))
        assert row["Metadata Region"] == row["region"]


def test_amounts_are_integer_cents_and_json_is_compact(api: Api) -> None:
    rows = api.rows("order", {"fields": ["amount", "total_amount"]})
    for row in rows:
        assert row["Amount"].isdigit() and row["Total Amount"].isdigit()
    for row in api.rows("voucher_transactions", {"fields": ["id", "details"]}):
        assert ": " not in row["Details"] and row["Details"].startswith("{")


def test_customer_prefix_fields(api: Api, sandbox: Sandbox) -> None:
    rows = api.rows("customer", {"fields": ["id", "address.city", "summary.orders.total_count", "metadata.newsletter"]})
    stored = dict(sandbox.store.rows("SELECT id, address_city FROM customers"))
    counts = dict(sandbox.store.rows("SELECT id, orders_total_count FROM customers"))
    for row in rows:
        assert row["Address City"] == stored[row["ID"]]
        assert row["Summary Orders Total Count"] == str(counts[row["ID"]])
        assert row["Metadata Newsletter"] in ("true", "false")


@pytest.mark.parametrize("order", ["code", "-code", "created_at", "-created_at"])
def test_order_sorts_the_rows(api: Api, order: str) -> None:
    key = order.lstrip("-")
    rows = api.rows("voucher", {"fields": ["id", key], "order": order})
    values = [row[schema.VOUCHER.title_of(key)] for row in rows]
    assert values == sorted(values, reverse=order.startswith("-"))
    assert len(set(values)) > 1


def test_csv_quotes_per_rfc_4180(api: Api, sandbox: Sandbox) -> None:
    text = api.csv_text(api.create("customer", {"fields": ["id", "name", "metadata"]}))
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    names = dict(sandbox.store.rows("SELECT id, name FROM customers"))
    assert all(names[row[0]] == row[1] for row in parsed[1:])
    assert '"[""' in text  # a metadata list holds quotes: they are doubled and the field quoted


def test_voucher_transactions_export_by_code_or_id(api: Api, sandbox: Sandbox) -> None:
    voucher_id, code = sandbox.store.rows(
        "SELECT v.id, v.code FROM vouchers v"
        " WHERE EXISTS (SELECT 1 FROM voucher_transactions t WHERE t.voucher_id = v.id) LIMIT 1"
    )[0]
    expected = sorted(
        r[0] for r in sandbox.store.rows("SELECT id FROM voucher_transactions WHERE voucher_id = ?", (voucher_id,))
    )
    for given in (code, voucher_id):
        response = api.post(
            f"/v1/vouchers/{given}/transactions/export", {"parameters": {"fields": ["id", "voucher_id"]}}
        )
        assert response.status_code == 200, response.text
        export = response.json()
        assert export["exported_object"] == "voucher_transactions"
        # Echoed as the real API does: the code or id from the path, whichever was given.
        assert export["parameters"] == {
            "fields": ["id", "voucher_id"],
            "filters": {"voucher_id": {"conditions": {"$in": [given]}}},
        }
        text = api.csv_text(export)
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert sorted(row["ID"] for row in rows) == expected
    api.error(api.post("/v1/vouchers/NO-SUCH-CODE/transactions/export"), 404, "not_found")


def test_campaign_transactions_export_by_id_or_name(api: Api, sandbox: Sandbox) -> None:
    campaign_id, name = sandbox.store.rows(
        "SELECT id, name FROM campaigns WHERE voucher_type = 'GIFT_VOUCHER' LIMIT 1"
    )[0]
    expected = sorted(
        r[0] for r in sandbox.store.rows("SELECT id FROM voucher_transactions WHERE campaign_id = ?", (campaign_id,))
    )
    assert expected
    for given in (campaign_id, name):
        response = api.session.post(api.url(f"/v1/campaigns/{given}/transactions/export"), timeout=10)
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(api.csv_text(response.json()), newline="")))
        assert sorted(row["ID"] for row in rows) == expected
    # The scope holds even when the request's own filters are joined with "or".
    body = {"parameters": {"filters": {"junction": "or", "created_at": {"conditions": {"$after": ["2000-01-01"]}}}}}
    rows = list(
        csv.DictReader(
            io.StringIO(api.csv_text(api.post(f"/v1/campaigns/{campaign_id}/transactions/export", body).json()))
        )
    )
    assert sorted(row["ID"] for row in rows) == expected
    api.error(api.post("/v1/campaigns/camp_nothing/transactions/export"), 404, "not_found")


def test_points_expiration_export_for_a_loyalty_campaign(api: Api, sandbox: Sandbox) -> None:
    campaign_id, name = sandbox.store.rows(
        "SELECT id, name FROM campaigns WHERE voucher_type = 'LOYALTY_CARD' LIMIT 1"
    )[0]
    expected = sorted(
        r[0] for r in sandbox.store.rows("SELECT id FROM points_buckets WHERE campaign_id = ?", (campaign_id,))
    )
    response = api.post(f"/v1/loyalties/{name}/points-expiration/export", {"parameters": {"order": "-expires_at"}})
    export = response.json()
    assert export["exported_object"] == "points_expiration"
    rows = list(csv.DictReader(io.StringIO(api.csv_text(export), newline="")))
    assert sorted(row["ID"] for row in rows) == expected
    dates = [row["Expires At"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    gift_campaign = sandbox.store.rows("SELECT id FROM campaigns WHERE voucher_type = 'GIFT_VOUCHER' LIMIT 1")[0][0]
    api.error(api.post(f"/v1/loyalties/{gift_campaign}/points-expiration/export"), 404, "not_found")


def test_orders_export_endpoint(api: Api, sandbox: Sandbox) -> None:
    response = api.post("/v1/orders/export", {"parameters": {"fields": ["id", "metadata.payment_mean"]}})
    export = response.json()
    assert export["exported_object"] == "order"
    rows = list(csv.DictReader(io.StringIO(api.csv_text(export), newline="")))
    assert len(rows) == sandbox.store.counts()["order"]
    assert all(row["Metadata Payment Mean"] for row in rows)
    api.error(api.post("/v1/orders/export", {"parameters": {"fields": ["nope"]}}), 400, "invalid_export_fields")
    api.error(api.session.get(api.url("/v1/orders/export"), timeout=10), 405, "method_not_allowed")


def test_every_response_carries_rate_limit_headers(api: Api) -> None:
    for response in (
        api.get("/v1/exports"),
        api.get("/v1/exports/exp_none"),
        requests.get(api.url("/v1/exports"), timeout=10),
    ):
        limit = int(response.headers["X-Rate-Limit-Limit"])
        remaining = int(response.headers["X-Rate-Limit-Remaining"])
        assert 0 <= remaining < limit
        assert int(response.headers["X-Rate-Limit-Retry"]) > time.time() - 1
