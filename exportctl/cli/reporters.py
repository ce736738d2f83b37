"""Reporters turn domain events into what a person sees on standard error.

- `LiveReporter`: a terminal. A rich spinner with the export id, status and elapsed time, one line
  per status transition, and a progress bar with bytes and speed while downloading.
- `PlainReporter`: no terminal (cron, CI logs). One plain line per transition, no animation.
- `QuietReporter`: `--quiet`. Nothing; errors are still rendered by the CLI.
`--verbose` adds one line per HTTP exchange and retry to either of the first two.

Every wait of `WAIT_EXPLAINED` seconds or more says why, in both: a poll's (the schedule, or the API's rate
limit with its reset time) and a retry's (the error, and when it comes back). On a terminal the next check
counts down.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from types import TracebackType
from typing import IO, TYPE_CHECKING

from exportctl.events import (
    Converted,
    DownloadProgress,
    DownloadStarted,
    Event,
    HttpExchange,
    Loaded,
    Loading,
    Polled,
    Retrying,
    Saved,
    StatusChanged,
    Submitted,
    Uploaded,
)
from exportctl.masking import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

    from exportctl.cli.live_columns import _NextCheck

__all__ = ["LiveReporter", "PlainReporter", "QuietReporter", "_NextCheck", "describe", "log_line", "make_reporter"]

# A wait at least this long gets a line that says why (shorter ones pass unnoticed).
WAIT_EXPLAINED = 5.0


def _human_bytes(size: int) -> str:
    from exportctl.cli.tables import human_size

    return human_size(size)


def describe(event: Event) -> str | None:
    """The plain one-line text of an event, or None for events only the live view shows.

    Ids, statuses and URLs come from the server: the line shows their control characters as escapes.
    """
    text = _describe(event)
    return None if text is None else printable(text)


def _is_staging(target: str) -> bool:
    from exportctl.jobs.remote_output import is_upload_staging
    from exportctl.jobs.typed_output import STAGING_SUFFIX

    return target.endswith(STAGING_SUFFIX) or is_upload_staging(target)


def _describe(event: Event) -> str | None:
    if isinstance(event, Submitted):
        return f"{event.export_id} submitted ({event.exported_object})"
    if isinstance(event, StatusChanged):
        return f"{event.export_id} {event.status} after {event.elapsed:.1f}s"
    if isinstance(event, DownloadStarted):
        size = f"{_human_bytes(event.total_bytes)}" if event.total_bytes is not None else "unknown size"
        resumed = f", resuming at {_human_bytes(event.resumed_from)}" if event.resumed_from else ""
        if _is_staging(event.target):  # the CSV a typed output or a load reads, removed afterwards
            return f"{event.export_id} downloading {size} of CSV{resumed}"
        target = "standard output" if event.target == "-" else event.target
        return f"{event.export_id} downloading {size} to {target}{resumed}"
    if isinstance(event, Saved):
        size = _human_bytes(event.bytes)
        if event.on_disk is not None:
            size = f"{size} CSV, {_human_bytes(event.on_disk)} gzip on disk"
        if _is_staging(event.target):
            return f"{event.export_id} downloaded {event.rows} rows ({size}) in {event.seconds:.1f}s"
        target = "standard output" if event.target == "-" else event.target
        return f"{event.export_id} saved {event.rows} rows ({size}) to {target} in {event.seconds:.1f}s"
    if isinstance(event, Uploaded):
        parts = ", in parts" if event.multipart else ""
        return f"uploaded {_human_bytes(event.bytes)} to {event.url} in {event.seconds:.1f}s{parts}"
    if isinstance(event, Converted):
        target = "standard output" if event.target == "-" else event.target
        target = "a temporary file" if _is_staging(target) else target
        kept = f", {event.unparsed_rows} with _unparsed values" if event.unparsed_rows else ""
        size = _human_bytes(event.bytes)
        return f"wrote {event.rows} rows as {event.format} ({size}{kept}) to {target} in {event.seconds:.1f}s"
    if isinstance(event, Loading):
        return f"loading {event.rows} rows into {event.target}"
    if isinstance(event, Loaded):
        kept = f", {event.unparsed_rows} with _unparsed values" if event.unparsed_rows else ""
        return (
            f"loaded {event.rows} rows into {event.target} ({event.inserted} inserted, {event.updated} updated"
            f"{kept}) in {event.seconds:.1f}s"
        )
    if isinstance(event, Retrying):
        until = f" (until {_clock_in(event.delay)})" if event.delay >= WAIT_EXPLAINED else ""
        attempt = f"(attempt {event.attempt})"
        return f"retrying {event.method} {event.url} in {event.delay:.1f}s{until}: {event.reason} {attempt}"
    if isinstance(event, Polled):
        why = f": {event.why}" if event.why else ""
        return f"{event.export_id} {event.status}, next check in {event.next_poll_in:.0f}s{why}"
    if isinstance(event, HttpExchange):
        status = str(event.status) if event.status is not None else "no answer"
        remaining = f" remaining={event.rate_limit_remaining}" if event.rate_limit_remaining is not None else ""
        return f"http {event.method} {event.url} -> {status} {event.seconds * 1000:.0f}ms{remaining}"
    return None


def _clock_in(seconds: float) -> str:
    """The UTC time `seconds` from now, as `14:03:07 UTC`."""
    from exportctl.client.retry import utc_clock

    return utc_clock(time.time() + seconds)


def log_timestamp() -> str:
    """The UTC time that starts every plain log line: `2024-01-01T10:00:00Z`."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log_line(event: Event, *, verbose: bool) -> str | None:
    """The text a plain log shows for an event: transitions always, HTTP exchanges with --verbose."""
    if isinstance(event, DownloadProgress):
        return None
    if isinstance(event, Polled) and event.next_poll_in < WAIT_EXPLAINED:
        return None
    if isinstance(event, HttpExchange) and not verbose:
        return None
    return describe(event)


