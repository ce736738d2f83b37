"""When to poll next: a pure function of the export's age, its last status change and its history.

Ages are seconds since the export was created. Without history (`expected` is None):

- while the export is younger than `FIRST_SECONDS`, poll once a second (short exports end there);
- then wait `STEADY` seconds plus a back-off that doubles every `BACKOFF_DOUBLING` seconds the status stays
  the same (1 s after `BACKOFF_ONE_SECOND` seconds) but stays under `BACKOFF_SHARE` of the export's age,
  at most `POLL_CAP` in all. An export that ends within half a minute of its last change is seen about a
  second and a half after DONE (polls ~3 s apart); a longer one at most about a fifth of its age late,
  and a long one costs a call every `POLL_CAP` seconds. Issue 22's figures and the neighbouring schedules
  tried are in docs/performance.md; `benchmarks/polling_sweep.py` prints them.

With history, once the export is IN_PROGRESS, the polls aim at the moment DONE is likely. `Window` says
where earlier runs of the same export turned DONE: after their last answer that was not DONE (`lo`) and
no later than their first DONE (`hi`). The polls before the window double the age (at most
`PRE_WINDOW_CAP` apart), so an export that runs faster than before is still seen; inside the window they
are `WINDOW_POLLS` evenly spaced (fewer in a narrow window, so that they stay `MIN_SPACING` apart), the
last one on `hi`; past `hi` the export is late, and the polling starts over at the first wait,
growing by half the time since `hi` (`late_delay`: the schedule without history before issue 22). Each
run leaves a narrower window, so a recurring export ends up polled a moment after it turns DONE, with a
handful of calls.

`simulate` runs this schedule against an export of known timing, for the tests and `benchmarks/`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from exportctl.schema import EXPORT_STATUSES

SCHEDULED, IN_PROGRESS, DONE, ERROR = EXPORT_STATUSES

POLL_INITIAL = 1.0
FIRST_SECONDS = 4.0
# Without history (issue 22): STEADY seconds apart plus a back-off that starts tiny and doubles every
# BACKOFF_DOUBLING seconds the status stays the same (1 s at BACKOFF_ONE_SECOND), but stays under
# BACKOFF_SHARE of the export's age; at most POLL_CAP in all. So polls are ~3 s apart while the status is
# fresh (a 30 s export is seen a median 1.4 s after DONE, at most 2.9 s, on 14-17 calls), then about a
# fifth of the export's age apart (a 60 s export: 6.6 s, on 20-21 calls), then POLL_CAP apart (a 5-minute
# export: 7.5 s, at most 18 s, on 34-35 calls): issue 22's spreads of DONE in `simulate`, with the
# neighbouring values that were tried, in docs/performance.md.
STEADY = 2.85
BACKOFF_ONE_SECOND = 35.0
BACKOFF_DOUBLING = 1.0
BACKOFF_SHARE = 0.185
# At most 18 s apart keeps the windows a first run leaves narrow enough for the third run of a recurring
# export to be seen within 0.5 s (six polls in a sixth of the window), as before issue 22.
POLL_CAP = 18.0
# Past a history's window the export is late: polls start over at the first wait and grow by this share of
# the time since the window's end, up to LATE_CAP (the schedule without history before issue 22).
GROWTH_SHARE = 0.5
LATE_CAP = 14.5
PRE_WINDOW_CAP = 30.0
PRE_WINDOW_STRETCH = 1.5
# Polls inside the window: WINDOW_POLLS evenly spaced, fewer where that would put them about MIN_SPACING apart.
WINDOW_POLLS = 6
MIN_SPACING = 0.5
# Windows of the last runs that are intersected; when they do not overlap, the last few are joined instead.
INTERSECT_RUNS = 5
JOIN_RUNS = 3


@dataclass(frozen=True)
class Window:
    """The ages between which an export turned DONE: after `lo`, at or before `hi` (0 <= lo < hi)."""

    lo: float
    hi: float


def expected_window(runs: Sequence[Window]) -> Window | None:
    """Where the next run is likely to turn DONE, from earlier runs (oldest first); None without any.

    An export that takes the same time every run turned DONE inside every one of its windows, so their
    overlap is where to look. When the last runs do not overlap (the export's time varies), the window
    spans the last `JOIN_RUNS` of them.
    """
    if not runs:
        return None
    recent = runs[-INTERSECT_RUNS:]
    lo, hi = max(run.lo for run in recent), min(run.hi for run in recent)
    if lo < hi:
        return Window(lo, hi)
    joined = runs[-JOIN_RUNS:]
    return Window(min(run.lo for run in joined), max(run.hi for run in joined))


def base_delay(age: float, since_change: float, first: float = POLL_INITIAL) -> float:
    """The delay without history: `first` while young, then `STEADY` plus a back-off, at most `POLL_CAP`.

    `first` (EXPORTCTL_POLL_INTERVAL, 1 s by default) is the first wait and the shortest; "young" is the
    first `FIRST_SECONDS` seconds at the default, the same number of polls at another `first`.
    """
    if age < FIRST_SECONDS * first / POLL_INITIAL:
        return first
    # The exponent is bounded so that a long wait (an `exportctl wait` of hours) cannot overflow a float.
    doubling = math.pow(2.0, min(since_change - BACKOFF_ONE_SECOND, 64 * BACKOFF_DOUBLING) / BACKOFF_DOUBLING)
    return min(POLL_CAP, max(first, STEADY + min(doubling, BACKOFF_SHARE * age)))


def late_delay(since_window: float, first: float = POLL_INITIAL) -> float:
    """Past a history's window: `first`, then half the time since the window's end, at most `LATE_CAP`."""
    return min(LATE_CAP, max(first, GROWTH_SHARE * since_window))


def next_delay(
    age: float, since_change: float, status: str, expected: Window | None, first: float = POLL_INITIAL
) -> float:
    """Seconds from now (the export `age` seconds old, its status unchanged for `since_change`) to the next poll."""
    if expected is None or status != IN_PROGRESS:
        return base_delay(age, since_change, first)
    lo, hi = expected.lo, expected.hi
    if age >= hi - 1e-6:
        # Later than every earlier run: start over, counted from the window's end (or the last change).
        return late_delay(min(since_change, age - hi), first)
    # The window's poll points lo + k * step, for k = 1 .. steps (the last on hi); the next one after now.
    # `steps` is the whole number nearest to MIN_SPACING apart (rounded down before issue 22, which left
    # 0.6 s between the polls of a 2.4 s window, the one a 14.5 s gap leaves).
    steps = max(1, min(WINDOW_POLLS, math.ceil((hi - lo) / min(MIN_SPACING, first) - 0.5)))
    step = (hi - lo) / steps
    k = max(1, math.floor((age - lo) / step + 1e-9) + 1) if age >= lo else 1
    target = min(hi, lo + k * step)
    if age < lo:
        # Before the window: about the export's age (at most PRE_WINDOW_CAP) without a look, so a run faster
        # than the earlier ones is still seen; straight to the window's first poll when that is not much more.
        safe = max(first, min(PRE_WINDOW_CAP, age))
        return target - age if target - age <= PRE_WINDOW_STRETCH * safe else safe
    return target - age


@dataclass(frozen=True)
class Simulated:
    """What polling an export of known timing costs: the ages of the polls, and the window it leaves."""

    polls: list[float]
    window: Window
    done_at: float

    @property
    def late(self) -> float:
        """Seconds from DONE to the poll that saw it (without the time to download and save)."""
        return self.polls[-1] - self.done_at


def simulate(
    done_at: float,
    *,
    in_progress_at: float = 0.5,
    expected: Window | None = None,
    without_history: Callable[[float, float], float] | None = None,
) -> Simulated:
    """Poll (in virtual time) an export created at age 0 that turns IN_PROGRESS and then DONE at these ages.

    The submit's answer (age 0: SCHEDULED, or IN_PROGRESS when `in_progress_at` is 0) is the first look, as
    in `poll_until_done`. The polls listed are the GETs; the submit and the download are not among them.
    `without_history(age, since_change)`, when given, replaces `base_delay` wherever no window applies:
    `benchmarks/polling_sweep.py` compares other schedules with this one.
    """
    age, changed_at, last_not_done = 0.0, 0.0, 0.0
    status = IN_PROGRESS if in_progress_at <= 0 else SCHEDULED
    polls: list[float] = []
    while status != DONE:
        last_not_done = age
        if without_history is not None and (expected is None or status != IN_PROGRESS):
            age += without_history(age, age - changed_at)
        else:
            age += next_delay(age, age - changed_at, status, expected)
        polls.append(age)
        seen = DONE if age >= done_at else IN_PROGRESS if age >= in_progress_at else SCHEDULED
        if seen != status:
            status, changed_at = seen, age
    return Simulated(polls, Window(last_not_done, age), done_at)
