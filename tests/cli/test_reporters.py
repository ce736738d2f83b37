"""Reporters: what a person sees for each event, on a terminal and in a log."""

from __future__ import annotations

import io
import re

from rich.console import Console

from exportctl.cli.reporters import LiveReporter, PlainReporter, QuietReporter, _NextCheck, make_reporter
from exportctl.events import (
    DownloadProgress,
    DownloadStarted,
    Event,
    HttpExchange,
    Polled,
    Retrying,
    Saved,
    StatusChanged,
    Submitted,
)

EVENTS: list[Event] = [
    Submitted("exp_1", "voucher"),
    StatusChanged("exp_1", "SCHEDULED", None, 0.0),
    Polled("exp_1", "SCHEDULED", 1.0, 1.5),
    StatusChanged("exp_1", "IN_PROGRESS", "SCHEDULED", 2.5),
    StatusChanged("exp_1", "DONE", "IN_PROGRESS", 4.0),
    DownloadStarted("exp_1", "vouchers.csv", 2048),
    DownloadProgress("exp_1", 1024, 2048),
    DownloadProgress("exp_1", 2048, 2048),
    Saved("exp_1", "vouchers.csv", 2048, 40, "ab" * 32, 0.5),
]


def test_plain_reporter_writes_one_timestamped_line_per_transition() -> None:
    stream = io.StringIO()
    with PlainReporter(stream) as report:
        for event in EVENTS:
            report(event)
    lines = stream.getvalue().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "exp_1 submitted (voucher)",
        "exp_1 SCHEDULED after 0.0s",
        "exp_1 IN_PROGRESS after 2.5s",
        "exp_1 DONE after 4.0s",
        "exp_1 downloading 2.0 KiB to vouchers.csv",
        "exp_1 saved 40 rows (2.0 KiB) to vouchers.csv in 0.5s",
    ]
    assert all(line[:4].isdigit() and line[19] == "Z" for line in lines)


def test_plain_reporter_logs_http_only_when_verbose() -> None:
    exchange = HttpExchange("GET", "http://api/v1/exports/exp_1", 200, 0.012, 97)
    quiet, verbose = io.StringIO(), io.StringIO()
    PlainReporter(quiet)(exchange)
    PlainReporter(verbose, verbose=True)(exchange)
    assert quiet.getvalue() == ""
    assert "http GET http://api/v1/exports/exp_1 -> 200 12ms remaining=97" in verbose.getvalue()


def test_live_reporter_prints_transitions_above_the_spinner() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with LiveReporter(console) as report:
        for event in EVENTS:
            report(event)
    text = screen.getvalue()
    for expected in ("exp_1 submitted (voucher)", "exp_1 DONE after 4.0s", "saved 40 rows"):
        assert expected in text


def test_the_reporter_fits_where_standard_error_goes() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True)
    log = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(make_reporter(terminal, quiet=False, verbose=False), LiveReporter)
    assert isinstance(make_reporter(log, quiet=False, verbose=False), PlainReporter)
    assert isinstance(make_reporter(terminal, quiet=True, verbose=True), QuietReporter)


# Waits explained: a wait of a few seconds or more says why, in a log and on a terminal.


def test_a_long_wait_between_polls_is_a_plain_line_saying_why() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    reporter(Polled("exp_1", "IN_PROGRESS", 30.0, 1.5, "the schedule: checks slow down as the export takes longer"))
    reporter(Polled("exp_1", "IN_PROGRESS", 40.0, 30.0, "the schedule: checks slow down as the export takes longer"))
    reporter(Polled("exp_1", "IN_PROGRESS", 70.0, 95.0, "the API's rate limit: 3 of 100 calls left"))
    lines = [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        "exp_1 IN_PROGRESS, next check in 30s: the schedule: checks slow down as the export takes longer",
        "exp_1 IN_PROGRESS, next check in 95s: the API's rate limit: 3 of 100 calls left",
    ]


def test_a_long_retry_says_until_when() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    reporter(Retrying("GET", "http://api/v1/exports/exp_1", "429 rate limited (api_calls)", 1, 42.0))
    reporter(Retrying("GET", "http://api/v1/exports/exp_1", "503 Service Unavailable", 1, 0.4))
    first, second = (line.split(" ", 1)[1] for line in stream.getvalue().splitlines())
    assert re.fullmatch(
        r"retrying GET http://api/v1/exports/exp_1 in 42\.0s \(until \d\d:\d\d:\d\d UTC\): "
        r"429 rate limited \(api_calls\) \(attempt 1\)",
        first,
    ), first
    assert second == "retrying GET http://api/v1/exports/exp_1 in 0.4s: 503 Service Unavailable (attempt 1)"


def test_the_terminal_next_check_counts_down() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    reporter = LiveReporter(console)
    reporter(Submitted("exp_1", "voucher"))
    reporter(Polled("exp_1", "IN_PROGRESS", 10.0, 300.0, "the schedule: checks slow down as the export takes longer"))
    progress = reporter._progress
    task = progress.tasks[0]
    column = next(c for c in progress.columns if isinstance(c, _NextCheck))
    first = str(column.render(task))
    task.fields["next_at"] -= 120  # two minutes later, as the display's own refresh would see it
    later = str(column.render(task))
    seconds = [int(re.search(r"next check in (\d+)s", text).group(1)) for text in (first, later)]  # type: ignore[union-attr]
    assert 290 <= seconds[0] <= 300 and abs(seconds[0] - seconds[1] - 120) <= 1, (first, later)
    assert first.endswith(": the schedule: checks slow down as the export takes longer)")
