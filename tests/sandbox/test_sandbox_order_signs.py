"""The sandbox's order signs against the OpenAPI documents: `field` ascending, `-field` descending, `+field` a 400.

Every order enum in tests/data/*.schema.json (and `GET /v1/exports`'s order parameter) lists `field` and `-field`
only; a value outside the enum is `invalid_payload`, whether in `parameters.order`, the top-level `order` of the
per-resource endpoints or the list's query string (where a raw `+` decodes to a space).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exportctl import schema
from exportctl.sandbox import Sandbox

from .http_api import Api

DATA = Path(__file__).parent.parent / "data"


def documented_orders() -> dict[str, list[str]]:
    """The order enum of each exported object in the create-request schema."""
    document = json.loads((DATA / "exports-create-request.schema.json").read_text())
    found: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            props = node.get("properties", {})
            exported = props.get("exported_object", {}).get("enum")
            order = props.get("parameters", {}).get("properties", {}).get("order")
            if exported and order:
                ref = order["allOf"][0]["$ref"].rsplit("/", 1)[1]
                found[exported[0]] = document["components"]["schemas"][ref]["enum"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def test_the_documented_orders_are_the_sandboxs_and_none_has_a_plus_sign() -> None:
    documented = documented_orders()
    # Product, SKU and API-log orders come from the SDK's enums and the changelog, in no document of tests/data.
    in_documents = {name for name, obj in schema.API_OBJECTS.items() if obj.source == schema.DOCUMENTED}
    assert set(documented) == in_documents
    for exported_object, orders in documented.items():
        assert not any(order.startswith("+") for order in orders)
        assert set(schema.API_OBJECTS[exported_object].orders) == set(orders), exported_object


@pytest.mark.parametrize(("order", "descending"), [("created_at", False), ("-created_at", True)])
def test_parameters_order_sorts_by_its_sign(api: Api, order: str, descending: bool) -> None:
    rows = api.cells(api.create("voucher", {"fields": ["code", "created_at"], "order": order}))
    times = [row[1] for row in rows]
    assert len(set(times)) > 10
    assert times == sorted(times, reverse=descending)


@pytest.mark.parametrize("order", ["+created_at", " created_at", "created_at ", "--created_at", "+", "-"])
def test_an_order_outside_the_enum_is_invalid_payload(api: Api, order: str) -> None:
    body = {"exported_object": "voucher", "parameters": {"order": order}}
    details = api.error(api.post("/v1/exports", body), 400, "invalid_payload")["details"]
    assert details.startswith("Property .parameters.order should be equal to one of the allowed values")
    assert "created_at, -created_at" in details


def test_a_top_level_order_with_a_plus_sign_is_invalid_payload(api: Api) -> None:
    bad = api.post("/v1/orders/export", {"order": "+created_at", "parameters": {"fields": ["id"]}})
    assert "Property .order" in api.error(bad, 400, "invalid_payload")["details"]


@pytest.mark.parametrize(("query", "descending"), [("created_at", False), ("-created_at", True)])
def test_the_list_sorts_by_its_sign(api: Api, sandbox: Sandbox, query: str, descending: bool) -> None:
    for _ in range(2):
        api.create("voucher")
    response = api.get("/v1/exports", params={"order": query, "limit": 100})
    assert response.status_code == 200, response.text
    created = [export["created_at"] for export in response.json()["exports"]]
    assert len(created) >= 2
    assert created == sorted(created, reverse=descending)


@pytest.mark.parametrize("raw", ["order=%2Bcreated_at", "order=+created_at"])
def test_the_list_refuses_a_plus_sign_encoded_or_raw(api: Api, raw: str) -> None:
    details = api.error(api.get(f"/v1/exports?{raw}"), 400, "invalid_payload")["details"]
    assert details == "Query parameter order should be one of created_at, -created_at, status, -status"
