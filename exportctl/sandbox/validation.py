"""An export request read the way real clients send it, checked against the schema tables.

Real clients are loose in ways the API tolerates, so the sandbox must too: the official Python SDK
puts `"order": null, "filters": null, "campaign_id": null` into every `parameters`, and a null
anywhere (a parameter, a filter, an operator) means the property is absent. The export object echoes
`parameters` as sent, nulls dropped and nothing added, except that a per-resource endpoint shows its
scope in `filters` the way the real API does (`scope_echo`).
"""

from __future__ import annotations

from typing import Any

from exportctl import schema
from exportctl.sandbox.query import Condition, ExportSpec, InvalidExport, compile_filters

ALLOWED_PARAMETERS = ("order", "fields", "filters", "response_format", "campaign_id")
# Only a voucher export is narrowed by `parameters.campaign_id` (the OpenAPI document lists it there);
# the SDK sends it as null for every object, which is accepted everywhere.
CAMPAIGN_ID_OBJECTS = ("voucher",)


def without_nulls(value: Any) -> Any:
    """`value` with every null-valued object member removed, at any depth of nested objects."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    return value


def validate(
    exported_object: Any,
    parameters: Any,
    scope: tuple[Condition, ...] = (),
    *,
    scope_echo: tuple[Condition, ...] = (),
    order: Any = None,
) -> ExportSpec:
    """Check a request against the schema tables; raises InvalidExport naming what is wrong.

    `scope` narrows the rows (a per-resource endpoint's voucher or campaign), `scope_echo` is how the
    export object shows it, and `order` is a top-level `order` sent beside `parameters`, which the
    per-resource endpoints accept and which `parameters.order` overrides.
    """
    if not isinstance(exported_object, str) or exported_object not in schema.API_OBJECTS:
        allowed = ", ".join(schema.API_OBJECTS)
        raise InvalidExport(
            "invalid_payload", f"Property .exported_object should be equal to one of the allowed values [ {allowed} ]"
        )
    obj = schema.API_OBJECTS[exported_object]
    if parameters is not None and not isinstance(parameters, dict):
        raise InvalidExport("invalid_payload", "Property .parameters should be an object")
    sent: dict[str, Any] = without_nulls(parameters or {})
    for key in sent:
        if key not in ALLOWED_PARAMETERS:
            raise InvalidExport("invalid_payload", f"Property .parameters.{key} is not allowed")
    fields = _fields(obj, sent.get("fields"))
    chosen_order = _order(obj, sent.get("order"), ".parameters.order")
    if chosen_order is None:
        chosen_order = _order(obj, order, ".order")
    filters = sent.get("filters", {})
    compile_filters(obj, filters, scope)  # validates names, operators and values
    if sent.get("response_format", "CSV") != "CSV":
        raise InvalidExport("invalid_payload", "Property .parameters.response_format should be equal to CSV")
    campaign_id = sent.get("campaign_id")
    if campaign_id is not None:
        if exported_object not in CAMPAIGN_ID_OBJECTS:
            raise InvalidExport(
                "invalid_payload",
                f"Property .parameters.campaign_id applies to voucher exports only; "
                f"filter {exported_object} exports with parameters.filters instead",
            )
        if not isinstance(campaign_id, str):
            raise InvalidExport("invalid_payload", "Property .parameters.campaign_id should be a string")
        scope = (*scope, Condition("campaign_id", "$in", (campaign_id,)))
    return ExportSpec(exported_object, fields, chosen_order, filters, scope, _echo(sent, scope_echo))


def _echo(sent: dict[str, Any], scope_echo: tuple[Condition, ...]) -> dict[str, Any]:
    """`parameters` as the export object shows them."""
    if not scope_echo:
        return sent
    filters = dict(sent.get("filters", {}))
    # The real API names the junction it applies once the request has filters of its own.
    if "junction" not in filters and filters:
        filters = {"junction": "AND", **filters}
    for condition in scope_echo:
        filters[condition.name] = {"conditions": {condition.operator: list(condition.values)}}
    return {**sent, "filters": filters}


def _fields(obj: schema.ExportObject, fields: Any) -> tuple[str, ...]:
    if fields is None or fields == []:
        return obj.default_fields
    if not isinstance(fields, list) or not all(isinstance(name, str) for name in fields):
        raise InvalidExport("invalid_payload", "Property .parameters.fields should be an array of strings")
    accepted = [f.name for f in schema.accepted_fields(obj.exported_object)]
    for name in fields:
        if name in accepted:
            continue
        prefix = next((p for p in obj.field_prefixes if name.startswith(p) and len(name) > len(p)), None)
        if prefix is not None and all(name[len(prefix) :].split(".")):
            continue
        allowed = ", ".join(accepted + [f"{p}X" for p in obj.field_prefixes])
        raise InvalidExport("invalid_export_fields", f"Unsupported field used: {name}. Allowed fields: {allowed}")
    return tuple(fields)


def _order(obj: schema.ExportObject, order: Any, where: str) -> str | None:
    if order is None or order == "":
        return None
    if not isinstance(order, str) or order not in obj.orders:
        allowed = ", ".join(obj.orders)
        raise InvalidExport(
            "invalid_payload", f"Property {where} should be equal to one of the allowed values [ {allowed} ]"
        )
    return order
