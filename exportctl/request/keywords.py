"""The library's keywords checked at the door: a wrong type or range is one UsageError naming the keyword.

A Python caller can pass anything (`fields=[5]`, `filters=5`, `timeout=nan`); each keyword is a record of
the option table (`request.options`), whose kind and `valid` words say what it takes, so that the error names
the keyword, what was given and what is valid, instead of an AttributeError deep inside or a value quietly
accepted. The values the CLI also reads as text (a field list, a duration, a date) then go through the same
rules as the flags.

Standard library only.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from exportctl.errors import UsageError


def _text(value: object) -> bool:
    return isinstance(value, str)


def _path(value: object) -> bool:
    # bytes paths are refused: the CLI's paths are text, and a name must be shown in messages.
    return isinstance(value, str | os.PathLike) and isinstance(os.fspath(value), str)


def _flag(value: object) -> bool:
    return isinstance(value, bool)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value: object) -> bool:
    """One string, or a list or tuple of strings (not a mapping, a set or bytes: no order, or not text)."""
    return isinstance(value, str) or (isinstance(value, list | tuple) and all(isinstance(v, str) for v in value))


def _filters(value: object) -> bool:
    if isinstance(value, Mapping):
        return all(isinstance(key, str) for key in value)
    return _texts(value)


def _duration(value: object) -> bool:
    return isinstance(value, str | dt.timedelta) or (isinstance(value, int | float) and not isinstance(value, bool))


def _instant(value: object) -> bool:
    return isinstance(value, str | dt.date)  # a datetime is a date


def _moment(value: object) -> bool:
    return isinstance(value, dt.datetime)


class Keyword(NamedTuple):
    """One keyword of `plan`/`export`: what it takes, as a test and as words for the message."""

    name: str
    valid: str
    accepts: Callable[[object], bool]


# How the library takes each kind of option value (`request.option_record.KINDS`).
ACCEPTS: dict[str, Callable[[object], bool]] = {
    "text": _text,
    "texts": _texts,
    "filters": _filters,
    "path": _path,
    "switch": _flag,
    "count": _count,
    "duration": _duration,
    "instant": _instant,
}
# The library's own keyword, which no command has: the moment a plan is made for.
NOW = Keyword("now", "a datetime.datetime (naive means UTC)", _moment)


def plan_keywords() -> dict[str, Keyword]:
    """Every keyword of `exportctl.plan` by name: the option table's, in its order, then `now`."""
    from exportctl.request.option_keys import keyword_options

    made = {o.name: Keyword(o.name, str(o.valid), ACCEPTS[o.kind]) for o in keyword_options()}
    return {**made, NOW.name: NOW}


def refuse(name: str, value: object, valid: str) -> UsageError:
    """The one message: `fields: got int 5; expected a list of field names (str) ...`."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return UsageError(f"{name}: got {type(value).__name__} {shown}; expected {valid}.")


def check_name(name: object) -> str:
    """The object's name: a string (its spelling is checked against the schema afterwards)."""
    if not isinstance(name, str):
        raise refuse("name", name, "an object's name as a str, such as 'voucher' or 'order'")
    return name


def check_plan_keywords(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` (keyword -> value, None meaning not given) checked, with ranges, and normalised.

    Refuses an unknown keyword too (as `export(**options)` would only say TypeError).
    """
    from exportctl.suggest import closest

    known = plan_keywords()
    checked: dict[str, Any] = {}
    for name, value in values.items():
        keyword = known.get(name)
        if keyword is None:
            guess = closest(name, known)
            hint = f" Did you mean '{guess}'?" if guess else ""
            raise UsageError(f"{name}: not a keyword of exportctl.plan or exportctl.export.{hint}")
        if value is not None and not keyword.accepts(value):
            raise refuse(name, value, keyword.valid)
        checked[name] = value
    return _check_ranges(checked)


def _check_ranges(values: dict[str, Any]) -> dict[str, Any]:
    from exportctl.request.durations import DURATION_RANGE, check_timeout, parse_duration
    from exportctl.request.option_record import MAX_PARALLEL
    from exportctl.request.windows import parse_instant

    timeout = values.get("timeout")
    if isinstance(timeout, dt.timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, str):
        timeout = parse_duration(timeout, "timeout")
    if timeout is not None:
        if not math.isfinite(timeout) or timeout < 0:
            raise refuse("timeout", values["timeout"], f"a duration {DURATION_RANGE}, more than 0")
        values["timeout"] = check_timeout(float(timeout), "timeout")
    for name in ("since", "until"):
        if values.get(name) is not None:
            parse_instant(values[name], name)  # the range and the form, named by the keyword
    parallel = values.get("parallel")
    if parallel is not None and not 1 <= parallel <= MAX_PARALLEL:
        raise refuse("parallel", parallel, f"an int from 1 to {MAX_PARALLEL}")
    now = values.get("now")
    if now is not None:
        # Naive means UTC, as for since/until: never the machine's time zone.
        values["now"] = parse_instant(now, "now")
    for name in ("fields", "filters"):
        if isinstance(values.get(name), str):
            values[name] = [values[name]]  # one string is one list or expression, not its characters
    return values


def check_export_keywords(settings: object, on_event: object, options: Mapping[str, Any]) -> None:
    """`export`'s own keywords: a Settings (or None) and a callable taking one event; `plan`'s, by name."""
    from exportctl.settings import Settings

    check_plan_keywords(dict.fromkeys(options))  # an unknown name, before Python's TypeError
    if settings is not None and not isinstance(settings, Settings):
        raise refuse("settings", settings, "an exportctl.Settings (or None: from the environment)")
    if not callable(on_event):
        raise refuse("on_event", on_event, "a callable taking one exportctl event")
