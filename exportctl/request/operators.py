"""Which filter operators apply to which fields: FiltersCondition's by value type, then the API's others.

The operators beyond FiltersCondition (`schema.EXTRA_OPERATORS`) come after each type's own: the calendar
(`$today`, `$today_md`...) and year ones on dates only, the passed-through ones on every field. Fields under
a prefix (metadata.X) have no known type, so every operator is allowed on them. A filter whose operators
the reference documents (`FilterField.operators`) takes only those. The four operators the list endpoints
document but the API's own list leaves out (`schema.UNKNOWN_OPERATORS`) are refused with what to write.
"""

from __future__ import annotations

from typing import Any

from exportctl.errors import ValidationError
from exportctl.request.values import COMPARE, COUNT, DAYS, EQUALITY, PRESENCE, TEXT, TIME, FieldSpec
from exportctl.schema import (
    CALENDAR_MD_OPERATORS,
    CALENDAR_OPERATORS,
    EXTRA_OPERATORS,
    OPERATORS,
    PASSED_THROUGH_OPERATORS,
    UNKNOWN_OPERATORS,
    YEARS_OPERATORS,
    ExportObject,
    ValueType,
)
from exportctl.suggest import closest


def _ordered(names: frozenset[str] | set[str]) -> tuple[str, ...]:
    return tuple(op for op in OPERATORS if op in names)


# Which operators mean something for each value type (see the module docstring).
_DATES_ONLY = (*CALENDAR_OPERATORS, *CALENDAR_MD_OPERATORS, *YEARS_OPERATORS)
# Calendar periods by month and day: undocumented value forms, so a value is optional and sent as written.
OPTIONAL_VALUE = frozenset(CALENDAR_MD_OPERATORS)
_OPERATORS_BY_TYPE: dict[ValueType, tuple[str, ...]] = {
    ValueType.STRING: (*_ordered({*EQUALITY, *PRESENCE, *TEXT, *COUNT}), *PASSED_THROUGH_OPERATORS),
    ValueType.INTEGER: (*_ordered({*EQUALITY, *PRESENCE, *COMPARE}), *PASSED_THROUGH_OPERATORS),
    ValueType.AMOUNT: (*_ordered({*EQUALITY, *PRESENCE, *COMPARE}), *PASSED_THROUGH_OPERATORS),
    ValueType.NUMBER: (*_ordered({*EQUALITY, *PRESENCE, *COMPARE}), *PASSED_THROUGH_OPERATORS),
    ValueType.BOOLEAN: (*_ordered({"$is", "$is_not", *PRESENCE}), *PASSED_THROUGH_OPERATORS),
    ValueType.DATETIME: (*_ordered({*EQUALITY, *PRESENCE, *TIME, *DAYS}), *_DATES_ONLY, *PASSED_THROUGH_OPERATORS),
    ValueType.DATE: (*_ordered({*EQUALITY, *PRESENCE, *TIME, *DAYS}), *_DATES_ONLY, *PASSED_THROUGH_OPERATORS),
    ValueType.JSON: (*_ordered({*PRESENCE, *COUNT}), *PASSED_THROUGH_OPERATORS),
}
ALL_OPERATORS = (*OPERATORS, *EXTRA_OPERATORS)


def field_operators(spec: FieldSpec) -> tuple[str, ...]:
    """The operators that apply to a filter field: its documented ones, else its type's (all for a prefix field)."""
    if spec.filter.operators:
        return spec.filter.operators
    return _OPERATORS_BY_TYPE[spec.filter.type] if spec.typed else ALL_OPERATORS


def check_operator(context: str, operator: str) -> None:
    """A ValidationError, with a close match, for an operator the API does not list."""
    instead = UNKNOWN_OPERATORS.get(operator)
    if instead is not None:
        raise ValidationError(
            f"{context}: {operator} is not an operator of the API's list (the list endpoints' documentation names "
            "it, and an export using it is refused with 400 invalid_payload).",
            suggestion=instead,
        )
    if operator not in ALL_OPERATORS:
        raise ValidationError(
            f"{context}: unknown operator '{operator}'.",
            valid=ALL_OPERATORS,
            suggestion=closest(operator if operator.startswith("$") else f"${operator}", ALL_OPERATORS),
        )


def ignored_conditions(obj: ExportObject, filters: dict[str, Any] | None) -> list[str]:
    """Warnings for the conditions the API accepts but ignores (customer updated_at with $is_not)."""
    notes: list[str] = []
    for name, entry in (filters or {}).items():
        flt = obj.get_filter(name) if name != "junction" else None
        if flt is None or not isinstance(entry, dict):
            continue
        for operator in entry.get("conditions", {}):
            if operator in flt.ignored:
                kept = [op for op in ("$after", "$before", "$is") if op not in flt.ignored]
                notes.append(
                    f"the API ignores {operator} on {obj.command} '{name}': the export holds the records as if "
                    f"the condition were not there (on this field {', '.join(kept)} work)."
                )
    return notes
