"""The polling schedule, in virtual time: calls and lateness for exports of known length, with and without history.

Issue 13's targets, counted as the benchmark counts them (the submit and the download are calls too, and
the file is saved a moment after the poll that sees DONE): a 5 s job within 1 s on 8 calls, a 60 s job
within 3 s on 15, a 5 min job within 10 s on 30. The lateness asserted here leaves 0.5 s for the download.
"""

from __future__ import annotations

import itertools

import pytest

from exportctl.jobs.schedule import (
    FIRST_SECONDS,
    IN_PROGRESS,
    MIN_SPACING,
    POLL_CAP,
    POLL_INITIAL,
    PRE_WINDOW_CAP,
    SCHEDULED,
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
# The most calls of a first run (no history): issue 13's, but issue 22's 35 for a 5 min job.
FIRST_RUN_CALLS = {5.37: 8, 60.37: 15, 300.37: 35}


def runs(done_at: float, times: int, **kwargs: float) -> list[Simulated]:
    """The same export `times` times, each run with the history the earlier ones left."""
    windows: list[Window] = []
    done = []
    for _ in range(times):
        run = simulate(done_at, expected=expected_window(windows), **kwargs)
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
    assert max(gaps) == POLL_CAP
    assert gaps == sorted(gaps)
    # A status change starts the growth over.
    assert base_delay(100, since_change=0.5) == POLL_INITIAL
    assert base_delay(100, since_change=10) == 5


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


def test_without_history_a_5_minute_export_lands_within_5_percent_on_35_calls() -> None:
    """Issue 22: a 5 min job with no history lands <= max(1 s, 5%) = 15 s after DONE on <= 35 calls, wherever
    in 300-315 s it turns DONE (SAVE_ALLOWANCE left for the download and save)."""
    calls, late = _first_runs(300, 315)
    assert max(calls) <= 35
    assert max(late) + SAVE_ALLOWANCE <= 0.05 * 300


def test_without_history_a_30_second_export_costs_at_most_20_calls_and_is_no_later_than_before() -> None:
    """Issue 22's 30 s target (<= 1.5 s after DONE on <= 20 calls) is not met for every moment DONE may come:
    polls at most 1 s apart near 30 s cost more than 20 calls, and a faster-growing schedule breaks the 5 s
    job's 8 calls or the 5 min job's 35 (docs/performance.md). What holds: the calls, and the lateness of
    the schedule before issue 22 (median 5.2 s, worst 10.2 s over 25-35 s)."""
    calls, late = _first_runs(25, 35)
    assert max(calls) <= 20
    assert sorted(late)[len(late) // 2] <= 5.21 and max(late) <= 10.2


@pytest.mark.parametrize(("lo", "hi", "worst"), [(5, 7, 0.56), (60, 75, 0.5), (300, 315, 0.5)])
def test_with_history_the_third_run_stays_within_half_a_second(lo: float, hi: float, worst: float) -> None:
    """Issue 22: with history as before (<= 0.5 s; the 5 s job's 1 s windows: 0.56 s, as before). The
    no-history cap of 14.5 s leaves 2.4 s windows, whose polls are still about 0.5 s apart."""
    late = []
    for k in range(120):
        late.append(runs(lo + (hi - lo) * k / 120, 3)[-1].late)
    assert max(late) <= worst
