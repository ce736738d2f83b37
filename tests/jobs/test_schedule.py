"""The polling schedule, in virtual time: calls and lateness for exports of known length, with and without history.

Issue 13's targets, counted as the benchmark counts them (the submit and the download are calls too, and
the file is saved a moment after the poll that sees DONE): a 5 s job within 1 s on 8 calls, a 60 s job
within 3 s on 15, a 5 min job within 10 s on 30. The lateness asserted here leaves 0.5 s for the download.

Issue 22's targets for a first run (no history), read as the median lateness over the spread of moments
DONE may come (what a benchmark of one job measures) with the worst bounded too, from the poll that saw
DONE (`Simulated.late`, as benchmarks/polling_sweep.py prints them): a 30 s job (DONE over 25-35 s) 1.5 s,
at most 3.5 s, on 20 calls; a 5 min job (300-315 s) 15 s, at most 30 s, on 35 calls; a 5 s job (5-7 s)
1.25 s on 8 calls; and with history as before (the third run within 0.5 s).
"""

from __future__ import annotations

import itertools
import statistics

import pytest

from exportctl.jobs.schedule import (
    BACKOFF_SHARE,
    FIRST_SECONDS,
    IN_PROGRESS,
    MIN_SPACING,
    POLL_CAP,
    POLL_INITIAL,
    PRE_WINDOW_CAP,
    SCHEDULED,
    STEADY,
    Simulated,
    Window,
    base_delay,
    expected_window,
    next_delay,
    simulate,
)

SUBMIT_AND_DOWNLOAD = 2
SAVE_ALLOWANCE = 0.5
# (seconds the job runs, most seconds from DONE to the saved file, most calls): issue 13's rows.
TARGETS = [(5.37, 1.0, 8), (60.37, 3.0, 15), (300.37, 10.0, 30)]
# The most calls of a first run (no history): issue 22's 8 and 35; a first 60 s run costs 20-21 calls since
# issue 22 (14-15 before: polls ~3 s apart until the export is half a minute old, for the 30 s job's 1.5 s).
FIRST_RUN_CALLS = {5.37: 8, 60.37: 21, 300.37: 35}


def runs(done_at: float, times: int, in_progress_at: float = 0.5) -> list[Simulated]:
    """The same export `times` times, each run with the history the earlier ones left."""
    windows: list[Window] = []
    done = []
    for _ in range(times):
        run = simulate(done_at, in_progress_at=in_progress_at, expected=expected_window(windows))
        windows.append(run.window)
        done.append(run)
    return done


@pytest.mark.parametrize(("done_at", "late", "calls"), TARGETS)
def test_a_recurring_export_meets_the_targets(done_at: float, late: float, calls: int) -> None:
    first, second, third = runs(done_at, 3)
    for run in (second, third):
        assert len(run.polls) + SUBMIT_AND_DOWNLOAD <= calls
        assert run.late + SAVE_ALLOWANCE <= late
    # Without history the calls stay within the target too; only the lateness depends on the grid.
    assert len(first.polls) + SUBMIT_AND_DOWNLOAD <= FIRST_RUN_CALLS[done_at]
    assert third.late <= second.late <= first.late


@pytest.mark.parametrize("offset", [0.0, 0.13, 0.37, 0.5, 0.81, 0.99])
def test_history_narrows_the_window_wherever_the_job_ends(offset: float) -> None:
    done_at = 60 + offset
    first, *_, last = runs(done_at, 4)
    assert last.late <= max(MIN_SPACING, 0.25 * (first.window.hi - first.window.lo)) + 1e-9
    assert len(last.polls) <= len(first.polls)


def test_young_exports_are_polled_once_a_second() -> None:
    run = simulate(3.2)
    assert run.polls == [1.0, 2.0, 3.0, 4.0]
    assert run.window == Window(3.0, 4.0)
    assert all(base_delay(age, since_change=age) == POLL_INITIAL for age in (0.0, 1.0, FIRST_SECONDS - 0.01))


def test_without_history_the_interval_grows_with_the_time_since_the_change_up_to_the_cap() -> None:
    polls = simulate(600).polls
    gaps = [after - before for before, after in itertools.pairwise(polls)]
    assert max(gaps) == pytest.approx(POLL_CAP)
    assert all(after >= before - 1e-9 for before, after in itertools.pairwise(gaps))  # never shrinks
    # About 3 s apart while the status is fresh, then a share of the export's age, then the cap.
    assert STEADY <= base_delay(30, since_change=29) <= 3.0
    assert base_delay(50, since_change=49) == pytest.approx(STEADY + BACKOFF_SHARE * 50)
    assert base_delay(300, since_change=299) == POLL_CAP
    # A status change starts the growth over.
    assert base_delay(100, since_change=0.5) == pytest.approx(STEADY)
    # EXPORTCTL_POLL_INTERVAL stays the shortest wait, and the cap still bounds it.
    assert base_delay(100, since_change=0.5, first=5.0) == 5.0
    assert base_delay(300, since_change=0.5, first=60.0) == POLL_CAP  # once no longer young (4 x 60 s)
    # An `exportctl wait` hours after the last change: still the cap, no overflow.
    assert base_delay(1e9, since_change=1e9) == POLL_CAP


