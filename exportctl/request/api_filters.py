"""The API's own filters object (`{field: {conditions: {$operator: [values]}}}`), validated like expressions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from exportctl.errors import UsageError, ValidationError
from exportctl.request.filters import Condition, make_condition, resolve_field, validate_junction
from exportctl.request.operators import OPTIONAL_VALUE, check_operator
from exportctl.request.values import NO_VALUE, native_to_text
from exportctl.schema import ExportObject
from exportctl.suggest import closest


def api_junction(filters: Mapping[str, Any], *, where: str = "filters") -> str | None:
    """The validated `junction` of an API filters object, or None when it has none."""
    if "junction" not in filters:
        return None
    return validate_junction(filters["junction"], f"{where}.junction")


def validate_api_filters(
    filters: Mapping[str, Any],
    obj: ExportObject,
    *,
    where: str = "filters",
    locate: Callable[[tuple[str | int, ...]], str] | None = None,
) -> list[Condition]:
    """The conditions of an API `filters` object (from YAML), validated like expressions.

    `locate` turns a key path inside `filters` into the text that prefixes an error message
    (the YAML loader passes one that gives the file and line); by default it is a dotted path.
    """

    def default_locate(path: tuple[str | int, ...]) -> str:
        return where + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)

    at = locate or default_locate
    if not isinstance(filters, Mapping):
        raise UsageError(f"{at(())}: expected a mapping of filter fields to {{conditions: {{$operator: [values]}}}}.")
    conditions: list[Condition] = []
    for key, entry in filters.items():
        if key == "junction":
            validate_junction(entry, at(("junction",)))
            continue
        name = str(key)
        context = at((name,))
        spec = resolve_field(obj, name, context)
        if not isinstance(entry, Mapping):
            raise UsageError(f"{context}: expected {{conditions: {{$operator: [values]}}}}.")
        extra = [str(k) for k in entry if k != "conditions"]
        if extra:
            raise ValidationError(
                f"{at((name, extra[0]))}: unknown key '{extra[0]}'.",
                valid=("conditions",),
                suggestion=closest(extra[0], ("conditions",)),
            )
        operators = entry.get("conditions")
        if not isinstance(operators, Mapping) or not operators:
            raise UsageError(f"{at((name, 'conditions'))}: expected a mapping of operators to value lists.")
        for raw_operator, raw_values in operators.items():
            operator = str(raw_operator)
            op_context = at((name, "conditions", operator))
            check_operator(op_context, operator)
            listed = list(raw_values) if isinstance(raw_values, list | tuple) else [raw_values]
            if operator in NO_VALUE:
                # Real clients send true; the documentation an empty string: accept either, or nothing.
                if any(value not in ("", None, True) for value in listed):
                    raise UsageError(f"{op_context}: {operator} takes no value; write {operator}: true.")
                listed = []
            elif operator in OPTIONAL_VALUE and all(value in ("", None, True) for value in listed):
                listed = []  # a calendar period by month and day without a value of its own
            texts = [native_to_text(op_context, value) for value in listed]
            conditions.append(make_condition(op_context, obj, spec, operator, tuple(texts)))
    return conditions
