"""request/keywords.py: the library's keywords checked at the door, one UsageError naming the keyword.

tests/test_library.py tries one wrong value per keyword through `exportctl.plan` and `export`; here the
checker itself: what it normalises (a timedelta, one string, a naive `now`), the ranges, and hostile values
(huge ints, inf, bytes paths, control characters in a keyword's name) whose message stays short.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from exportctl.errors import UsageError
from exportctl.request.keywords import (
    check_export_keywords,
    check_name,
    check_plan_keywords,
    refuse,
)


def _refused(**values: object) -> str:
    with pytest.raises(UsageError) as caught:
        check_plan_keywords(values)
    assert caught.value.exit_code == 2
    return caught.value.message


def test_values_are_normalised_as_the_flags_read_them() -> None:
    checked = check_plan_keywords(
        {
            "timeout": dt.timedelta(minutes=2),
            "fields": "code,value",
            "filters": "status=PAID",
            "output": Path("v.csv"),
            "parallel": 16,
            "now": dt.datetime(2026, 1, 1, 12),
            "since": dt.date(2026, 1, 1),
            "junction": None,
        }
    )
    assert checked == {
        "timeout": 120.0,
        "fields": ["code,value"],  # one string is one list, not its characters
        "filters": ["status=PAID"],
        "output": Path("v.csv"),
        "parallel": 16,
        "now": dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc),  # naive means UTC
        "since": dt.date(2026, 1, 1),
        "junction": None,
    }
    assert check_plan_keywords({"timeout": "15m"}) == {"timeout": 900.0}
    assert check_plan_keywords({"filters": {"status": {}}}) == {"filters": {"status": {}}}  # the API's form


def test_an_aware_now_is_converted_to_utc() -> None:
    st_johns = dt.timezone(-dt.timedelta(hours=3, minutes=30))
    checked = check_plan_keywords({"now": dt.datetime(2026, 1, 1, 12, tzinfo=st_johns)})
    assert checked["now"] == dt.datetime(2026, 1, 1, 15, 30, tzinfo=dt.timezone.utc)
    assert checked["now"].tzinfo == dt.timezone.utc


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"timeout": 10**20}, "timeout: 1e+20 seconds is out of range; valid timeouts are from 0 to 36500d"),
        ({"timeout": float("inf")}, "timeout: got float inf; expected a duration from 0 to 36500d (100 years)"),
        ({"timeout": 0}, "timeout: a timeout of 0 would give up as soon as the export is submitted."),
        ({"timeout": "abc"}, "timeout: Invalid duration 'abc'"),
        ({"parallel": 17}, "parallel: got int 17; expected an int from 1 to 16."),
        ({"since": "0001-01-01"}, "since: '0001-01-01' is out of range: exportctl takes dates and times from 1000"),
        ({"until": "garbage"}, "until: 'garbage' is not a date: use ISO 8601"),
        ({"output": b"v.csv"}, "output: got bytes b'v.csv'; expected a str or pathlib.Path"),
        ({"filters": {1: {}}}, "filters: got dict {1: {}}; expected a list of filter expressions"),
        ({"fields": ("code", 5)}, "fields: got tuple ('code', 5); expected a list of field names"),
        ({"fields": {"code"}}, "fields: got set {'code'}; expected a list of field names"),
        ({"force": 1}, "force: got int 1; expected True or False."),
    ],
)
def test_wrong_values_and_ranges_name_the_keyword_and_what_is_valid(values: dict[str, object], message: str) -> None:
    assert _refused(**values).startswith(message)


def test_a_huge_value_is_shown_cut_short() -> None:
    message = _refused(parallel=10**100)
    assert message == f"parallel: got int {'1' + '0' * 76}...; expected an int from 1 to 16."
    assert len(refuse("x", "y" * 10_000, "z").message) < 120


def test_an_unknown_keyword_is_refused_with_the_closest_one() -> None:
    assert (
        _refused(field=["code"]) == "field: not a keyword of exportctl.plan or exportctl.export. Did you mean 'fields'?"
    )
    assert _refused(**{"\x1b[2J": 1}) == "\x1b[2J: not a keyword of exportctl.plan or exportctl.export."


def test_check_name_takes_a_string_only() -> None:
    assert check_name("voucher") == "voucher"
    for bad in (None, b"voucher", ["voucher"]):
        with pytest.raises(UsageError, match=r"^name: got \w+ .*; expected an object's name as a str"):
            check_name(bad)


def test_export_keywords_check_settings_the_callback_and_unknown_names_first() -> None:
    check_export_keywords(None, print, {"fields": 1})  # plan's keywords are checked by plan, later
    with pytest.raises(UsageError, match=r"^on_event: got int 5; expected a callable taking one exportctl event\.$"):
        check_export_keywords(None, 5, {})
    with pytest.raises(UsageError, match=r"^settings: got dict \{\}; expected an exportctl.Settings"):
        check_export_keywords({}, print, {})
    with pytest.raises(UsageError, match=r"^bogus: not a keyword"):
        check_export_keywords(None, 5, {"bogus": 1})  # the unknown name is named before the other problems
