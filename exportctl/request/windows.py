"""Time windows on an object's creation time: the ranges that incremental and split exports ask for.

A window is the half-open range [start, end) of creation times, either end open. The API's `$after` and
`$before` are strict and our filter values carry milliseconds, so [start, end) is sent as
`$after start − 1 ms` and `$before end`. Consecutive windows then share their boundary with no gap and no
overlap: a record created exactly at a boundary belongs to the later window only.

Split windows are cut at calendar boundaries in UTC: midnight (day), Monday midnight (week), the 1st of
the month (month). The first window starts at `since`, the last ends at `until`, so only those two may
be shorter than a whole unit, and the inner windows of two runs over overlapping ranges are identical
(which is what lets a resumed split run reuse them).

Standard library only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from exportctl.errors import UsageError, ValidationError
from exportctl.request.model import SPLIT_UNITS, ExportRequest
from exportctl.request.values import (
    INSTANT_RANGE,
    RELATIVE_HINT,
    checked_instant,
    in_range,
    iso_ms,
    out_of_range,
    relative_instant,
)
from exportctl.schema import ExportObject, FilterField
from exportctl.suggest import closest

CREATED_FILTER = "created_at"
# A split into more windows than this is almost certainly a mistake (a daily split over decades), and
# each window is one export against a rate-limited API.
MAX_WINDOWS = 1000
ONE_MS = dt.timedelta(milliseconds=1)


class Window(NamedTuple):
    """Creation times in [start, end); None leaves that end open (a NamedTuple: every dry run creates the class)."""

    start: dt.datetime | None
    end: dt.datetime | None

    def label(self) -> str:
        """`2024-01-01T00:00:00.000Z..2024-01-02T00:00:00.000Z`, with `*` for an open end."""
        return f"{iso_ms(self.start) if self.start else '*'}..{iso_ms(self.end) if self.end else '*'}"

    def to_json(self) -> dict[str, str | None]:
        """`{"since": ..., "until": ...}` as ISO 8601 UTC with milliseconds."""
        return {
            "since": iso_ms(self.start) if self.start else None,
            "until": iso_ms(self.end) if self.end else None,
        }


def truncate_ms(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC without its sub-millisecond part, so that what is stored is exactly what is sent."""
    utc = moment.astimezone(dt.timezone.utc)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def parse_instant(text: str | dt.date, where: str) -> dt.datetime:
    """A date or date-time (ISO 8601, UTC unless a zone is given) as an aware UTC datetime, to the millisecond.

    UsageError naming the valid range (values.INSTANT_RANGE) for one beyond it, in any form.
    """
    if isinstance(text, dt.datetime):
        # A naive datetime means UTC, as a date-time string without a zone does.
        aware = text if text.tzinfo is not None else text.replace(tzinfo=dt.timezone.utc)
        try:
            moment = truncate_ms(aware.astimezone(dt.timezone.utc))
        except OverflowError:
            raise out_of_range(text.isoformat(), where) from None
        if not in_range(moment):
            raise out_of_range(text.isoformat(), where)
        return moment
    if isinstance(text, dt.date):
        moment = dt.datetime(text.year, text.month, text.day, tzinfo=dt.timezone.utc)
        if not in_range(moment):
            raise out_of_range(text.isoformat(), where)
        return moment
    if not isinstance(text, str):
        raise UsageError(f"{where}: expected a date, a datetime or an ISO 8601 string, got {type(text).__name__}.")
    # The filter grammar's reader, so that --since accepts exactly what `created_at>...` accepts.
    found = checked_instant(text, where) or relative_instant(text, dt.datetime.now(dt.timezone.utc), where)
    if found is None:
        raise UsageError(
            f"{where}: '{text}' is not a date: use ISO 8601, e.g. 2024-01-01 or 2024-01-01T10:00:00Z "
            f"(UTC unless a zone is given), {RELATIVE_HINT}, today or yesterday; {INSTANT_RANGE}."
        )
    return found


def created_filter(obj: ExportObject) -> FilterField | None:
    """The filter on the records' creation time, or None when the object has none (points expiration)."""
    found = obj.get_filter(CREATED_FILTER)
    if found is None or not found.type.is_temporal:
        return None
    return found


