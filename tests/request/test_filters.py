from typing import Any

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.api_filters import validate_api_filters
from exportctl.request.filters import (
    Condition,
    build_filters,
    merge_conditions,
    operators_for,
    parse_expression,
    split_values,
    validate_junction,
)
from exportctl.schema import ExportObject, get_object

ORDER = get_object("order")
VOUCHER = get_object("voucher")
CUSTOMER = get_object("customer")
POINTS = get_object("points-expiration")


@pytest.mark.parametrize(
    ("obj", "expression", "operator", "values"),
    [
        (ORDER, "status=PAID", "$is", ("PAID",)),
        (ORDER, "status=PAID,FULFILLED", "$in", ("PAID", "FULFILLED")),
        (ORDER, "status!=CANCELED", "$is_not", ("CANCELED",)),
        (ORDER, "status!=CANCELED,CREATED", "$not_in", ("CANCELED", "CREATED")),
        (ORDER, "amount>1000", "$more_than", (1000,)),
        (ORDER, "amount<1000", "$less_than", (1000,)),
        (ORDER, "amount>=1000", "$more_than_equal", (1000,)),
        (ORDER, "amount<=1000", "$less_than_equal", (1000,)),
        (ORDER, "amount>-5", "$more_than", (-5,)),
        (ORDER, "created_at>2024-01-01", "$after", ("2024-01-01T00:00:00.000Z",)),
        (ORDER, "created_at<2024-02-01T12:00Z", "$before", ("2024-02-01T12:00:00.000Z",)),
        (ORDER, "created_at=-3d", "$is_days_ago", (3,)),
        (ORDER, "created_at=+3d", "$is_days_in_future", (3,)),
        (ORDER, "created_at<-30d", "$more_than_ago", (30,)),
        (ORDER, "created_at>-30d", "$less_than_ago", (30,)),
        (ORDER, "created_at>30d ago", "$less_than_ago", (30,)),
        (ORDER, "created_at>+7d", "$more_than_future", (7,)),
        (ORDER, "created_at<+7d", "$less_than_future", (7,)),
        (CUSTOMER, "email~@example.com", "$contains", ("@example.com",)),
        (CUSTOMER, "email!~test", "$not_contain", ("test",)),
        (VOUCHER, "code^WELCOME", "$starts_with", ("WELCOME",)),
        (VOUCHER, "code$OFF", "$ends_with", ("OFF",)),
        (ORDER, "metadata.tags#=3", "$count", (3,)),
        (ORDER, "metadata.tags#<3", "$count_less", (3,)),
        (ORDER, "metadata.tags#>3", "$count_more", (3,)),
        (ORDER, "metadata.region?", "$has_value", ()),
        (ORDER, "metadata.region!?", "$is_unknown", ()),
        (VOUCHER, "active=true", "$is", (True,)),
        (VOUCHER, "is_referral_code!=FALSE", "$is_not", (False,)),
        (CUSTOMER, "birthday<2000-01-31", "$before", ("2000-01-31",)),
        (ORDER, "metadata.score>10", "$more_than", (10,)),
        (ORDER, "metadata.when>2024-01-01", "$after", ("2024-01-01T00:00:00.000Z",)),
        (ORDER, "metadata.code=10", "$is", ("10",)),
    ],
)
def test_shorthand(obj: ExportObject, expression: str, operator: str, values: tuple[Any, ...]) -> None:
    field = expression.split("!")[0].split("=")[0].split(">")[0].split("<")[0].split("~")[0]
    field = field.split("^")[0].split("$")[0].split("#")[0].split("?")[0]
    assert parse_expression(expression, obj) == Condition(field, operator, values)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("amount:$more_than_equal:1000", Condition("amount", "$more_than_equal", (1000,))),
        ("amount:more_than_equal:1000", Condition("amount", "$more_than_equal", (1000,))),
        ("status:$in:PAID", Condition("status", "$in", ("PAID",))),
        ("metadata.region:$has_value", Condition("metadata.region", "$has_value", ())),
        ("metadata.region:is_unknown", Condition("metadata.region", "$is_unknown", ())),
        ("created_at:$is_days_ago:3", Condition("created_at", "$is_days_ago", (3,))),
        (
            "created_at : $after : 2024-01-01T10:00:00+02:00",
            Condition("created_at", "$after", ("2024-01-01T08:00:00.000Z",)),
        ),
    ],
)
def test_explicit_form(expression: str, expected: Condition) -> None:
    assert parse_expression(expression, ORDER) == expected


