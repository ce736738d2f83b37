"""request/values.py: filter values by type, and the one reader and writer of instants.

What a user sees: the value sent to the API (`2024-01-01T00:00:00.000Z`, 1250, PAID) or the message that
says what to write instead. Hostile input: digits from other scripts, 21-digit numbers, 1e400, 25:00,
February 30th, instants beyond the years exportctl takes, relative days beyond them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.filters import resolve_field
from exportctl.request.values import (
    MAX_INSTANT,
    MIN_INSTANT,
    WholeDay,
    checked_instant,
    convert_value,
    in_range,
    instant_text,
    iso_ms,
    native_to_text,
    read_instant,
    relative_days,
    relative_instant,
    render_value,
)
from exportctl.schema import ExportObject, get_object

ORDER = get_object("order")
VOUCHER = get_object("voucher")
UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 1, 12, 30, 1, 123456, tzinfo=UTC)


def _convert(field: str, operator: str, text: str, obj: ExportObject = ORDER) -> object:
    return convert_value("c.yaml:4", resolve_field(obj, field, "f"), operator, text)


# Instants -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", dt.datetime(2024, 1, 1, tzinfo=UTC)),
        (" 2024-01-01 ", dt.datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T10:00:00.123456789+05:30", dt.datetime(2024, 1, 1, 4, 30, 0, 123000, tzinfo=UTC)),
        ("2024-01-01 10:00z", dt.datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00-0330", dt.datetime(2024, 1, 1, 13, 30, tzinfo=UTC)),
        ("0999-12-31T23:00-05:00", dt.datetime(1000, 1, 1, 4, tzinfo=UTC)),  # in range once in UTC
        ("2024-02-30", None),
        ("2024-01-01T25:00", None),
        ("٢٠٢٤-01-01", None),  # Arabic-Indic digits: not ISO 8601
        ("2024-01-01T10:00:00Z trailing", None),
        ("", None),
        ("0999-01-01", None),  # out of range: None here, the range named by checked_instant
    ],
)
def test_read_instant_reads_iso_8601_in_utc_to_the_millisecond(text: str, expected: dt.datetime | None) -> None:
    assert read_instant(text) == expected


def test_instants_beyond_the_range_name_the_range_and_the_place() -> None:
    with pytest.raises(UsageError) as caught:
        checked_instant("9000-01-01", "--until")
    assert caught.value.message == (
        "--until: '9000-01-01' is out of range: exportctl takes dates and times from 1000-01-01T00:00:00Z up to, "
        "not including, 9000-01-01T00:00:00Z."
    )
    assert checked_instant("8999-12-31T23:59:59.999Z", None) == MAX_INSTANT - dt.timedelta(milliseconds=1)
    assert checked_instant("1000-01-01", None) == MIN_INSTANT
    assert in_range(MIN_INSTANT) and not in_range(MAX_INSTANT)


def test_iso_ms_is_utc_with_milliseconds_and_a_four_digit_year() -> None:
    st_johns = dt.timezone(-dt.timedelta(hours=3, minutes=30))
    assert iso_ms(dt.datetime(2026, 11, 30, 20, 30, 0, 999999, tzinfo=st_johns)) == "2026-12-01T00:00:00.999Z"
    assert iso_ms(dt.datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000Z"
    assert instant_text("2024-01-01") == "2024-01-01T00:00:00.000Z"
    assert instant_text("yesterday") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-30d", (True, 30)), ("30 d ago", (True, 30)), ("+7D", (False, 7)), ("7d", None), ("--3d", None), ("-d", None)],
)
def test_relative_days_read_past_and_future(text: str, expected: tuple[bool, int] | None) -> None:
    assert relative_days(text) == expected


def test_relative_instants_count_from_now_in_utc_to_the_millisecond() -> None:
    assert relative_instant("today", NOW) == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert relative_instant(" Yesterday ", NOW) == dt.datetime(2026, 2, 28, tzinfo=UTC)
    assert relative_instant("-1d", NOW) == dt.datetime(2026, 2, 28, 12, 30, 1, 123000, tzinfo=UTC)
    assert relative_instant("+1d", NOW) == dt.datetime(2026, 3, 2, 12, 30, 1, 123000, tzinfo=UTC)
    assert relative_instant("2024-01-01", NOW) is None
    # `today` is the UTC day, whatever zone `now` is given in.
    kathmandu = NOW.astimezone(dt.timezone(dt.timedelta(hours=11, minutes=45)))  # already 2 March there
    assert relative_instant("today", kathmandu) == dt.datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["-9999999999d", "+3000000d", "-800000d"])
def test_relative_days_beyond_the_range_name_it(text: str) -> None:
    with pytest.raises(UsageError, match=rf"^--since: '\{text}' is out of range: exportctl takes dates and times"):
        relative_instant(text, NOW, "--since")


def test_a_whole_day_is_sent_as_its_utc_window() -> None:
    leap = WholeDay(dt.date(2024, 2, 29))
    assert str(leap) == "2024-02-29"
    assert leap.window() == ("2024-02-28T23:59:59.999Z", "2024-03-01T00:00:00.000Z")


# Values by type ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "operator", "text", "value"),
    [
        ("amount", "$is", "9223372036854775807", 2**63 - 1),
        ("amount", "$is", " -9223372036854775807 ", -(2**63) + 1),
        ("metadata.x", "$more_than", "1e3", 1000.0),
        ("metadata.x", "$more_than", "12", 12),
        ("metadata.x", "$after", "2024-01-01", "2024-01-01T00:00:00.000Z"),
        ("metadata.x", "$is", "anything, at all", "anything, at all"),
        ("created_at", "$is", "2024-01-01", WholeDay(dt.date(2024, 1, 1))),
        ("created_at", "$after", "2024-01-01T10:00+14:00", "2023-12-31T20:00:00.000Z"),
        ("status", "$is", " paid ", "PAID"),
        ("status", "$contains", "\x1b[2J", "\x1b[2J"),  # text operators send the text as it is: data, not markup
        ("created_at", "$is_days_ago", "0", 0),
    ],
)
def test_values_are_sent_as_the_api_takes_them(field: str, operator: str, text: str, value: object) -> None:
    assert _convert(field, operator, text) == value


@pytest.mark.parametrize(
    ("field", "operator", "text", "message"),
    [
        (
            "amount",
            "$is",
            "12.5",
            "c.yaml:4: '12.5' is not an amount for 'amount': amounts are integer cents, write 1250.",
        ),
        ("amount", "$is", "9223372036854775808", "c.yaml:4: '9223372036854775808' is not valid for 'amount'"),
        ("amount", "$is", "1" * 21, "amount values are whole numbers"),
        ("amount", "$is", "١٢", "c.yaml:4: '١٢' is not valid for 'amount': amount values are whole numbers."),
        ("metadata.x", "$more_than", "1e400", "c.yaml:4: '1e400' is not a number for 'metadata.x'."),
        ("metadata.x", "$more_than", "nan", "'nan' is not a number"),
        ("created_at", "$is_days_ago", "-1", "$is_days_ago takes days, a whole number of at least 0."),
        ("created_at", "$in", "2024-01-01", "is a whole day, which $in cannot express on the date-time field"),
        ("created_at", "$after", "2024-02-30", "'2024-02-30' is not a date-time for 'created_at': use ISO 8601"),
        ("created_at", "$is", "0999-12-31", "'0999-12-31' is out of range"),
    ],
)
def test_wrong_values_say_what_to_write(field: str, operator: str, text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        _convert(field, operator, text)
    assert message in caught.value.message


def test_booleans_and_enum_values_list_the_valid_ones() -> None:
    assert _convert("active", "$is", " TRUE ", VOUCHER) is True
    with pytest.raises(ValidationError) as caught:
        _convert("active", "$is", "yes", VOUCHER)
    assert caught.value.valid == ("true", "false")
    with pytest.raises(ValidationError) as enum:
        _convert("status", "$in", "PAYED")
    assert enum.value.suggestion == "PAID"


def test_dates_take_a_real_calendar_day() -> None:
    birthday = resolve_field(get_object("customer"), "birthday", "f")
    assert convert_value("c", birthday, "$before", "2000-02-29") == "2000-02-29"
    for bad in ("2001-02-29", "2000-01-01T00:00", "20000101"):
        with pytest.raises(UsageError, match="is not a date for 'birthday': use YYYY-MM-DD"):
            convert_value("c", birthday, "$before", bad)


# YAML values and their expression text ----------------------------------------------------------------------


def test_yaml_scalars_read_as_the_text_an_expression_carries() -> None:
    assert [native_to_text("c", value) for value in (True, False, 3, 1.5, "x")] == ["true", "false", "3", "1.5", "x"]
    assert native_to_text("c", dt.datetime(2024, 1, 1)) == "2024-01-01T00:00:00+00:00"  # naive: UTC
    assert native_to_text("c", dt.date(2024, 1, 1)) == "2024-01-01"
    for garbage in (None, [1], {"a": 1}, b"x"):
        with pytest.raises(UsageError, match=r"^c: '.*' is not a value; expected a string, number, boolean or date\.$"):
            native_to_text("c", garbage)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ("a,b", '"a,b"'),
        ("", '""'),
        (" x", '" x"'),
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        (True, "true"),
        (1.5, "1.5"),
        (3, "3"),
    ],
)
def test_render_value_quotes_what_would_otherwise_split_or_trim(value: object, text: str) -> None:
    assert render_value(value) == text
