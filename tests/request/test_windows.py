"""Time windows: calendar cuts, the [start, end) boundary rule, and conflicts with user filters."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from exportctl.errors import UsageError, ValidationError
from exportctl.request.values import iso_ms
from exportctl.request.windows import (
    MAX_WINDOWS,
    Window,
    check_no_conflict,
    check_split_unit,
    created_filter,
    filters_with_window,
    parse_instant,
    split_windows,
    window_conditions,
)
from exportctl.schema import BY_COMMAND

ORDER = BY_COMMAND["order"]


def at(text: str) -> dt.datetime:
    return parse_instant(text, "test")


def labels(windows: list[Window]) -> list[str]:
    return [window.label() for window in windows]


def test_day_windows_start_at_since_end_at_until_and_meet_at_midnight() -> None:
    windows = split_windows(at("2024-01-30T12:00"), at("2024-02-02T06:00"), "day")
    assert labels(windows) == [
        "2024-01-30T12:00:00.000Z..2024-01-31T00:00:00.000Z",
        "2024-01-31T00:00:00.000Z..2024-02-01T00:00:00.000Z",
        "2024-02-01T00:00:00.000Z..2024-02-02T00:00:00.000Z",
        "2024-02-02T00:00:00.000Z..2024-02-02T06:00:00.000Z",
    ]


def test_week_windows_are_cut_on_mondays() -> None:
    # 2024-01-03 is a Wednesday; the next Mondays are the 8th and the 15th.
    windows = split_windows(at("2024-01-03"), at("2024-01-20"), "week")
    assert [w.start.date().isoformat() for w in windows if w.start] == ["2024-01-03", "2024-01-08", "2024-01-15"]
    assert all(w.start.weekday() == 0 for w in windows[1:] if w.start)


def test_month_windows_cross_the_year_and_keep_short_months() -> None:
    windows = split_windows(at("2023-11-15"), at("2024-03-01"), "month")
    assert [w.start.date().isoformat() for w in windows if w.start] == [
        "2023-11-15",
        "2023-12-01",
        "2024-01-01",
        "2024-02-01",
    ]
    assert windows[-1].end == at("2024-03-01")


def test_windows_cover_the_range_without_gap_or_overlap() -> None:
    windows = split_windows(at("2024-01-01T07:31:02.123Z"), at("2024-04-09T23:00Z"), "week")
    assert windows[0].start == at("2024-01-01T07:31:02.123Z")
    assert windows[-1].end == at("2024-04-09T23:00Z")
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))


def test_an_empty_or_reversed_range_is_refused() -> None:
    with pytest.raises(UsageError, match="must be before"):
        split_windows(at("2024-02-01"), at("2024-01-01"), "day")
    with pytest.raises(UsageError, match="must be before"):
        split_windows(at("2024-02-01"), at("2024-02-01"), "day")


def test_too_many_windows_are_refused_with_a_hint() -> None:
    with pytest.raises(UsageError, match=f"more than {MAX_WINDOWS} windows") as caught:
        split_windows(at("2000-01-01"), at("2010-01-01"), "day")
    assert caught.value.hint is not None and "longer unit" in caught.value.hint


def test_boundary_rule_after_one_millisecond_earlier_before_the_end() -> None:
    field = created_filter(ORDER)
    assert field is not None
    window = Window(at("2024-01-01"), at("2024-02-01"))
    assert dict(window_conditions(field, window)) == {
        "$after": ["2023-12-31T23:59:59.999Z"],
        "$before": ["2024-02-01T00:00:00.000Z"],
    }
    assert dict(window_conditions(field, Window(None, at("2024-02-01")))) == {"$before": ["2024-02-01T00:00:00.000Z"]}


def test_record_at_a_boundary_falls_in_exactly_one_window() -> None:
    # The API's $after and $before are strict; model them and check the instants around a boundary.
    field = created_filter(ORDER)
    assert field is not None
    windows = split_windows(at("2024-01-01"), at("2024-01-03"), "day")

    def selects(window: Window, created: str) -> bool:
        conditions = dict(window_conditions(field, window))
        return created > conditions["$after"][0] and created < conditions["$before"][0]

    for created in ("2024-01-01T23:59:59.999Z", "2024-01-02T00:00:00.000Z", "2024-01-02T00:00:00.001Z"):
        assert sum(selects(window, created) for window in windows) == 1, created
    assert [selects(w, "2024-01-02T00:00:00.000Z") for w in windows] == [False, True]


def test_filters_with_window_keeps_the_users_filters_and_junction_and() -> None:
    field = created_filter(ORDER)
    assert field is not None
    users = {"junction": "and", "status": {"conditions": {"$in": ["PAID"]}}}
    result = filters_with_window(users, field, Window(at("2024-01-01"), None))
    assert result == {
        "junction": "and",
        "status": {"conditions": {"$in": ["PAID"]}},
        "created_at": {"conditions": {"$after": ["2023-12-31T23:59:59.999Z"]}},
    }
    assert users == {"junction": "and", "status": {"conditions": {"$in": ["PAID"]}}}
    assert filters_with_window(None, field, Window(None, None)) is None


def test_publication_and_redemption_use_their_date_tested_created_at() -> None:
    for command in ("publication", "redemption", "voucher", "customer", "gift-card-transactions"):
        found = created_filter(BY_COMMAND[command])
        assert found is not None and found.name == "created_at", command
    assert created_filter(BY_COMMAND["redemption"]).attribute == "date"  # type: ignore[union-attr]


def test_points_expiration_has_no_created_at_and_the_error_names_the_objects_that_do() -> None:
    assert created_filter(BY_COMMAND["points-expiration"]) is None
    with pytest.raises(ValidationError, match="points-expiration exports have none") as caught:
        check_no_conflict(BY_COMMAND["points-expiration"], [], None, "--since-last")
    assert "order" in caught.value.valid and "points-expiration" not in caught.value.valid


def test_a_user_created_at_filter_or_junction_or_is_refused() -> None:
    with pytest.raises(UsageError, match="remove your created_at filter"):
        check_no_conflict(ORDER, ["created_at"], "and", "--split-by")
    with pytest.raises(UsageError, match="--junction or"):
        check_no_conflict(ORDER, ["status", "amount"], "or", "--split-by")
    assert check_no_conflict(ORDER, ["status"], "and", "--split-by").name == "created_at"


def test_split_unit_names_the_valid_ones() -> None:
    with pytest.raises(ValidationError, match=r"Did you mean 'day'.*Valid values: day, week, month"):
        check_split_unit("days", "--split-by")


def test_parse_instant_reads_zones_and_keeps_milliseconds() -> None:
    assert iso_ms(at("2024-01-01T10:00:00.5+02:00")) == "2024-01-01T08:00:00.500Z"
    assert iso_ms(at("2024-01-01")) == "2024-01-01T00:00:00.000Z"
    with pytest.raises(UsageError, match="--since: 'last tuesday' is not a date"):
        parse_instant("last tuesday", "--since")