def test_a_faster_run_than_before_is_seen_within_its_own_age() -> None:
    history = runs(120.37, 3)
    faster = simulate(40.0, expected=expected_window([run.window for run in history]))
    # Before the window the polls double the age: DONE at 40 s is seen by the poll at 64 s at the latest.
    assert faster.late <= min(PRE_WINDOW_CAP, 40.0)


def test_a_slower_run_than_before_is_polled_as_after_a_change() -> None:
    history = runs(60.37, 3)
    slower = simulate(90.0, expected=expected_window([run.window for run in history]))
    window_end = history[-1].window.hi
    assert slower.late <= 0.5 * (90.0 - window_end) + POLL_INITIAL
    # Past the window the schedule starts at a second again.
    after = [age for age in slower.polls if age > window_end]
    assert after[0] - window_end <= POLL_INITIAL + 1e-9


def test_history_is_only_used_once_the_export_is_in_progress() -> None:
    window = Window(50, 60)
    assert next_delay(10, 10, SCHEDULED, window) == base_delay(10, 10)
    assert next_delay(10, 10, IN_PROGRESS, window) == 10  # doubling the age toward the window


def test_expected_window_overlaps_runs_or_joins_the_last_ones() -> None:
    assert expected_window([]) is None
    assert expected_window([Window(45, 60), Window(57, 61), Window(58, 62)]) == Window(58, 60)
    # Runs that do not overlap (the export's time varies): the window spans the last three.
    assert expected_window([Window(1, 2), Window(10, 11), Window(20, 21), Window(30, 31)]) == Window(10, 31)


def _first_runs(lo: float, hi: float, moments: int = 300) -> tuple[list[int], list[float]]:
    """Calls and lateness (poll after DONE) of first runs (no history), DONE spread evenly over [lo, hi)."""
    found = [simulate(lo + (hi - lo) * k / moments) for k in range(moments)]
    return [len(run.polls) + SUBMIT_AND_DOWNLOAD for run in found], [run.late for run in found]


def test_without_history_a_30_second_export_lands_within_1_5_seconds_on_20_calls() -> None:
    """Issue 22: a 30 s job with no history lands <= 1.5 s after DONE (the median over 25-35 s; before issue
    22: 5.19 s), at most 3.5 s (10.17 s before), on <= 20 calls."""
    calls, late = _first_runs(25, 35)
    assert max(calls) <= 20
    assert statistics.median(late) <= 1.5
    assert max(late) <= 3.5


def test_without_history_a_5_minute_export_lands_within_5_percent_on_35_calls() -> None:
    """Issue 22: a 5 min job with no history lands <= max(1 s, 5%) = 15 s after DONE (the median over 300-315 s)
    and never more than POLL_CAP (18 s; the task's bound is 30 s) late, on <= 35 calls."""
    calls, late = _first_runs(300, 315)
    assert max(calls) <= 35
    assert statistics.median(late) <= 0.05 * 300
    assert max(late) <= POLL_CAP <= 30


def test_without_history_a_5_second_export_stays_as_before() -> None:
    """Issue 22: the 5 s job's first run (DONE over 5-7 s) keeps its 8 calls and its 1.25 s median."""
    calls, late = _first_runs(5, 7)
    assert max(calls) <= 8
    assert statistics.median(late) <= 1.25


@pytest.mark.parametrize(("lo", "hi", "worst"), [(5, 7, 0.5), (25, 35, 0.5), (60, 75, 0.5), (300, 315, 0.5)])
def test_with_history_the_third_run_stays_within_half_a_second(lo: float, hi: float, worst: float) -> None:
    """Issue 22: with history as before, within 0.5 s (the 5 s job: 0.56 s before issue 22). The first run's
    polls are about 3 s apart up to 35 s and at most POLL_CAP (18 s) apart later: the third run's polls, six
    in a sixth of such a window, are at most 0.5 s apart."""
    late = []
    for k in range(120):
        late.append(runs(lo + (hi - lo) * k / 120, 3)[-1].late)
    assert max(late) <= worst
