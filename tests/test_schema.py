"""The schema tables agree with the documented export object (a copy lives in tests/data)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exportctl import schema

SPEC = Path(__file__).parent / "data" / "export-object.txt"

# The order in which export-object.txt documents the objects' field tables.
SPEC_ORDER = [
    "order",
    "voucher",
    "publication",
    "redemption",
    "customer",
    "points-expiration",
    "gift-card-transactions",
    "loyalty-card-transactions",
]


def _spec_tables() -> dict[str, tuple[list[str], list[str]]]:
    """Per object: its 'Available values' of fields and of orders, as the spec text gives them."""
    text = SPEC.read_text()
    orders = re.findall(r"sorting in a descending order\.\n\nAvailable values: ([^\n]*)", text)
    fields = re.findall(r"FieldDefinitionExample Export\n.*?\nAvailable values: ([^\n]*)", text, re.S)
    assert len(orders) == len(fields) == len(SPEC_ORDER)
    return {
        name: ([f.strip() for f in field_line.split(",")], [o.strip() for o in order_line.split(",")])
        for name, field_line, order_line in zip(SPEC_ORDER, fields, orders, strict=True)
    }


@pytest.mark.parametrize("command", SPEC_ORDER)
def test_fields_match_the_documented_available_values(command: str) -> None:
    documented, _ = _spec_tables()[command]
    ours = set(schema.BY_COMMAND[command].field_names)
    # The spec's loyalty table describes `source` but leaves it out of its list; we accept it.
    assert ours - set(documented) <= {"source"}
    assert set(documented) <= ours


@pytest.mark.parametrize("command", SPEC_ORDER)
def test_orders_match_the_documented_available_values(command: str) -> None:
    _, documented = _spec_tables()[command]
    assert set(schema.BY_COMMAND[command].orders) == set(documented)


def test_every_default_field_is_accepted_by_the_api() -> None:
    for name, obj in schema.API_OBJECTS.items():
        accepted = {field.name for field in schema.accepted_fields(name)}
        assert set(obj.default_fields) <= accepted, name


def test_the_ten_api_objects_are_served() -> None:
    assert set(schema.API_OBJECTS) == {
        "order",
        "voucher",
        "publication",
        "redemption",
        "customer",
        "points_expiration",
        "voucher_transactions",
        "product",
        "sku",
        "api_log",
    }


def test_titles_are_readable_like_the_api_header_row() -> None:
    voucher = schema.VOUCHER
    titles = [voucher.get_field(name).title for name in ("id", "code", "voucher_type", "value")]  # type: ignore[union-attr]
    assert ",".join(titles) == "ID,Code,Voucher Type,Value"
    assert schema.title_for("metadata.region") == "Metadata Region"


def test_voucher_titles_are_the_ones_real_exports_write() -> None:
    titles = {name: schema.VOUCHER.title_of(name) for name in ("redemption_quantity", "loyalty_balance", "bar_code")}
    assert titles == {
        "redemption_quantity": "Redemption Limit",
        "loyalty_balance": "Loyalty Card Balance",
        "bar_code": "Barcode",
    }
    assert (schema.VOUCHER.title_of("created_at"), schema.VOUCHER.title_of("updated_at")) == (
        "Creation Date",
        "Last Update Date",
    )
    assert schema.ORDER.title_of("created_at") == "Created At"  # no evidence for other objects: the default


def test_the_docs_title_table_is_every_title_the_default_does_not_give() -> None:
    text = (Path(__file__).parents[1] / "docs" / "sandbox.md").read_text(encoding="utf-8")
    table = text.split("<!-- titles:start -->", 1)[1].split("<!-- titles:end -->", 1)[0]
    documented = set(re.findall(r"^\| (\S+) \| `([^`]+)` \| ([^|]+?) \|$", table, re.MULTILINE))
    given = {
        (obj.command, f.name, f.title)
        for obj in schema.EXPORT_OBJECTS
        for f in (*obj.fields, *obj.api_only_fields)
        if f.title != schema.title_for(f.name)
    }
    assert documented == given


def test_prefixed_fields_are_accepted_only_where_documented() -> None:
    assert schema.CUSTOMER.get_field("address.city") is not None
    assert schema.VOUCHER.get_field("metadata.region") is not None
    assert schema.VOUCHER.get_field("address.city") is None
    assert schema.POINTS_EXPIRATION.get_field("metadata.x") is None
    assert schema.VOUCHER.get_field("metadata.") is None


def test_get_object_accepts_commands_and_api_names() -> None:
    assert schema.get_object("points-expiration") is schema.POINTS_EXPIRATION
    assert schema.get_object("points_expiration") is schema.POINTS_EXPIRATION
    with pytest.raises(KeyError):
        schema.get_object("vouchers")


def test_product_and_sku_tables_follow_the_sdk_enums() -> None:
    """The Python SDK 6.1.1's enums are the only evidence for these two: every field and order we accept is in them."""
    parameters = pytest.importorskip("voucherify.models.exports_create_request_body_parameters")
    body = pytest.importorskip("voucherify.models.exports_create_request_body")
    model = parameters.ExportsCreateRequestBodyParameters
    for obj in (schema.PRODUCT, schema.SKU):
        assert obj.source == schema.SDK_ENUM
        model.from_dict({"fields": list(obj.field_names), "order": None})
        for order in obj.orders:
            model.from_dict({"order": order})
        body.ExportsCreateRequestBody.from_dict({"exported_object": obj.exported_object})
    # The Create Export text's defaults.
    assert schema.PRODUCT.default_fields == (
        "id",
        "name",
        "price",
        "image_url",
        "source_id",
        "attributes",
        "created_at",
    )
    assert schema.SKU.default_fields[:4] == ("id", "sku", "product_id", "currency")
    assert schema.SKU.title_of("sku") == "SKU" and schema.SKU.title_of("image_url") == "Image URL"


def test_api_log_follows_the_changelog() -> None:
    obj = schema.API_LOG
    assert obj.source == schema.CHANGELOG and obj.exported_object == "api_log"
    assert obj.field_names == (
        "id", "created_at", "status", "request_id", "channel", "method", "endpoint", "url", "user_email", "app_id",
        "client_app_id", "request_duration", "request_body", "response_body",
    )  # fmt: skip
    assert obj.orders == ("created_at", "-created_at")
    documented = {f.name: f.operators for f in obj.filters}
    assert documented == {
        "created_at": ("$after", "$before"),
        "status": ("$is", "$is_not"),
        "channel": ("$in", "$not_in"),
        "app_id": ("$in", "$not_in", "$is", "$is_not"),
        "client_app_id": ("$in", "$not_in", "$is", "$is_not"),
    }


def test_the_operator_list_is_the_api_s_sixty_eight() -> None:
    every = (*schema.OPERATORS, *schema.EXTRA_OPERATORS)
    assert len(every) == len(set(every)) == 68
    assert set(schema.CALENDAR_MD_OPERATORS) <= set(every)
    assert not set(schema.UNKNOWN_OPERATORS) & set(every)
