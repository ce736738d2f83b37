"""Which filter operators apply to which fields: FiltersCondition's by value type, then the API's others.

The operators beyond FiltersCondition (`schema.EXTRA_OPERATORS`) come after each type's own: the calendar
and year ones on dates only, the passed-through ones on every field. Fields under a prefix (metadata.X)
have no known type, so every operator is allowed on them.
"""

from __future__ import annotations

from exportctl.errors import ValidationError
from exportctl.request.values import COMPARE, COUNT, DAYS, EQUALITY, PRESENCE, TEXT, TIME, FieldSpec
from exportctl.schema import (
    CALENDAR_OPERATORS,
    EXTRA_OPERATORS,
    OPERATORS,
    PASSED_THROUGH_OPERATORS,
    YEARS_OPERATORS,
    ValueType,
)
from exportctl.suggest import closest


def _ordered(names: frozenset[str] | set[str]) -> tuple[str, ...]:
    return tuple(op for op in OPERATORS if op in names)


# Which operators mean something for each value type (see the module docstring).
_DATES_ONLY = (*CALENDAR_OPERATORS, *YEARS_OPERATORS)
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
    """The operators that apply to a filter field (every one for a field under a prefix)."""
    return _OPERATORS_BY_TYPE[spec.filter.type] if spec.typed else ALL_OPERATORS


def check_operator(context: str, operator: str) -> None:
    """A ValidationError, with a close match, for an operator the API does not list."""
    if operator not in ALL_OPERATORS:
        raise ValidationError(
            f"{context}: unknown operator '{operator}'.",
            valid=ALL_OPERATORS,
            suggestion=closest(operator if operator.startswith("$") else f"${operator}", ALL_OPERATORS),
        )
