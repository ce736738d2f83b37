"""request/api_filters.py: the API's own filters object from YAML, validated like the filter expressions.

YAML gives anything: a list where a mapping belongs, a number as a key, a dict as a value, NaN, 10**30.
Each is one UsageError whose message starts with the path of the bad key (`filters.status.conditions.$in`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.api_filters import api_junction, validate_api_filters
from exportctl.request.filters import Condition, build_filters
from exportctl.schema import get_object

ORDER = get_object("order")


def test_api_filters_are_validated_like_expressions() -> None:
    filters = {
        "junction": "and",
        "status": {"conditions": {"$in": ["paid", "FULFILLED"]}},
        "amount": {"conditions": {"$more_than_equal": [1000]}},
        "created_at": {"conditions": {"$after": [dt.date(2024, 1, 1)], "$before": "2024-02-01T00:00:00Z"}},
        "metadata.region": {"conditions": {"$has_value": [""]}},
        "metadata.other": {"conditions": {"$is_unknown": None}},
        "metadata.third": {"conditions": {"$is_unknown": True}},  # as real clients send it
    }
    assert validate_api_filters(filters, ORDER) == [
        Condition("status", "$in", ("PAID", "FULFILLED")),
        Condition("amount", "$more_than_equal", (1000,)),
        Condition("created_at", "$after", ("2024-01-01T00:00:00.000Z",)),
        Condition("created_at", "$before", ("2024-02-01T00:00:00.000Z",)),
        Condition("metadata.region", "$has_value", ()),
        Condition("metadata.other", "$is_unknown", ()),
        Condition("metadata.third", "$is_unknown", ()),
    ]


def test_api_filters_round_trip_through_build_filters() -> None:
    filters = {
        "junction": "or",
        "status": {"conditions": {"$in": ["PAID"]}},
        "created_at": {"conditions": {"$less_than_ago": [30]}},
        "metadata.region": {"conditions": {"$has_value": True}},
    }
    assert build_filters(validate_api_filters(filters, ORDER), "or") == filters


@pytest.mark.parametrize(
    ("filters", "fragment"),
    [
        (
            {"stauts": {"conditions": {"$in": ["PAID"]}}},
            "filters.stauts: unknown filter field 'stauts' for order. Did you mean 'status'?",
        ),
        (
            {"status": {"condition": {"$in": ["PAID"]}}},
            "filters.status.condition: unknown key 'condition'. Did you mean 'conditions'?",
        ),
        (
            {"status": {"conditions": {"$inn": ["PAID"]}}},
            "filters.status.conditions.$inn: unknown operator '$inn'. Did you mean '$in'?",
        ),
        (
            {"status": {"conditions": {"$in": ["PAYED"]}}},
            "filters.status.conditions.$in: 'PAYED' is not a value of 'status'",
        ),
        ({"amount": {"conditions": {"$more_than": [12.5]}}}, "amounts are integer cents, write 1250"),
        ({"amount": {"conditions": {"$more_than": [{"a": 1}]}}}, "expected a string, number, boolean or date"),
        ({"amount": {"conditions": {}}}, "filters.amount.conditions: expected a mapping of operators"),
        ({"amount": ["x"]}, "filters.amount: expected {conditions:"),
        ({"junction": "xor"}, "filters.junction: 'xor' is not a junction."),
        ({"metadata.x": {"conditions": {"$has_value": ["yes"]}}}, "$has_value takes no value"),
    ],
)
def test_api_filter_errors_name_the_path(filters: dict[str, Any], fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        validate_api_filters(filters, ORDER)
    assert fragment in str(caught.value)


def test_api_filters_must_be_a_mapping() -> None:
    with pytest.raises(UsageError, match="filters: expected a mapping"):
        validate_api_filters(["status=PAID"], ORDER)  # type: ignore[arg-type]


def test_locate_prefixes_errors() -> None:
    with pytest.raises(ValidationError, match=r"^cfg.yaml:7: unknown filter field"):
        validate_api_filters({"nope": {}}, ORDER, locate=lambda path: "cfg.yaml:7")


def test_an_empty_value_of_a_calendar_operator_is_no_value_in_every_form() -> None:
    # Found by hypothesis: `$today_md:""` read back from the API form lost its empty value; both forms now
    # read it as the operator alone (sent as true).
    from exportctl.request.api_filters import validate_api_filters
    from exportctl.request.filters import build_filters, parse_expression
    from exportctl.schema import lookup

    obj = lookup("voucher")
    condition = parse_expression('created_at:$today_md:""', obj)
    assert condition.values == ()
    assert build_filters([condition])["created_at"] == {"conditions": {"$today_md": True}}
    assert validate_api_filters(build_filters([condition]), obj) == [condition]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": {"conditions": ["$in"]}}, "filters.status.conditions: expected a mapping of operators to value"),
        ({"status": None}, "filters.status: expected {conditions: {$operator: [values]}}."),
        ({1: {"conditions": {"$in": ["x"]}}}, "filters.1: unknown filter field '1' for order."),
        (
            {"status": {"conditions": {"$in": {"a": 1}}}},
            "filters.status.conditions.$in: '{'a': 1}' is not a value; expected a string, number, boolean or date.",
        ),
        ({"status": {"conditions": {"$in": None}}}, "filters.status.conditions.$in: 'None' is not a value"),
        ({"metadata.x": {"conditions": {"$has_value": False}}}, "$has_value takes no value; write $has_value: true."),
        ({"amount": {"conditions": {"$more_than": [10**30]}}}, "amount values are whole numbers"),
        ({"amount": {"conditions": {"$more_than": [float("nan")]}}}, "'nan' is not valid for 'amount'"),
        ({"amount": {"conditions": {"$more_than": [True]}}}, "'true' is not valid for 'amount'"),
        ({"created_at": {"conditions": {"$after": ["../../etc/passwd"]}}}, "'../../etc/passwd' is not a date-time"),
        ({"status": {"conditions": {"$in": ["PAID"]}, "extra": 1}}, "filters.status.extra: unknown key 'extra'."),
    ],
    ids=[
        "conditions-a-list",
        "entry-null",
        "key-a-number",
        "value-a-mapping",
        "value-null",
        "no-value-false",
        "huge-integer",
        "nan",
        "boolean-amount",
        "path-as-date",
        "extra-key",
    ],
)
def test_garbage_from_yaml_is_one_usage_error_at_its_path(filters: dict[Any, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        validate_api_filters(filters, ORDER)
    assert message in caught.value.message
    assert caught.value.message.startswith("filters.")


def test_a_field_name_with_control_characters_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_api_filters({"\x1b[31mstatus": {"conditions": {"$in": ["PAID"]}}}, ORDER)
    assert caught.value.suggestion == "status"


def test_yaml_dates_and_datetimes_are_instants_in_utc() -> None:
    noon = dt.datetime(2024, 1, 1, 12)  # naive: UTC, never the machine's zone
    plus_two = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    filters = {"created_at": {"conditions": {"$after": [noon], "$before": plus_two}}}
    assert validate_api_filters(filters, ORDER) == [
        Condition("created_at", "$after", ("2024-01-01T12:00:00.000Z",)),
        Condition("created_at", "$before", ("2024-01-01T10:00:00.000Z",)),
    ]


def test_where_names_the_place_of_the_filters() -> None:
    with pytest.raises(UsageError, match=r"^parameters\.filters\.status: expected \{conditions"):
        validate_api_filters({"status": 5}, ORDER, where="parameters.filters")


def test_api_junction_is_none_without_one_and_checked_with_one() -> None:
    assert api_junction({}) is None
    assert api_junction({"junction": "OR"}) == "or"
    for bad in (5, None, "xor"):
        with pytest.raises(
            ValidationError, match=rf"^x\.junction: '{bad}' is not a junction\. .*Valid values: and, or"
        ):
            api_junction({"junction": bad}, where="x")
