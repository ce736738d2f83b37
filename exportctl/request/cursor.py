"""The cursor of an incremental export: the time field its windows filter on, and how far each run looks back.

`--since-last STATE` follows `created_at` by default: each run exports the records created in
[watermark, run start). `--cursor updated_at` follows the last change instead, for the objects whose export
documents a filter on `updated_at` (orders, vouchers, customers, redemptions): each run exports the records
changed in [watermark - lookback, run start), and a load into a database merges them on the key, so a record
changed after its first export updates its row. The watermark is still the run's start.

The lookback re-reads the end of the previous window: a record whose `updated_at` was stamped before the run
started but committed (made visible to the export) after it, or a server clock a little behind ours, would
otherwise fall between two windows for good. Rows read twice are merged, so they cost a little time, never a
duplicate. It defaults to 0 for `created_at` and to DEFAULT_UPDATED_LOOKBACK for `updated_at`.

Standard library only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from exportctl.errors import UsageError, ValidationError
from exportctl.request.model import RunOptions
from exportctl.request.windows import require_created_filter
from exportctl.schema import ExportObject, FilterField

CREATED_AT, UPDATED_AT = "created_at", "updated_at"
CURSORS = (CREATED_AT, UPDATED_AT)
DEFAULT_UPDATED_LOOKBACK = 600.0  # seconds: 10 minutes
# More than a week would re-export most of a nightly window every night: a full re-export is what is meant.
MAX_LOOKBACK = 7 * 86400.0
LOOKBACK_RANGE = "from 0 to 7d"
# The state key's suffix of a cursor other than created_at (a created_at entry keeps its key as before).
KEY_SEPARATOR = "@"


def cursor_filter(obj: ExportObject, cursor: str) -> FilterField | None:
    """The documented time filter `cursor` of `obj`, or None.

    `updated_at` counts only where the reference documents it for the object's export (the filters that
    schema.py adds to every undocumented object, products and SKUs, do not).
    """
    found = obj.get_filter(cursor)
    if found is None or not found.type.is_temporal:
        return None
    if cursor != CREATED_AT and "not documented" in found.description:
        return None
    return found


def cursor_objects(cursor: str) -> tuple[str, ...]:
    """The commands whose exports can follow `cursor`."""
    from exportctl.schema import EXPORT_OBJECTS

    return tuple(obj.command for obj in EXPORT_OBJECTS if cursor_filter(obj, cursor) is not None)


def require_cursor_filter(obj: ExportObject, cursor: str, what: str) -> FilterField:
    """The filter of `cursor` on `obj`; ValidationError naming the objects that have one otherwise."""
    if cursor == CREATED_AT:
        return require_created_filter(obj, what)
    found = cursor_filter(obj, cursor)
    if found is None:
        raise ValidationError(
            f"--cursor {cursor}: {obj.command} exports have no documented {cursor} filter, so an incremental "
            f"export cannot follow their changes.",
            valid=cursor_objects(cursor),
            hint="Use the default --cursor created_at for this object (new records only).",
        )
    return found


def check_cursor(value: object, where: str) -> str:
    """`created_at` or `updated_at`; ValidationError naming them otherwise."""
    if isinstance(value, str) and value.strip() in CURSORS:
        return value.strip()
    from exportctl.masking import printable
    from exportctl.suggest import closest

    shown = printable(str(value))[:60]
    guess = closest(shown, CURSORS) if isinstance(value, str) else None
    raise ValidationError(f"{where}: '{shown}' is not a cursor.", valid=CURSORS, suggestion=guess)


def check_lookback(value: object, where: str) -> float:
    """A lookback in seconds from a duration string, seconds or a timedelta; one message for every bad value."""
    from exportctl.request.durations import DURATION_FORMS, parse_duration

    problem = f"{where}: expected a duration {LOOKBACK_RANGE}: {DURATION_FORMS}"
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse_duration(value, where, maximum=math.inf)
        except UsageError:
            from exportctl.masking import printable

            raise UsageError(f"{problem}; got '{printable(value)[:60]}'.") from None
    else:
        raise UsageError(f"{problem}; got {type(value).__name__}.")
    if not math.isfinite(seconds) or seconds < 0:
        raise UsageError(f"{problem}; got {value!r:.60} (negative or not a number).")
    if seconds > MAX_LOOKBACK:
        raise UsageError(
            f"{problem}; got {value!r:.60}, longer than a week.",
            hint="Each run re-reads this much of the previous window; for everything, run once without --since-last.",
        )
    return seconds


def effective_lookback(cursor: str, lookback: float | None) -> float:
    """The lookback a run uses: the one given, else 0 for created_at and 10 minutes for updated_at."""
    if lookback is not None:
        return lookback
    return DEFAULT_UPDATED_LOOKBACK if cursor == UPDATED_AT else 0.0


def looked_back(watermark: dt.datetime, options: RunOptions) -> dt.datetime:
    """Where an incremental window starts after a run that ended at `watermark`: less the lookback."""
    return watermark - dt.timedelta(seconds=effective_lookback(options.cursor, options.lookback))


def keyed(key: str, cursor: str) -> str:
    """The state key of `cursor`: created_at keeps `key` (older state files read as before), others add `@cursor`."""
    return key if cursor == CREATED_AT else f"{key}{KEY_SEPARATOR}{cursor}"


def read_cursor(
    cursor: object, lookback: object, incremental: object, at: Callable[[tuple[str, ...]], str]
) -> dict[str, Any]:
    """RunOptions' `cursor` and `lookback` from the flags (or keywords), else the file's `incremental` mapping."""
    cursor_where, lookback_where = "--cursor", "--lookback"
    if isinstance(incremental, Mapping):
        if cursor is None and incremental.get("cursor") is not None:
            cursor, cursor_where = incremental["cursor"], at(("incremental", "cursor"))
        if lookback is None and incremental.get("lookback") is not None:
            lookback, lookback_where = incremental["lookback"], at(("incremental", "lookback"))
    return {
        "cursor": CREATED_AT if cursor is None else check_cursor(cursor, cursor_where),
        "lookback": None if lookback is None else check_lookback(lookback, lookback_where),
    }


def window_filter(obj: ExportObject, options: RunOptions, what: str) -> FilterField:
    """The filter a run's time window goes on: the cursor of an incremental run, else created_at."""
    return require_cursor_filter(obj, options.cursor if options.incremental is not None else CREATED_AT, what)
