"""The request bodies exportctl builds validate against the OpenAPI request schemas (copies in tests/data).

A small validator covers the part of JSON Schema the documents use: type, enum, properties, items,
required, additionalProperties, allOf, anyOf, oneOf, $ref, and OpenAPI 3.0's `nullable`; `format`
is an annotation and not checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exportctl.request.build import build_request
from exportctl.request.filters import Condition, build_filters, operators_for, parse_expression
from exportctl.request.model import ExportRequest, RequestFlags
from exportctl.schema import DOCUMENTED, EXPORT_OBJECTS, OPERATORS, ExportObject, ValueType

DATA = Path(__file__).parents[1] / "data"
TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


# What real clients send beyond the OpenAPI document (../shared/reference/api-facts.md, "What real clients
# and real exports show", high confidence): booleans as JSON booleans (`{"$is": [false]}`), and the presence
# operators as `{"$is_unknown": true}`. Only these two amendments are made to the documents' schemas.
PRESENCE_AS_SENT = ("$has_value", "$is_unknown")


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    if "Any" in schemas:
        # `Any` lists string, date and date-time as separate oneOf branches, which every string matches
        # at once (format is only an annotation); the document means "any of these".
        items = schemas["Any"]["items"]
        items["anyOf"] = [*items.pop("oneOf"), {"title": "boolean, as real clients send", "type": "boolean"}]
    condition = schemas.get("FiltersCondition")
    if condition is not None:
        for operator in PRESENCE_AS_SENT:
            documented = condition["properties"][operator]
            condition["properties"][operator] = {"anyOf": [documented, {"type": "boolean", "enum": [True]}]}
    return document


def errors(instance: Any, schema: dict[str, Any], document: dict[str, Any], path: str = "$") -> list[str]:
    """Every way `instance` breaks `schema`, as 'path: reason' lines; empty when it is valid."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return errors(instance, document["components"]["schemas"][name], document, path)
    if instance is None:
        return [] if schema.get("nullable") else [f"{path}: null is not allowed"]
    found: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        fits = isinstance(instance, TYPES[expected]) and not (isinstance(instance, bool) and expected != "boolean")
        if not fits:
            return [f"{path}: {instance!r} is not of type {expected}"]
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{path}: {instance!r} is not one of {schema['enum']}")
    for branch in schema.get("allOf", []):
        found += errors(instance, branch, document, path)
    if "anyOf" in schema and all(errors(instance, b, document, path) for b in schema["anyOf"]):
        found.append(f"{path}: matches none of anyOf")
    if "oneOf" in schema:
        outcomes: list[list[str]] = [errors(instance, b, document, path) for b in schema["oneOf"]]
        matching = sum(not outcome for outcome in outcomes)
        if matching == 0:
            # The closest branch's complaints say more than "no branch matched".
            closest: list[str] = min(outcomes, key=len)
            found += closest
        elif matching > 1:
            found.append(f"{path}: matches {matching} branches of oneOf, not exactly one")
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                found.append(f"{path}: '{key}' is required")
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in properties:
                found += errors(value, properties[key], document, f"{path}.{key}")
            elif extra is False:
                found.append(f"{path}: '{key}' is not allowed")
            elif isinstance(extra, dict):
                found += errors(value, extra, document, f"{path}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            found += errors(item, schema["items"], document, f"{path}[{index}]")
    return found


EXPORTS = load("exports-create-request.schema.json")
RESOURCES = load("resource-exports-request.schema.json")
SAMPLES = {
    ValueType.STRING: "x",
    ValueType.INTEGER: "5",
    ValueType.AMOUNT: "1000",
    ValueType.NUMBER: "1.5",
    ValueType.BOOLEAN: "true",
    ValueType.DATETIME: "2024-01-01T10:00:00Z",  # an instant: a bare day in $in would be refused (the day rule)
    ValueType.DATE: "2024-01-01",
    ValueType.JSON: "x",
}


def every_condition(obj: ExportObject) -> list[Condition]:
    """One condition for each operator that applies to each filter field of `obj`, and a prefix field."""
    names = [*obj.filter_names, *(f"{prefix}key" for prefix in obj.filter_prefixes)]
    conditions = []
    for name in names:
        spec = obj.get_filter(name)
        assert spec is not None
        # FiltersCondition's operators: the ones beyond it are passed through (tests/cli/test_documented_inputs.py).
        for operator in (op for op in operators_for(obj, name) if op in OPERATORS):
            if operator in ("$has_value", "$is_unknown"):
                expression = f"{name}:{operator}"
            elif "days" in operator or "ago" in operator or "future" in operator or "count" in operator:
                expression = f"{name}:{operator}:3"
            elif operator in ("$after", "$before"):
                expression = f"{name}:{operator}:2024-01-01"
            elif operator in ("$more_than", "$less_than", "$more_than_equal", "$less_than_equal"):
                expression = f"{name}:{operator}:{SAMPLES[spec.type] if spec.type.is_numeric else '7'}"
            else:
                sample = spec.values[0] if spec.values else SAMPLES[spec.type]
                expression = (
                    f"{name}:{operator}:{sample},{sample}"
                    if operator in ("$in", "$not_in")
                    else (f"{name}:{operator}:{sample}")
                )
            conditions.append(parse_expression(expression, obj))
    return conditions


# The copied document predates product, sku and api_log (their tables come from the SDK enums and the
# changelog: tests/test_schema.py checks those); every documented object is checked against it.
IN_THE_DOCUMENT = [obj for obj in EXPORT_OBJECTS if obj.source == DOCUMENTED]


@pytest.mark.parametrize("obj", IN_THE_DOCUMENT, ids=lambda obj: obj.command)
def test_the_bare_body_validates(obj: ExportObject) -> None:
    request, _ = build_request(obj, RequestFlags())
    assert errors(request.body(), EXPORTS["components"]["schemas"]["ExportsCreateRequestBody"], EXPORTS) == []


@pytest.mark.parametrize("obj", IN_THE_DOCUMENT, ids=lambda obj: obj.command)
def test_every_field_order_and_filter_operator_validates(obj: ExportObject) -> None:
    schema = EXPORTS["components"]["schemas"]["ExportsCreateRequestBody"]
    # The OpenAPI field enums leave out the `metadata.X`-style fields that the documented export object
    # allows (and that the document's own orders example uses), so only the tables' own fields are sent.
    fields = tuple(f.name for f in obj.fields)
    filters = build_filters(every_condition(obj), "or")
    for order in obj.orders:
        body = ExportRequest(obj, fields, order, filters).body()
        assert errors(body, schema, EXPORTS) == []


def test_the_validator_catches_what_the_schema_forbids() -> None:
    schema = EXPORTS["components"]["schemas"]["ExportsCreateRequestBody"]
    obj = EXPORT_OBJECTS[0]
    assert errors(ExportRequest(obj, ("nope",)).body(), schema, EXPORTS) != []
    assert errors({"exported_object": "order", "parameters": {"order": "nope"}}, schema, EXPORTS) != []
    assert errors({"exported_object": "order", "parameters": {"filters": {"junction": "xor"}}}, schema, EXPORTS) != []
    assert errors({"parameters": {}}, schema, EXPORTS) != []


# The per-resource endpoints' schemas, by scope path.
RESOURCE_BODIES = {
    "/v1/vouchers/{value}/transactions/export": "VouchersTransactionsExportCreateRequestBody",
    "/v1/campaigns/{value}/transactions/export": "CampaignsTransactionsExportCreateRequestBody",
    "/v1/loyalties/{value}/points-expiration/export": "LoyaltiesPointsExpirationExportCreateRequestBody",
    # The loyalty transactions endpoints take the voucher transactions body (voucherify-openapi loyalties.json).
    "/v1/loyalties/{value}/transactions/export": "VouchersTransactionsExportCreateRequestBody",
    "/v1/loyalties/members/{value}/transactions/export": "VouchersTransactionsExportCreateRequestBody",
    "/v1/loyalties/{campaign}/members/{value}/transactions/export": "VouchersTransactionsExportCreateRequestBody",
}


@pytest.mark.parametrize(
    ("obj", "option", "path"),
    [(obj, scope.option, scope.path) for obj in EXPORT_OBJECTS for scope in obj.scopes],
    ids=lambda value: value.command if isinstance(value, ExportObject) else str(value),
)
def test_scoped_bodies_validate_against_their_endpoint(obj: ExportObject, option: str, path: str) -> None:
    schema = RESOURCES["components"]["schemas"][RESOURCE_BODIES[path]]
    # The campaign endpoint's field list leaves out campaign_id: every row has the campaign of the path.
    fields = tuple(f.name for f in obj.fields if not (option == "campaign" and f.name == "campaign_id"))
    for order in obj.orders:
        request = ExportRequest(obj, fields, order, scope=(option, "camp 1"))
        assert errors(request.body(), schema, RESOURCES) == []
    assert errors(ExportRequest(obj, scope=(option, "x")).body(), schema, RESOURCES) == []
