"""The request bodies exportctl builds validate against the OpenAPI request schemas (copies in tests/data).

The validator is tests/request/request_schema.py (shared with the fuzz tests, which check every body they get
accepted against it).
"""

from __future__ import annotations

import pytest

from exportctl.request.build import build_request
from exportctl.request.filters import Condition, build_filters, operators_for, parse_expression
from exportctl.request.model import ExportRequest, RequestFlags
from exportctl.schema import DOCUMENTED, EXPORT_OBJECTS, OPERATORS, ExportObject, ValueType
from tests.request.request_schema import EXPORTS, RESOURCE_BODIES, RESOURCES, errors

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
