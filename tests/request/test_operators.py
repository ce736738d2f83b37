"""request/operators.py: which operators apply to which field, and the refusals that say what to write instead."""

from __future__ import annotations

import pytest

from exportctl.errors import ValidationError
from exportctl.request.api_filters import validate_api_filters
from exportctl.request.filters import build_filters, parse_expression, resolve_field
from exportctl.request.operators import ALL_OPERATORS, check_operator, field_operators, ignored_conditions
from exportctl.schema import CALENDAR_OPERATORS, EXTRA_OPERATORS, OPERATORS, PASSED_THROUGH_OPERATORS, get_object

ORDER = get_object("order")
VOUCHER = get_object("voucher")
CUSTOMER = get_object("customer")


def test_unknown_operator_suggests_among_all_operators() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_expression("amount:$more_then:5", ORDER)
    assert "unknown operator '$more_then'. Did you mean '$more_than'?" in str(caught.value)
    assert caught.value.valid == (*OPERATORS, *EXTRA_OPERATORS)  # the API's own list beyond FiltersCondition


@pytest.mark.parametrize(
    ("operator", "instead"),
    [("$includes", "$in"), ("$intersects", "$in"), ("$after_equal", "$after"), ("$before_equal", "$before")],
)
def test_operators_outside_the_api_list_are_refused_with_what_to_write(operator: str, instead: str) -> None:
    with pytest.raises(ValidationError, match=f"Did you mean '\\{instead}'") as raised:
        parse_expression(f"metadata.x:{operator}:1", get_object("order"))
    assert "400 invalid_payload" in str(raised.value)
    with pytest.raises(ValidationError, match="not an operator of the API's list"):
        validate_api_filters({"created_at": {"conditions": {operator: ["2026-01-01"]}}}, get_object("order"))


@pytest.mark.parametrize(
    ("command", "expression", "valid"),
    [
        ("redemption", "voucher=A,B", "Valid values: $is."),
        ("redemption", "related_object!~x", "Valid values: $in."),
        ("api-log", "created_at=2026-01-01T00:00Z", "Valid values: $after, $before."),
    ],
)
def test_a_documented_operator_list_is_enforced(command: str, expression: str, valid: str) -> None:
    with pytest.raises(ValidationError, match=valid.replace("$", "\\$").replace(".", "\\.")):
        parse_expression(expression, get_object(command))


def test_customer_updated_at_is_not_is_flagged_as_ignored() -> None:
    customer = get_object("customer")
    filters = build_filters([parse_expression("updated_at!=2026-01-01T00:00Z", customer)])
    (note,) = ignored_conditions(customer, filters)
    assert "ignores $is_not" in note and "$after, $before, $is" in note
    assert (
        ignored_conditions(customer, build_filters([parse_expression("updated_at=2026-01-01T00:00Z", customer)])) == []
    )


def test_check_operator_accepts_the_apis_operators_and_names_the_place_of_a_bad_one() -> None:
    for operator in ALL_OPERATORS:
        check_operator("f", operator)
    with pytest.raises(ValidationError) as caught:
        check_operator("c.yaml:3: filters.amount", "more_then")
    assert caught.value.message.startswith("c.yaml:3: filters.amount: unknown operator 'more_then'. Did you mean")
    assert caught.value.suggestion == "$more_than"  # the `$` a YAML writer forgot is added for the guess
    assert caught.value.valid == ALL_OPERATORS


@pytest.mark.parametrize("operator", ["", "$", "\x1b[31m$in", "$IN", "$in ", "$" + "x" * 10_000])
def test_hostile_operator_names_are_refused(operator: str) -> None:
    with pytest.raises(ValidationError, match="unknown operator"):
        check_operator("f", operator)


def test_each_field_type_takes_its_own_operators_then_the_passed_through_ones() -> None:
    boolean = field_operators(resolve_field(VOUCHER, "active", "f"))
    assert boolean == ("$is", "$is_not", "$has_value", "$is_unknown", *PASSED_THROUGH_OPERATORS)
    string = field_operators(resolve_field(ORDER, "status", "f"))
    assert "$contains" in string and "$more_than" not in string and "$today" not in string
    amount = field_operators(resolve_field(ORDER, "amount", "f"))
    assert "$more_than_equal" in amount and "$contains" not in amount and "$after" not in amount
    dates = field_operators(resolve_field(ORDER, "created_at", "f"))
    assert {"$after", "$before", "$is_days_ago", *CALENDAR_OPERATORS} <= set(dates)
    assert "$contains" not in dates
    for operators in (boolean, string, amount, dates):
        assert operators[-len(PASSED_THROUGH_OPERATORS) :] == PASSED_THROUGH_OPERATORS
        assert set(operators) <= set(ALL_OPERATORS)


def test_a_prefix_field_takes_every_operator_and_a_documented_list_only_its_own() -> None:
    assert field_operators(resolve_field(ORDER, "metadata.x", "f")) == (*OPERATORS, *EXTRA_OPERATORS)
    assert field_operators(resolve_field(get_object("redemption"), "voucher", "f")) == ("$is",)


def test_ignored_conditions_reads_garbage_filters_without_a_note() -> None:
    assert ignored_conditions(CUSTOMER, None) == []
    garbage = {"junction": "and", "updated_at": ["$is_not"], "nope": {"conditions": {"$is_not": [1]}}}
    assert ignored_conditions(CUSTOMER, garbage) == []
