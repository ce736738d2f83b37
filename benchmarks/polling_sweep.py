"""Issue 22's polling without history, in virtual time: the shipped schedule beside the one before it.

    python benchmarks/polling_sweep.py                 # first runs (no history), then runs 2 and 3 with history
    python benchmarks/polling_sweep.py --neighbours    # and the neighbouring schedules that were tried

Every figure comes from `exportctl.jobs.schedule.simulate`: the export SCHEDULED at the submit and
IN_PROGRESS at the first poll, DONE spread evenly over the job's range (300 moments). Calls include the
submit and the download; "late" runs from DONE to the poll that saw it (the download and save add
0.02-0.15 s on the sandbox). The median is what a benchmark of one job measures; the worst is the
moment DONE falls just after a poll. `--neighbours` varies one parameter of the shipped schedule at a time
(and a few other shapes) and says which of issue 22's targets each one misses: the trade-off behind the
shipped values (docs/performance.md, "Polling: the schedule").
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from exportctl.jobs import schedule
from exportctl.jobs.schedule import Window, expected_window, simulate

Rule = Callable[[float, float], float]
SUBMIT_AND_DOWNLOAD = 2
MOMENTS = 300
# (label, DONE from, DONE to): issue 22's jobs.
JOBS = [("5 s", 5.0, 7.0), ("30 s", 25.0, 35.0), ("60 s", 60.0, 75.0), ("5 min", 300.0, 315.0)]
# Issue 22 and the task's reading of it: (most calls, most median lateness, most worst lateness) per job.
TARGETS: dict[str, tuple[int, float, float]] = {
    "5 s": (8, 1.25, float("inf")),
    "30 s": (20, 1.5, 3.5),
    "5 min": (35, 15.0, 30.0),
}


def before_issue_22(age: float, since_change: float) -> float:
    """The schedule without history before issue 22: 1 s while young, then half the time since the change, <= 14.5 s."""
    return growing(0.5, 14.5)(age, since_change)


def shaped(
    steady: float = schedule.STEADY,
    one_second: float = schedule.BACKOFF_ONE_SECOND,
    doubling: float = schedule.BACKOFF_DOUBLING,
    share: float = schedule.BACKOFF_SHARE,
    cap: float = schedule.POLL_CAP,
) -> Rule:
    """The shipped shape (`schedule.base_delay`) with other parameters."""

    def rule(age: float, since_change: float) -> float:
        if age < schedule.FIRST_SECONDS:
            return schedule.POLL_INITIAL
        backoff = math.pow(2.0, min(since_change - one_second, 64 * doubling) / doubling)
        return min(cap, max(schedule.POLL_INITIAL, steady + min(backoff, share * age)))

    return rule


def growing(share: float, cap: float) -> Rule:
    """The shape before issue 22 with another share of the time since the change and another cap."""

    def rule(age: float, since_change: float) -> float:
        if age < schedule.FIRST_SECONDS:
            return schedule.POLL_INITIAL
        return min(cap, max(schedule.POLL_INITIAL, share * since_change))

    return rule


def shipped(age: float, since_change: float) -> float:
    return schedule.base_delay(age, since_change)


@dataclass(frozen=True)
class Figures:
    """One job's calls and lateness over its spread of DONE."""

    calls: tuple[int, int]
    median: float
    worst: float

    def __str__(self) -> str:
        low, high = self.calls
        calls = f"{low}" if low == high else f"{low}-{high}"
        return f"{calls} calls, {self.median:.2f} s / {self.worst:.2f} s"


def spread(lo: float, hi: float) -> list[float]:
    return [lo + (hi - lo) * k / MOMENTS for k in range(MOMENTS)]


def figures(rule: Rule, lo: float, hi: float, run: int = 1, in_progress_at: float = 0.5) -> Figures:
    """Run `run` of the same export (1: no history; 2, 3: with the windows the earlier ones left)."""
    calls, late = [], []
    for done_at in spread(lo, hi):
        windows: list[Window] = []
        for _ in range(run):
            expected = expected_window(windows)
            result = simulate(done_at, in_progress_at=in_progress_at, expected=expected, without_history=rule)
            windows.append(result.window)
        calls.append(len(result.polls) + SUBMIT_AND_DOWNLOAD)
        late.append(result.late)
    return Figures((min(calls), max(calls)), statistics.median(late), max(late))


def misses(label: str, found: Figures) -> list[str]:
    calls, median, worst = TARGETS.get(label, (10**6, float("inf"), float("inf")))
    missed = []
    if found.calls[1] > calls:
        missed.append(f"{label} calls {found.calls[1]} > {calls}")
    if found.median > median:
        missed.append(f"{label} median {found.median:.2f} > {median:g}")
    if found.worst > worst:
        missed.append(f"{label} worst {found.worst:.2f} > {worst:g}")
    return missed