class QuietReporter:
    """Shows nothing."""

    def __call__(self, event: Event) -> None:
        return None

    def __enter__(self) -> QuietReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class PlainReporter:
    """One timestamped line per transition, for logs without a terminal."""

    def __init__(self, stream: IO[str], *, verbose: bool = False) -> None:
        self._stream = stream
        self._verbose = verbose

    def __call__(self, event: Event) -> None:
        text = log_line(event, verbose=self._verbose)
        if text is not None:
            self._stream.write(f"{log_timestamp()} {text}\n")
            self._stream.flush()

    def __enter__(self) -> PlainReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class LiveReporter:
    """A spinner while the job runs, then a progress bar while the CSV downloads."""

    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        # rich's progress bars are imported here, for a terminal only: `--quiet`, logs and `--json` runs never
        # pay for them before their first byte (issue 22).
        from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from exportctl.cli.live_columns import _BinarySpeedColumn, _DownloadOnly, _NextCheck

        self._console = console
        self._verbose = verbose
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            _NextCheck(WAIT_EXPLAINED),
            _DownloadOnly(BarColumn()),
            # Binary units, as the plain lines (_human_bytes): one download is not 9.8 MB here and 9.4 MiB there.
            _DownloadOnly(DownloadColumn(binary_units=True)),
            _DownloadOnly(_BinarySpeedColumn()),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._wait_task: TaskID | None = None
        self._download_task: TaskID | None = None
        self._started = time.monotonic()
        self._export_id = ""

    def __enter__(self) -> LiveReporter:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def _status(self, status: str, *, wait: float | None = None, why: str = "") -> None:
        from rich.markup import escape

        description = f"[bold]{escape(printable(self._export_id))}[/] {escape(printable(status))}"
        next_at = None if wait is None else time.monotonic() + wait
        shown = printable(why)
        if self._wait_task is None:
            # total=None keeps the bar in its pulsing "unknown length" state while waiting.
            self._wait_task = self._progress.add_task(
                description, total=None, next_at=next_at, wait=wait or 0.0, why=shown
            )
        else:
            self._progress.update(
                self._wait_task, description=description, next_at=next_at, wait=wait or 0.0, why=shown
            )

    def __call__(self, event: Event) -> None:
        if isinstance(event, HttpExchange | Retrying):
            if self._verbose or isinstance(event, Retrying):
                self._progress.console.print(describe(event), markup=False, highlight=False)
            return
        if isinstance(event, Submitted):
            self._export_id = event.export_id
            self._progress.console.print(describe(event), markup=False, highlight=False)
            self._status("SCHEDULED")
        elif isinstance(event, StatusChanged):
            self._export_id = event.export_id
            self._progress.console.print(describe(event), markup=False, highlight=False)
            self._status(event.status)
        elif isinstance(event, Polled):
            self._export_id = event.export_id
            self._status(event.status, wait=event.next_poll_in, why=event.why)
        elif isinstance(event, DownloadStarted):
            if self._wait_task is not None:
                self._progress.remove_task(self._wait_task)
                self._wait_task = None
            self._progress.console.print(describe(event), markup=False, highlight=False)
            from rich.markup import escape

            self._download_task = self._progress.add_task(
                f"[bold]{escape(printable(event.export_id))}[/] downloading",
                total=event.total_bytes,
                completed=event.resumed_from,
                download=True,
            )
        elif isinstance(event, DownloadProgress):
            if self._download_task is not None:
                self._progress.update(self._download_task, completed=event.bytes_done, total=event.total_bytes)
        elif isinstance(event, Saved):
            if self._download_task is not None:
                self._progress.remove_task(self._download_task)
                self._download_task = None
            self._progress.console.print(describe(event), markup=False, highlight=False)
        elif isinstance(event, Converted | Loading | Loaded | Uploaded):
            self._progress.console.print(describe(event), markup=False, highlight=False)


Reporter = LiveReporter | PlainReporter | QuietReporter


def make_reporter(console: Console, *, quiet: bool, verbose: bool) -> Reporter:
    """The reporter that fits where standard error goes."""
    if quiet:
        return QuietReporter()
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveReporter(console, verbose=verbose)
    return PlainReporter(console.file, verbose=verbose)


def __getattr__(name: str) -> object:
    # The live view's rich columns, reachable from here as before, imported on first use.
    if name in ("_NextCheck", "_DownloadOnly", "_BinarySpeedColumn"):
        from exportctl.cli import live_columns

        return getattr(live_columns, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
