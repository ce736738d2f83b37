"""Reporters: what a person sees for each event, on a terminal and in a log."""

from __future__ import annotations

import io

from rich.console import Console

from exportctl.cli.reporters import LiveReporter, PlainReporter, QuietReporter, make_reporter
from exportctl.events import (
    DownloadProgress,
    DownloadStarted,
    Event,
    HttpExchange,
    Polled,
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