def with_history_misses(rule: Rule) -> list[str]:
    """What the shipped window logic makes of this rule's first runs: issue 13's second-run target for the 60 s
    job (within 3 s with 0.5 s to save it) and issue 22's third run within 0.5 s (tests/jobs/test_schedule.py)."""
    missed = []
    found = figures(rule, 60.0, 75.0, run=2)
    if found.worst > 2.5:
        missed.append(f"60 s 2nd run worst {found.worst:.3f} > 2.5")
    for label, lo, hi in JOBS:
        found = figures(rule, lo, hi, run=3)
        if found.worst > 0.5:
            missed.append(f"{label} 3rd run worst {found.worst:.3f} > 0.5")
    return missed


def neighbours() -> list[tuple[str, Rule]]:
    """The shipped schedule with one parameter changed, then other shapes."""
    rows: list[tuple[str, Rule]] = []
    for cap in (14.5, 16.0, 17.5, 20.0, 22.5, 25.0, 30.0):
        rows.append((f"cap {cap:g} s", shaped(cap=cap)))
    for steady in (2.5, 2.75, 3.0):
        rows.append((f"steady {steady:g} s", shaped(steady=steady)))
    for share in (0.16, 0.18, 0.2, 1.0):
        rows.append((f"share {share:g}" + (" (no age bound)" if share == 1.0 else ""), shaped(share=share)))
    for one_second in (32.0, 34.0, 36.0, 38.0):
        rows.append((f"back-off 1 s at {one_second:g} s", shaped(one_second=one_second)))
    for doubling in (0.5, 2.0, 3.0, 5.0):
        rows.append((f"doubling every {doubling:g} s", shaped(doubling=doubling)))
    # Other shapes: a single cap without the age bound (the cheapest 5 min job, but 18-20 s windows at 60 s),
    # and the rule before issue 22 (a share of the time since the change) with other shares and caps.
    rows.append(
        ("steady 2.75 s, 1 s at 35 s doubling every 3 s, no age bound, cap 20 s", shaped(2.75, 35.0, 3.0, 1.0, 20.0))
    )
    for share, cap in ((0.25, 14.5), (0.2, 18.0), (0.1, 18.0)):
        rows.append((f"{share:g} x time since change, cap {cap:g} s", growing(share, cap)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neighbours", action="store_true", help="also the neighbouring schedules tried")
    parser.add_argument("--phases", action="store_true", help="also first runs of exports IN_PROGRESS at other moments")
    args = parser.parse_args()
    print(
        f"shipped: {schedule.STEADY:g} s + 2^((since change - {schedule.BACKOFF_ONE_SECOND:g} s) / "
        f"{schedule.BACKOFF_DOUBLING:g} s), the latter <= {schedule.BACKOFF_SHARE:g} x age, "
        f"at most {schedule.POLL_CAP:g} s (1 s while younger than {schedule.FIRST_SECONDS:g} s)"
    )
    print("before issue 22: 1 s while younger than 4 s, then half the time since the change, at most 14.5 s\n")
    print("| job (DONE over) | run | shipped: calls, late median / worst | before issue 22 | target |")
    print("|---|---|---|---|---|")
    for label, lo, hi in JOBS:
        for run in (1, 2, 3):
            ours, theirs = figures(shipped, lo, hi, run), figures(before_issue_22, lo, hi, run)
            target = "-"
            if run == 1 and label in TARGETS:
                calls, median, worst = TARGETS[label]
                target = f"<= {calls} calls, {median:g} s" + (f" / {worst:g} s" if worst != float("inf") else "")
                target += ": met" if not misses(label, ours) else ": MISSED " + "; ".join(misses(label, ours))
            name = "first, no history" if run == 1 else ("second" if run == 2 else "third")
            print(f"| {label} ({lo:g}-{hi:g} s) | {name} | {ours} | {theirs} | {target} |")
    if args.phases:
        # The grid of polls moves with the moment the status changes: the benchmark's sandbox answers the
        # submit IN_PROGRESS (0 s); a real export may stay SCHEDULED a few seconds.
        print("\nFirst runs (shipped) by the moment the export turned IN_PROGRESS:\n")
        print("| IN_PROGRESS at | 5 s | 30 s | 60 s | 5 min |")
        print("|---|---|---|---|---|")
        for moment in (0.0, 0.5, 1.5, 2.5, 3.5):
            cells = " | ".join(str(figures(shipped, lo, hi, in_progress_at=moment)) for _, lo, hi in JOBS)
            print(f"| {moment:g} s | {cells} |")
    if args.neighbours:
        print("\nNeighbours (first runs; then what the history's window logic makes of them):\n")
        print("| schedule | 5 s | 30 s | 60 s | 5 min | misses |")
        print("|---|---|---|---|---|---|")
        for name, rule in [("shipped", shipped), *neighbours(), ("before issue 22", before_issue_22)]:
            found = {label: figures(rule, lo, hi) for label, lo, hi in JOBS}
            missed = [m for label, f in found.items() for m in misses(label, f)] + with_history_misses(rule)
            cells = " | ".join(str(found[label]) for label, _, _ in JOBS)
            print(f"| {name} | {cells} | {'; '.join(missed) or 'none'} |")


if __name__ == "__main__":
    main()
