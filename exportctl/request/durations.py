"""Durations as people type them on a command line: `90`, `90s`, `15m`, `1h30m`, `1d`, `500ms`."""

from __future__ import annotations

import math
import re

from exportctl.errors import UsageError

DURATION_FORMS = (
    "a number of seconds (90) or amounts with units d, h, m, s, ms in that order (90s, 15m, 1h30m, 1d, 500ms)"
)

# The longest duration taken: beyond any wait or timeout a person means, and below what the clock calls
# (`threading.Event.wait`, `time.sleep`) accept, so that no later step overflows.
MAX_DAYS = 36_500
MAX_SECONDS = MAX_DAYS * 86400.0
DURATION_RANGE = f"from 0 to {MAX_DAYS}d (100 years)"

_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
# `ms` before `m` so that "500ms" is not read as 500 minutes followed by garbage.
# Strings, compiled by `re` on first use (and cached by it), not on every start-up.
_PART = r"(?ai)\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|d|h|m|s)"
_PLAIN = r"(?a)\d+(?:\.\d+)?|\.\d+"
_ORDER = ("d", "h", "m", "s", "ms")


def parse_duration(text: str, where: str | None = None, *, maximum: float = MAX_SECONDS) -> float:
    """The number of seconds `text` stands for; UsageError naming the valid forms otherwise.

    `where` (an option, a config key with its line) starts the error message. Beyond `maximum` (by default
    DURATION_RANGE) is out of range; a caller with a range of its own passes `math.inf` and checks it.
    """
    stripped = text.strip()
    if stripped.startswith("-"):
        raise _invalid(text, where, "a duration cannot be negative")
    if re.fullmatch(_PLAIN, stripped):
        return _finite(float(stripped), text, where, maximum)
    position, total, last_rank = 0, 0.0, -1
    part = re.compile(_PART)
    while position < len(stripped):
        match = part.match(stripped, position)
        if match is None:
            raise _invalid(text, where)
        unit = match.group(2).lower()
        rank = _ORDER.index(unit)
        # Units must come largest first and once each, so that "30m1h" or "1h1h" are caught as typos.
        if rank <= last_rank:
            raise _invalid(text, where)
        last_rank = rank
        total += float(match.group(1)) * _UNIT_SECONDS[unit]
        position = match.end()
    if last_rank < 0:
        raise _invalid(text, where)
    return _finite(total, text, where, maximum)


def _finite(seconds: float, text: str, where: str | None, maximum: float) -> float:
    if not math.isfinite(seconds):
        raise _invalid(text, where)
    if seconds > maximum:
        raise _invalid(text, where, f"it is out of range, valid durations are {DURATION_RANGE}")
    return seconds


def _invalid(text: str, where: str | None, reason: str | None = None) -> UsageError:
    at = f"{where}: " if where else ""
    why = f"{reason}; " if reason else ""
    return UsageError(f"{at}Invalid duration '{text}': {why}expected {DURATION_FORMS}.")


def check_timeout(seconds: float, where: str) -> float:
    """`seconds` as a --timeout: more than 0, since 0 would submit an export and give up at once."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise UsageError(f"{where}: {seconds!r} is not a duration; valid timeouts are {DURATION_RANGE} (not 0).")
    if seconds > MAX_SECONDS:
        raise UsageError(f"{where}: {seconds!r} seconds is out of range; valid timeouts are {DURATION_RANGE} (not 0).")
    if seconds <= 0:
        raise UsageError(
            f"{where}: a timeout of 0 would give up as soon as the export is submitted.",
            hint="Give a duration such as 90s, 15m or 2h, or leave --timeout out to wait without a limit.",
        )
    return seconds
