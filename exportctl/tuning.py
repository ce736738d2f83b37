"""Knobs from the environment that tune how a run behaves rather than where it goes.

`EXPORTCTL_POLL_INTERVAL` (seconds, 0.05 to 60, default 1): the first wait between status polls, after a
submit and after each status change; the poller stretches it from there (`jobs/poll.py`).
`settings.resolve_settings` reads it into `Settings.poll_interval`, which carries it to the poller for the
CLI and the library alike. A test sandbox whose exports finish in milliseconds needs no full second; a
slow proxy or a tight rate limit may want more.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from exportctl.errors import UsageError

ENV_POLL_INTERVAL = "EXPORTCTL_POLL_INTERVAL"
DEFAULT_POLL_INTERVAL = 1.0
POLL_INTERVAL_MIN = 0.05  # faster is a busy loop that spends the API's rate limit
POLL_INTERVAL_MAX = 60.0  # slower, and a finished export sits a minute before anyone looks


def poll_interval_from_environment(environ: Mapping[str, str] | None = None) -> float:
    """EXPORTCTL_POLL_INTERVAL in seconds (`0.5`, `2`); the default 1 s when it is unset or empty.

    UsageError (exit 2) for anything else: not a number, or outside 0.05 to 60.
    """
    env = os.environ if environ is None else environ
    raw = env.get(ENV_POLL_INTERVAL, "").strip()
    if not raw:
        return DEFAULT_POLL_INTERVAL
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan  # refused below with the text as given
    if not POLL_INTERVAL_MIN <= seconds <= POLL_INTERVAL_MAX:  # nan and inf included
        raise _poll_interval_error(ENV_POLL_INTERVAL, repr(raw))
    return seconds


def check_poll_interval(seconds: float, origin: str) -> float:
    """`seconds` as a float when it is a number within 0.05 to 60; UsageError (exit 2) otherwise."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise _poll_interval_error(origin, repr(seconds))
    if not POLL_INTERVAL_MIN <= seconds <= POLL_INTERVAL_MAX:
        raise _poll_interval_error(origin, f"{seconds:g}")
    return float(seconds)


def _poll_interval_error(origin: str, shown: str) -> UsageError:
    return UsageError(
        f"{origin} must be a number of seconds from {POLL_INTERVAL_MIN:g} to {POLL_INTERVAL_MAX:g}, not {shown}.",
        hint=f"For example {ENV_POLL_INTERVAL}=0.5 checks a new export every half second at first; unset, "
        f"the first wait is {DEFAULT_POLL_INTERVAL:g} s.",
    )
