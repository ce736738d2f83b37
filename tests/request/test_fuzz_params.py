"""Property-based tests of the parameter layer: any input ends in a valid result or a UsageError.

A request that is accepted must also be one the API documents: its body conforms to the OpenAPI request schema
of its endpoint (tests/request/request_schema.py), so a bug that sends a malformed body cannot hide behind "no crash".

Bounded (200 examples each) so that they run in the default suite and in .ci/run.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exportctl.errors import UsageError
from exportctl.request.api_filters import validate_api_filters
from exportctl.request.build import build_request
from exportctl.request.configfile import load_config
from exportctl.request.durations import parse_duration
from exportctl.request.filters import Condition, build_filters, operators_for, parse_expression
from exportctl.request.model import ExportRequest, RequestFlags
from exportctl.request.operators import OPTIONAL_VALUE
from exportctl.request.option_keys import config_keys, parameter_keys
from exportctl.request.values import NO_VALUE, PASSED_THROUGH, YEARS
from exportctl.schema import EXPORT_OBJECTS, OPERATORS, ExportObject, ValueType
from tests.request.request_schema import conformance

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OBJECTS = st.sampled_from(EXPORT_OBJECTS)
GRAMMAR_PIECES = [
    "=",
    "!=",
    ">",
    "<",
    ">=",
    "<=",
    "~",
    "!~",
    "^",
    "$",
    "#=",
    "#<",
    "#>",
    "?",
    "!?",
    ":",
    ",",
    '"',
    "\\",
]
GRAMMAR_PIECES += ["-3d", "+7d", "30d ago", "2024-01-01", "2024-01-01T10:00Z", "12.50", "1000", "true", " "]
GRAMMAR_PIECES += [*OPERATORS, "metadata.", "address.", "PAID", "x"]


def assert_documented(obj: ExportObject, condition: Condition) -> None:
    """The condition, sent as the only filter of an export of `obj`, conforms to the request schema."""
    request = ExportRequest(obj, filters=build_filters([condition]))
    assert conformance(request.endpoint(), request.body()) == [], request.body()


def field_names(obj: ExportObject) -> list[str]:
    return [*obj.filter_names, *(f"{prefix}k" for prefix in obj.filter_prefixes)] or ["none"]


@st.composite
def expressions(draw: st.DrawFn) -> tuple[ExportObject, str]:
    """Text that looks like the grammar: a real field, then pieces of operators and values."""
    obj = draw(OBJECTS)
    head = draw(st.sampled_from(field_names(obj)))
    tail = draw(st.lists(st.one_of(st.sampled_from(GRAMMAR_PIECES), st.text(max_size=5)), max_size=6))
    return obj, head + "".join(tail)


@given(OBJECTS, st.text())
@BOUNDED
def test_any_text_is_a_condition_or_a_usage_error(obj: ExportObject, text: str) -> None:
    try:
        condition = parse_expression(text, obj)
    except UsageError as error:
        assert str(error)
    else:
        assert condition.operator in OPERATORS


@given(expressions())
@BOUNDED
def test_grammar_like_text_is_a_condition_or_a_usage_error(case: tuple[ExportObject, str]) -> None:
    obj, text = case
    try:
        condition = parse_expression(text, obj)
    except UsageError as error:
        assert str(error)
    else:
        # Whatever was accepted reads back from its explicit form and survives the API form, which the API documents.
        assert parse_expression(condition.to_expression(), obj) == condition
        assert validate_api_filters(build_filters([condition]), obj) == [condition]
        assert_documented(obj, condition)


# exportctl takes instants from 1000-01-01 up to, not including, 9000-01-01 (request/values.py).
INSTANTS = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(8999, 12, 31)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
)
DATES = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(8999, 12, 31)).map(dt.date.isoformat)
WHOLE = st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)
COUNTS = st.integers(min_value=0, max_value=2**63 - 1)
NUMBERS = st.one_of(WHOLE, st.floats(allow_nan=False, allow_infinity=False))
KEYS = st.text(min_size=1, max_size=12).filter(lambda key: key == key.strip() and not set(key) & set(":=!<>~^$?#"))


def value_strategy(obj: ExportObject, field: str, operator: str) -> st.SearchStrategy[Any]:
    """Values in the form the API gets them, as parse_expression would produce for this field and operator."""
    spec = obj.get_filter(field)
    assert spec is not None
    typed = field in obj.filter_names
    if operator in YEARS:
        return COUNTS
    if operator in PASSED_THROUGH:
        return st.text()
    if "days" in operator or "ago" in operator or "future" in operator or "count" in operator:
        return COUNTS
    if operator in ("$contains", "$not_contain", "$starts_with", "$ends_with"):
        return st.text()
    if not typed:
        if operator in ("$more_than", "$less_than", "$more_than_equal", "$less_than_equal"):
            return NUMBERS
        return INSTANTS if operator in ("$after", "$before") else st.text()
    if spec.type in (ValueType.INTEGER, ValueType.AMOUNT):
        return WHOLE
    if spec.type is ValueType.NUMBER:
        return NUMBERS
    if spec.type is ValueType.BOOLEAN:
        return st.sampled_from([True, False])
    if spec.type is ValueType.DATETIME:
        return INSTANTS
    if spec.type is ValueType.DATE:
        return DATES
    if spec.values and operator in ("$in", "$not_in", "$is", "$is_not"):
        return st.sampled_from(spec.values)
    return st.text()


@st.composite
def conditions(draw: st.DrawFn) -> tuple[ExportObject, Condition]:
    obj = draw(st.sampled_from([obj for obj in EXPORT_OBJECTS if obj.filters]))
    prefixed = [prefix + draw(KEYS) for prefix in obj.filter_prefixes]
    field = draw(st.sampled_from([*obj.filter_names, *prefixed]))
    operator = draw(st.sampled_from(operators_for(obj, field)))
    if operator in NO_VALUE:
        return obj, Condition(field, operator, ())
    several = operator in ("$in", "$not_in") or operator in PASSED_THROUGH
    count = draw(st.integers(min_value=1, max_value=4)) if several else 1
    values = tuple(draw(value_strategy(obj, field, operator)) for _ in range(count))
    if operator in OPTIONAL_VALUE and not any(values):
        values = ()  # a calendar operator's empty values are no value, as every form reads them
    return obj, Condition(field, operator, values)


@given(conditions())
@BOUNDED
def test_conditions_round_trip_through_expressions_and_the_api_form(case: tuple[ExportObject, Condition]) -> None:
    obj, condition = case
    assert parse_expression(condition.to_expression(), obj) == condition
    assert validate_api_filters(build_filters([condition]), obj) == [condition]
    assert_documented(obj, condition)


@given(st.text())
@BOUNDED
def test_any_text_is_a_duration_or_a_usage_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except UsageError as error:
        assert "Invalid duration" in str(error)
    else:
        assert math.isfinite(seconds) and seconds >= 0


@given(st.lists(st.sampled_from(["1", "2.5", "d", "h", "m", "s", "ms", " ", "-", ".", "e", "9" * 30]), max_size=8))
@BOUNDED
def test_duration_like_text_is_a_duration_or_a_usage_error(pieces: list[str]) -> None:
    try:
        seconds = parse_duration("".join(pieces))
    except UsageError:
        pass
    else:
        assert math.isfinite(seconds) and seconds >= 0


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12), st.dates()
)
NAMES = st.one_of(
    st.sampled_from([*config_keys(), *parameter_keys(), "junction", "conditions", "$in", "$after", "status", "amount"]),
    st.text(max_size=8),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(NAMES, children, max_size=5)),
    max_leaves=20,
)


def run_config(obj: ExportObject, text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            request, _ = build_request(obj, RequestFlags(), load_config(path))
        except UsageError as error:
            assert str(error)
        else:
            assert request.endpoint().startswith("/v1/")
            assert conformance(request.endpoint(), request.body()) == [], (text, request.body())


@given(OBJECTS, st.text())
@BOUNDED
def test_any_yaml_text_is_a_request_or_a_usage_error(obj: ExportObject, text: str) -> None:
    run_config(obj, text)


@given(OBJECTS, st.dictionaries(NAMES, DOCUMENTS, max_size=6))
@BOUNDED
def test_any_yaml_document_is_a_request_or_a_usage_error(obj: ExportObject, document: dict[str, Any]) -> None:
    run_config(obj, yaml.safe_dump(document, allow_unicode=True))


@st.composite
def plausible_configs(draw: st.DrawFn) -> tuple[ExportObject, dict[str, Any]]:
    """Configs built from real names, so that validation goes deep rather than stopping at the first key."""
    obj = draw(OBJECTS)
    parameters: dict[str, Any] = {}
    if draw(st.booleans()):
        parameters["fields"] = draw(st.lists(st.sampled_from([*obj.field_names, "metadata.k", "nope"]), max_size=4))
    if draw(st.booleans()):
        parameters["order"] = draw(st.sampled_from([*obj.orders, "nope"]))
    if draw(st.booleans()):
        names = field_names(obj)
        operators = st.sampled_from([*OPERATORS, "$nope"])
        parameters["filters"] = draw(
            st.one_of(
                st.lists(expressions().map(lambda case: case[1]), max_size=3),
                st.dictionaries(
                    st.sampled_from([*names, "junction"]),
                    st.one_of(
                        st.sampled_from(["and", "or", "xor"]),
                        st.fixed_dictionaries({"conditions": st.dictionaries(operators, DOCUMENTS, max_size=3)}),
                    ),
                    max_size=3,
                ),
            )
        )
    config: dict[str, Any] = {"parameters": parameters}
    for key in ("junction", "voucher", "campaign", "timeout", "wait", "headers"):
        if draw(st.booleans()):
            config[key] = draw(SCALARS)
    return obj, config


@given(plausible_configs())
@BOUNDED
def test_plausible_configs_are_requests_or_usage_errors(case: tuple[ExportObject, dict[str, Any]]) -> None:
    obj, config = case
    run_config(obj, yaml.safe_dump(config, allow_unicode=True))