def require_created_filter(obj: ExportObject, what: str) -> FilterField:
    """The creation-time filter of `obj`; UsageError naming the objects that have one otherwise."""
    from exportctl.schema import EXPORT_OBJECTS

    found = created_filter(obj)
    if found is None:
        able = tuple(o.command for o in EXPORT_OBJECTS if created_filter(o) is not None)
        raise ValidationError(
            f"{what} needs a filter on the creation time, and {obj.command} exports have none "
            f"(their filters: {', '.join(obj.filter_names) or 'none'}).",
            valid=able,
        )
    return found


def check_split_unit(value: str, where: str) -> str:
    """`day`, `week` or `month`; a ValidationError naming them otherwise."""
    if value in SPLIT_UNITS:
        return value
    raise ValidationError(
        f"{where}: '{value}' is not a split unit.", valid=SPLIT_UNITS, suggestion=closest(value, SPLIT_UNITS)
    )


def _next_boundary(moment: dt.datetime, unit: str) -> dt.datetime:
    """The first calendar boundary of `unit` strictly after `moment` (UTC)."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return midnight + dt.timedelta(days=1)
    if unit == "week":
        return midnight + dt.timedelta(days=7 - midnight.weekday())
    first = midnight.replace(day=1)
    return first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)


def check_range(since: dt.datetime, until: dt.datetime) -> None:
    """UsageError unless `since` comes before `until`, both shown as they are sent."""
    if since >= until:
        raise UsageError(f"--since ({iso_ms(since)}) must be before --until ({iso_ms(until)}).")


def split_windows(since: dt.datetime, until: dt.datetime, unit: str) -> list[Window]:
    """[since, until) cut at the calendar boundaries of `unit`; UsageError for an empty or huge range."""
    check_range(since, until)
    windows: list[Window] = []
    start = since
    while start < until:
        end = min(_next_boundary(start, unit), until)
        windows.append(Window(start, end))
        if len(windows) > MAX_WINDOWS:
            raise UsageError(
                f"Splitting {iso_ms(since)}..{iso_ms(until)} by {unit} makes more than {MAX_WINDOWS} windows.",
                hint="Split by a longer unit (week, month), or narrow --since/--until.",
            )
        start = end
    return windows


def window_conditions(field: FilterField, window: Window) -> Iterator[tuple[str, list[str]]]:
    """The `(operator, values)` pairs that select `window` on `field`."""
    if window.start is not None:
        # $after is strict: one millisecond earlier makes the window include its start.
        yield "$after", [iso_ms(window.start - ONE_MS)]
    if window.end is not None:
        yield "$before", [iso_ms(window.end)]


def filters_with_window(filters: dict[str, Any] | None, field: FilterField, window: Window) -> dict[str, Any] | None:
    """A copy of the API `filters` object with `window` added on `field` (which must not be filtered already)."""
    added = list(window_conditions(field, window))
    if not added:
        return filters
    result: dict[str, Any] = {"junction": "and"}
    for name, entry in (filters or {}).items():
        result[name] = entry if name == "junction" else {"conditions": dict(entry["conditions"])}
    # FilterConditionsDateTime (campaign and loyalty transaction exports) takes each value alone.
    result[field.name] = {"conditions": {op: values[0] if field.day_counts else values for op, values in added}}
    return result


def check_no_conflict(
    obj: ExportObject, filter_fields: Sequence[str], junction: str | None, what: str, field: FilterField | None = None
) -> FilterField:
    """The creation-time filter for a windowed export, refusing user filters that would fight the window.

    A user condition on the same field is refused rather than intersected: the window already says
    which creation times are wanted (use --since/--until). Junction `or` is refused too, since the window
    must hold for every record and the API's filters have only one junction.
    """
    field = field or require_created_filter(obj, what)  # `field`: the cursor of an incremental export
    if field.name in filter_fields:
        raise UsageError(
            f"{what} sets the {field.name} filter itself; remove your {field.name} filter "
            "and give the range with --since/--until instead."
        )
    if junction == "or" and filter_fields:
        raise UsageError(
            f"{what} cannot be combined with --junction or: the time window must hold for every record, "
            "and the API's filters have one junction."
        )
    return field


def window_request(request: ExportRequest, field: FilterField, window: Window) -> ExportRequest:
    """`request` narrowed to `window` on the creation-time filter `field`."""
    scoped = request.obj.for_scope(request.scope_entry()).get_filter(field.name) or field
    return request._replace(filters=filters_with_window(request.filters, scoped, window))