def test_enum_values_are_matched_without_regard_to_case_and_sent_as_the_table_spells_them() -> None:
    assert parse_expression("status=paid,Fulfilled", ORDER).values == ("PAID", "FULFILLED")


def test_datetimes_are_normalised_to_utc_with_milliseconds() -> None:
    condition = parse_expression("updated_at>2024-06-30T23:30:00.123456-01:00", ORDER)
    assert condition.values == ("2024-07-01T00:30:00.123Z",)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a,b", ["a", "b"]),
        (" a , b ", ["a", "b"]),
        ('"a, b",c', ["a, b", "c"]),
        (r"a\,b", ["a,b"]),
        ('""', [""]),
        ('" x "', [" x "]),
        (r'"say \"hi\""', ['say "hi"']),
        (r"back\\slash", ["back\\slash"]),
    ],
)
def test_value_lists_honour_quotes_and_escapes(text: str, values: list[str]) -> None:
    assert split_values(text) == values


@pytest.mark.parametrize(
    ("text", "message"),
    [("a,,b", "empty value"), ("a,", "empty value"), ('"open', "not closed"), ("end\\", "backslash ends")],
)
def test_malformed_value_lists(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        split_values(text)


def test_unknown_field_names_valid_fields_and_suggests() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_expression("stauts=PAID", ORDER)
    message = str(caught.value)
    assert "Filter 'stauts=PAID': unknown filter field 'stauts' for order." in message
    assert "Did you mean 'status'?" in message
    assert "Valid values: status, source_id," in message
    assert "metadata.X" in message
    assert caught.value.suggestion == "status"


def test_prefix_fields_are_accepted_only_where_the_object_has_that_prefix() -> None:
    assert parse_expression("address.city=Berlin", CUSTOMER).field == "address.city"
    with pytest.raises(ValidationError, match=r"unknown filter field 'address\.city' for order"):
        parse_expression("address.city=Berlin", ORDER)
    with pytest.raises(ValidationError, match=r"Valid values: campaign_id, voucher_id\.$"):
        parse_expression("metadata.x=1", POINTS)


def test_unknown_enum_value_suggests() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_expression("status=PAYED", ORDER)
    assert "'PAYED' is not a value of 'status'. Did you mean 'PAID'?" in str(caught.value)
    assert "Valid values: CREATED, PAID, FULFILLED, CANCELED." in str(caught.value)


@pytest.mark.parametrize(
    ("obj", "expression", "fragment"),
    [
        (ORDER, "amount:$after:2024-01-01", "operator $after does not apply to the amount field 'amount'"),
        (VOUCHER, "active>1", "operator $more_than does not apply to the boolean field 'active'"),
        (ORDER, "status>PAID", "operator $more_than does not apply to the string field 'status'"),
        (ORDER, "amount~12", "operator $contains does not apply to the amount field 'amount'"),
        (VOUCHER, "active=true,false", "operator $in does not apply to the boolean field 'active'"),
    ],
)
def test_operators_that_mean_nothing_for_the_type_name_the_valid_ones(
    obj: ExportObject, expression: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_expression(expression, obj)
    assert fragment in str(caught.value)
    field = expression.split(":")[0].split(">")[0].split("~")[0].split("=")[0]
    assert caught.value.valid == operators_for(obj, field)
    assert "Valid values: $" in str(caught.value)


def test_ge_on_dates_points_at_after_and_before() -> None:
    with pytest.raises(ValidationError, match=r"'>=' does not apply to dates; use > \(\$after\) or < \(\$before\)"):
        parse_expression("created_at>=2024-01-01", ORDER)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("amount>12.50", "amounts are integer cents, write 1250"),
        ("amount=ten", "'ten' is not valid for 'amount': amount values are whole numbers"),
        ("amount=99999999999999999999999", "whole numbers"),
        ("created_at>2024-13-01", "'2024-13-01' is not a date-time for 'created_at'"),
        ("created_at>yesterday", "use ISO 8601"),
        ("created_at!=-3d", "there is no 'is not N days ago' operator"),
        ("created_at<=-3d", "'<=' does not apply to relative days"),
        ("created_at:$is_days_ago:-3", "takes days, a whole number of at least 0"),
        ("amount>1,2", "'>' takes one value, got 2"),
        ("amount:$is:1,2", "$is takes one value, got 2; use $in for several"),
        ("amount:$in", "$in needs a value"),
        ("metadata.x?yes", "'?' takes no value"),
        ("metadata.x:$has_value:1", "$has_value takes no value"),
        ("status", "no operator; expected FIELD OP VALUE"),
        ("=PAID", "no field name before the operator"),
        ("status!PAID", "unknown operator '!'"),
    ],
)
def test_malformed_expressions(expression: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_expression(expression, ORDER)
    assert f"Filter '{expression}'" in str(caught.value)
    assert fragment in str(caught.value)


def test_dates_fields_take_dates_only() -> None:
    with pytest.raises(UsageError, match="is not a date for 'birthday': use YYYY-MM-DD"):
        parse_expression("birthday>2000-01-01T10:00", CUSTOMER)


def test_comparisons_on_untyped_fields_take_decimals() -> None:
    assert parse_expression("metadata.rate>=1.5", VOUCHER).values == (1.5,)
    assert parse_expression("metadata.rate<1e3", VOUCHER).values == (1000.0,)


def test_to_expression_quotes_what_needs_quoting_and_round_trips() -> None:
    condition = Condition("source_id", "$in", ("a, b", 'say "x"', "", " pad ", "back\\slash"))
    text = condition.to_expression()
    assert text == r'source_id:$in:"a, b","say \"x\"",""," pad ","back\\slash"'
    assert parse_expression(text, ORDER) == condition


def test_build_filters_merges_conditions_on_one_field() -> None:
    conditions = [
        parse_expression("created_at>2024-01-01", ORDER),
        parse_expression("created_at<2024-02-01", ORDER),
        parse_expression("status=PAID,FULFILLED", ORDER),
        parse_expression("metadata.region?", ORDER),
    ]
    assert build_filters(conditions, "or") == {
        "junction": "or",
        "created_at": {"conditions": {"$after": ["2024-01-01T00:00:00.000Z"], "$before": ["2024-02-01T00:00:00.000Z"]}},
        "status": {"conditions": {"$in": ["PAID", "FULFILLED"]}},
        "metadata.region": {"conditions": {"$has_value": True}},
    }


def test_build_filters_defaults_to_and_and_is_empty_without_conditions() -> None:
    assert build_filters([Condition("status", "$is", ("PAID",))]) == {
        "junction": "and",
        "status": {"conditions": {"$is": ["PAID"]}},
    }
    assert build_filters([]) == {}


def test_the_same_operator_twice_on_a_field_is_an_error() -> None:
    conditions = [parse_expression("status=PAID", ORDER), parse_expression("status=FULFILLED", ORDER)]
    with pytest.raises(ValidationError, match="'status' has two \\$is conditions; give all the values in one filter"):
        build_filters(conditions)


def test_junction_must_be_and_or_or() -> None:
    assert validate_junction("OR") == "or"
    with pytest.raises(ValidationError, match=r"'nand' is not a junction\. Did you mean 'and'"):
        build_filters([Condition("status", "$is", ("PAID",))], "nand")


def test_merge_conditions_lets_the_override_replace_the_same_field_and_operator() -> None:
    base = [Condition("status", "$in", ("PAID",)), Condition("amount", "$more_than", (5,))]
    override = [Condition("status", "$in", ("CREATED",)), Condition("amount", "$less_than", (9,))]
    assert merge_conditions(base, override) == [
        Condition("amount", "$more_than", (5,)),
        Condition("status", "$in", ("CREATED",)),
        Condition("amount", "$less_than", (9,)),
    ]


# --- the API's own operator list (api-facts.md, second pass) -------------------------------------------


@pytest.mark.parametrize("operator", ["$today_md", "$tomorrow_md", "$this_week_md", "$next_month_md"])
def test_calendar_operators_by_month_and_day_pass_their_values_through(operator: str) -> None:
    customer = get_object("customer")
    bare = parse_expression(f"birthday:{operator}", customer)
    assert build_filters([bare])["birthday"] == {"conditions": {operator: True}}
    given = parse_expression(f"birthdate:{operator[1:]}:03-14,x", customer)
    assert build_filters([given])["birthdate"] == {"conditions": {operator: ["03-14", "x"]}}
    from_yaml = validate_api_filters({"created_at": {"conditions": {operator: True}}}, customer)
    assert build_filters(from_yaml)["created_at"] == {"conditions": {operator: True}}
    with pytest.raises(ValidationError, match="does not apply to the string field 'name'"):
        parse_expression(f"name:{operator}", customer)


def test_campaign_and_loyalty_transaction_dates_take_days_ago_each_value_alone() -> None:
    obj = get_object("loyalty-card-transactions")
    scoped = obj.for_scope(next(s for s in obj.scopes if s.path == "/v1/loyalties/{value}/transactions/export"))
    conditions = [
        parse_expression("created_at>-30d", scoped),
        parse_expression("created_at:$more_than:400", scoped),
        parse_expression("created_at<2026-01-01", scoped),
        parse_expression("created_at?", scoped),
    ]
    assert build_filters(conditions)["created_at"] == {
        "conditions": {"$less_than": 30, "$more_than": 400, "$before": "2026-01-01T00:00:00.000Z", "$has_value": ""}
    }
    for bad, says in (
        ("created_at:$more_than:2026-01-01", "takes whole days ago"),
        ("created_at=-3d", "$is_days_ago does not apply"),
        ("created_at<+7d", "$less_than_future does not apply"),
    ):
        with pytest.raises(UsageError, match=says.replace("$", "\\$")):
            parse_expression(bad, scoped)
    # Without the scope, /v1/exports takes FiltersCondition as before, and the refusal says where days work.
    assert parse_expression("created_at>-30d", obj).operator == "$less_than_ago"
    with pytest.raises(ValidationError) as unscoped:
        parse_expression("created_at:$more_than:30", obj)
    assert unscoped.value.hint == "With --campaign or --member it takes whole days ago."
    # The voucher endpoint keeps the object's filters.
    voucher_scope = next(s for s in obj.scopes if s.option == "voucher")
    assert obj.for_scope(voucher_scope) is obj


@pytest.mark.parametrize(
    ("command", "expression", "operator"),
    [
        ("voucher", "created_date>2026-01-01", "$after"),
        ("voucher", "redemption_status=NOT_REDEEMED", "$is"),
        ("redemption", "voucher=WELCOME100", "$is"),
        ("redemption", "related_object=voucher", "$in"),  # documented with $in: one value goes as $in
        ("redemption", "status=FAILED", "$is"),
        ("redemption", "campaign=Black Friday", "$is"),
        ("redemption", "customer=cust_1,cust_2", "$in"),
        ("publication", "campaign=Black Friday", "$is"),
        ("publication", "customer=cust_1", "$is"),
        ("publication", "voucher=WELCOME100", "$is"),
        ("customer", "city=Houston", "$is"),
        ("customer", "publications.created_at>-30d", "$less_than_ago"),
        ("customer", "publications.related_object_id=v_1", "$is"),
    ],
)
def test_the_filters_the_reference_lists(command: str, expression: str, operator: str) -> None:
    assert parse_expression(expression, get_object(command)).operator == operator
