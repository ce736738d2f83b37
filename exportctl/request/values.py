"""Filter values by type: each text checked and converted as the API takes it, and dates read one way.

`iso_ms` is the one formatter of instants (UTC ISO 8601 with milliseconds) and `read_instant` the one
reader, shared by the filter grammar, --since/--until, split windows and the state files.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, NamedTuple

from exportctl.errors import UsageError, ValidationError
from exportctl.schema import CALENDAR_OPERATORS, PASSED_THROUGH_OPERATORS, YEARS_OPERATORS, FilterField, ValueType
from exportctl.suggest import closest

# Operator families, by what their values are. The calendar periods, like presence, take no value and
# are sent as `true`.
NO_VALUE = frozenset({"$has_value", "$is_unknown", *CALENDAR_OPERATORS})
YEARS = frozenset(YEARS_OPERATORS)
PASSED_THROUGH = frozenset(PASSED_THROUGH_OPERATORS)
DAYS = frozenset(
    {"$is_days_ago", "$is_days_in_future", "$more_than_ago", "$less_than_ago", "$more_than_future", "$less_than_future"}
)
COUNT = frozenset({"$count", "$count_less", "$count_more"})
TEXT = frozenset({"$contains", "$not_contain", "$starts_with", "$ends_with"})
MANY = frozenset({"$in", "$not_in"})
COMPARE = frozenset({"$more_than", "$less_than", "$more_than_equal", "$less_than_equal"})
TIME = frozenset({"$after", "$before"})
EQUALITY = frozenset({"$in", "$not_in", "$is", "$is_not"})
PRESENCE = ("$has_value", "$is_unknown")


class FieldSpec(NamedTuple):
    """A filter field as a condition tests it. (The records here are NamedTuples: cheaper to create at start-up.)"""

    filter: FilterField
    typed: bool  # False for a field under a prefix (metadata.X), whose type is unknown


# The patterns are strings (flags inline), which `re` compiles on first use and keeps in its cache:
# compiling them all at import cost every dry run and TAB press about a millisecond.
_INTEGER = r"(?a)[+-]?\d+"
_DECIMAL = r"(?a)[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_CENTS = r"(?a)[+-]?\d+\.\d{1,2}"
_DATE = r"(?a)(\d{4})-(\d{2})-(\d{2})"
_DATETIME = (
    r"(?a)(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*([Zz]|[+-]\d{2}:?\d{2})?)?"
)
_LIMIT = 2**63  # what the API's 64-bit numbers can hold


def convert_value(context: str, spec: FieldSpec, operator: str, text: str) -> Any:
    field = spec.filter
    if operator in DAYS or operator in COUNT or operator in YEARS:
        unit = "days" if operator in DAYS else "years" if operator in YEARS else "a count"
        return _integer(context, field.name, text, f"{operator} takes {unit}, a whole number of at least 0", minimum=0)
    if operator in TEXT or operator in PASSED_THROUGH:
        return text
    if not spec.typed:
        if operator in COMPARE:
            return _number(context, field.name, text)
        if operator in TIME:
            return _instant(context, field.name, text)
        return text
    field_type = field.type
    if field_type in (ValueType.INTEGER, ValueType.AMOUNT):
        if field_type is ValueType.AMOUNT and re.fullmatch(_CENTS, text.strip()):
            cents = round(float(text) * 100)
            raise UsageError(
                f"{context}: '{text}' is not an amount for '{field.name}': amounts are integer cents, write {cents}."
            )
        return _integer(context, field.name, text, f"{field_type.value} values are whole numbers")
    if field_type is ValueType.NUMBER:
        return _number(context, field.name, text)
    if field_type is ValueType.BOOLEAN:
        lowered = text.strip().lower()
        # JSON booleans, as real clients send them (and the API documents the fields as booleans).
        if lowered in ("true", "false"):
            return lowered == "true"
        raise ValidationError(f"{context}: '{text}' is not a boolean for '{field.name}'.", valid=("true", "false"))
    if field_type is ValueType.DATETIME:
        if operator in EQUALITY and re.fullmatch(_DATE, text.strip()):
            return _whole_day(context, field.name, operator, text)
        return _instant(context, field.name, text)
    if field_type is ValueType.DATE:
        return _date(context, field.name, text)
    if field.values and operator in EQUALITY:
        exact = {value.casefold(): value for value in field.values}
        found = exact.get(text.strip().casefold())
        if found is None:
            raise ValidationError(
                f"{context}: '{text}' is not a value of '{field.name}'.",
                valid=field.values,
                suggestion=closest(text, field.values),
            )
        return found
    return text


class WholeDay(NamedTuple):
    """A date without a time in `FIELD=DAY` on a date-time field: every instant of that UTC day.

    `$is` with midnight would match only records created exactly at midnight; `build_filters` sends the
    day's window instead (`$after` the last millisecond before it, `$before` the next midnight).
    """

    day: dt.date

    def __str__(self) -> str:
        return self.day.isoformat()

    def window(self) -> tuple[str, str]:
        """The (`$after`, `$before`) values that select this day."""
        start = dt.datetime(self.day.year, self.day.month, self.day.day, tzinfo=dt.timezone.utc)
        return iso_ms(start - dt.timedelta(milliseconds=1)), iso_ms(start + dt.timedelta(days=1))


def _whole_day(context: str, name: str, operator: str, text: str) -> WholeDay:
    day = _date(context, name, text)
    if operator == "$is":
        checked_instant(day, context)  # the day's window reaches a millisecond before it and the next midnight
        return WholeDay(dt.date.fromisoformat(day))
    raise UsageError(
        f"{context}: '{text}' is a whole day, which {operator} cannot express on the date-time field '{name}'. "
        f"For one day write {name}={day} (sent as that day's $after/$before window); for a range of days "
        f"--since FIRST_DAY --until DAY_AFTER_THE_LAST; for an instant give the time, e.g. {day}T00:00:00Z."
    )


def _integer(context: str, name: str, text: str, rule: str, *, minimum: int | None = None) -> int:
    stripped = text.strip()
    if re.fullmatch(_INTEGER, stripped) and len(stripped) <= 20:
        value = int(stripped)
        if abs(value) < _LIMIT and (minimum is None or value >= minimum):
            return value
    raise UsageError(f"{context}: '{text}' is not valid for '{name}': {rule}.")


def _number(context: str, name: str, text: str) -> int | float:
    stripped = text.strip()
    if re.fullmatch(_INTEGER, stripped) and len(stripped) <= 20 and abs(int(stripped)) < _LIMIT:
        return int(stripped)
    if re.fullmatch(_DECIMAL, stripped) and len(stripped) <= 40:
        value = float(stripped)
        if math.isfinite(value):
            return value
    raise UsageError(f"{context}: '{text}' is not a number for '{name}'.")


def iso_ms(moment: dt.datetime) -> str:
    """UTC ISO 8601 with milliseconds, the form every filter value takes: `2024-01-01T00:00:00.000Z`."""
    utc = moment.astimezone(dt.timezone.utc)
    # Not strftime: its %Y drops the leading zeros of a year before 1000 on some C libraries.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
        f"{utc.microsecond // 1000:03d}Z"
    )


# The instants exportctl takes: far beyond any record's creation time, and far enough inside datetime's
# years 1..9999 that a window's boundaries (a millisecond before, the next day, week or month) always exist.
MIN_INSTANT = dt.datetime(1000, 1, 1, tzinfo=dt.timezone.utc)
MAX_INSTANT = dt.datetime(9000, 1, 1, tzinfo=dt.timezone.utc)  # excluded
INSTANT_RANGE = "dates and times from 1000-01-01T00:00:00Z up to, not including, 9000-01-01T00:00:00Z"


def out_of_range(text: object, where: str | None) -> UsageError:
    """The one message for an instant beyond MIN_INSTANT..MAX_INSTANT, naming the valid range."""
    at = f"{where}: " if where else ""
    return UsageError(f"{at}'{text}' is out of range: exportctl takes {INSTANT_RANGE}.")


def in_range(moment: dt.datetime) -> bool:
    """Whether the aware `moment` lies in [MIN_INSTANT, MAX_INSTANT)."""
    return MIN_INSTANT <= moment < MAX_INSTANT


def read_instant(text: str) -> dt.datetime | None:
    """A date or date-time (UTC unless a zone is given) as an aware UTC datetime to the millisecond, or None.

    None too for an instant out of range (see `checked_instant` for the error that says so).
    """
    try:
        return checked_instant(text, None)
    except UsageError:
        return None


def checked_instant(text: str, where: str | None) -> dt.datetime | None:
    """`read_instant`, with a UsageError naming the valid range for a well-formed instant beyond it."""
    match = re.fullmatch(_DATETIME, text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if not MIN_INSTANT.year - 1 <= int(year) <= MAX_INSTANT.year:
        raise out_of_range(text, where)
    try:
        moment = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:3].ljust(3, "0")) * 1000,
            tzinfo=_zone(zone),
        ).astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        return None
    if not in_range(moment):
        raise out_of_range(text, where)
    return moment


# `-30d` or `30d ago` (past) and `+7d` (future): the filter grammar's relative days, which --since and
# --until read too.
RELATIVE_DAYS = r"(?ai)(?:([+-])\s*(\d+)\s*d|(\d+)\s*d\s+ago)"
RELATIVE_HINT = "or a relative time: -30d (30 days ago), +7d (7 days ahead)"


def relative_days(text: str) -> tuple[bool, int] | None:
    """(in the past, days) for `-30d` or `30d ago` (past) and `+7d` (future); None for anything else."""
    match = re.fullmatch(RELATIVE_DAYS, text.strip())
    if match is None:
        return None
    if match.group(3) is not None:
        return True, int(match.group(3))
    return match.group(1) == "-", int(match.group(2))


def relative_instant(text: str, now: dt.datetime, where: str | None = None) -> dt.datetime | None:
    """`-30d`, `30d ago`, `+7d` from `now`; `today` and `yesterday` as 00:00 UTC of that day; else None.

    UsageError naming the valid range when the days reach beyond it (`-800000d`).
    """
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        midnight = now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - dt.timedelta(days=1 if word == "yesterday" else 0)
    relative = relative_days(text)
    if relative is None:
        return None
    past, days = relative
    try:
        moment = now.astimezone(dt.timezone.utc) + dt.timedelta(days=-days if past else days)
    except OverflowError:
        raise out_of_range(text.strip(), where) from None
    if not in_range(moment):
        raise out_of_range(text.strip(), where)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def instant_text(text: str) -> str | None:
    """`text` as UTC ISO 8601 with milliseconds, or None when it is not a date or date-time."""
    moment = read_instant(text)
    return None if moment is None else iso_ms(moment)


def _zone(zone: str | None) -> dt.timezone:
    if zone is None or zone in ("Z", "z"):
        return dt.timezone.utc
    digits = zone[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return dt.timezone(-offset if zone[0] == "-" else offset)


def _instant(context: str, name: str, text: str) -> str:
    moment = checked_instant(text, context)
    found = None if moment is None else iso_ms(moment)
    if found is None:
        raise UsageError(
            f"{context}: '{text}' is not a date-time for '{name}': use ISO 8601, "
            f"e.g. 2024-01-01 or 2024-01-01T10:00:00Z (UTC unless a zone is given), {RELATIVE_HINT}."
        )
    return found


def _date(context: str, name: str, text: str) -> str:
    stripped = text.strip()
    match = re.fullmatch(_DATE, stripped)
    if match is not None:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
        except ValueError:
            pass
    raise UsageError(f"{context}: '{text}' is not a date for '{name}': use YYYY-MM-DD, e.g. 2024-01-31.")


def native_to_text(context: str, value: object) -> str:
    """A YAML scalar as the text an expression would carry, so that both paths validate alike."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return value if isinstance(value, str) else repr(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise UsageError(f"{context}: '{value}' is not a value; expected a string, number, boolean or date.")


def render_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if text == "" or text != text.strip() or any(char in text for char in ',"\\'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
