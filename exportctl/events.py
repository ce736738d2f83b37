"""What happens during an export, as plain values. The domain emits them; reporters render them.

The domain never prints: `jobs/` and `client/` call an `EventHandler` with these, and
`cli/reporters.py` turns them into a spinner, plain log lines, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Submitted:
    """The API accepted the export request."""

    export_id: str
    exported_object: str


@dataclass(frozen=True)
class StatusChanged:
    """A poll saw a new status (the first poll reports the status it found)."""

    export_id: str
    status: str
    previous: str | None
    elapsed: float  # seconds since waiting began


@dataclass(frozen=True)
class Polled:
    """A poll's answer (after a StatusChanged when it changed); `next_poll_in` is the delay the poller chose.

    `why` says what chose it, for a person: the schedule, or the API's rate limit (with its reset time).
    """

    export_id: str
    status: str
    elapsed: float
    next_poll_in: float
    why: str = ""


@dataclass(frozen=True)
class Retrying:
    """A request failed in a way worth retrying; the client waits `delay` seconds first."""

    method: str
    url: str  # already masked: no tokens
    reason: str  # "503 Service Unavailable", "connection refused", "429 rate limited"
    attempt: int  # the attempt that failed, from 1
    delay: float


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request and its answer, for --verbose (URL masked, no headers with secrets)."""

    method: str
    url: str
    status: int | None  # None when no answer came
    seconds: float
    rate_limit_remaining: int | None = None


@dataclass(frozen=True)
class DownloadStarted:
    export_id: str
    target: str  # the path, or "-" for standard output
    total_bytes: int | None
    resumed_from: int = 0


@dataclass(frozen=True)
class DownloadProgress:
    export_id: str
    bytes_done: int
    total_bytes: int | None


@dataclass(frozen=True)
class Saved:
    """The CSV is complete at its target."""

    export_id: str
    target: str
    bytes: int
    rows: int
    sha256: str
    seconds: float
    on_disk: int | None = None  # bytes of a compressed (.gz) target on disk; `bytes` counts the CSV


@dataclass(frozen=True)
class Converted:
    """The downloaded CSV was written as a typed file (`--format jsonl|parquet`)."""

    target: str  # the path, or "-" for standard output
    format: str
    rows: int
    bytes: int
    unparsed_rows: int  # rows whose `_unparsed` is not empty
    seconds: float


@dataclass(frozen=True)
class Uploaded:
    """The saved file was uploaded and committed as an object in a bucket (`-o s3://...`)."""

    url: str  # s3://BUCKET/KEY, gs://..., az://...
    bytes: int
    seconds: float
    multipart: bool


@dataclass(frozen=True)
class Loading:
    """The load into a database table began (`--into`): Loaded follows, or it is rolled back."""

    target: str  # ENGINE:PATH#TABLE
    rows: int  # rows of the downloaded CSV


@dataclass(frozen=True)
class Loaded:
    """The downloaded CSV was loaded into a database table (`--into`)."""

    target: str  # ENGINE:PATH#TABLE
    rows: int  # rows loaded
    inserted: int
    updated: int
    unparsed_rows: int
    seconds: float


Event = (
    Submitted
    | StatusChanged
    | Polled
    | Retrying
    | HttpExchange
    | DownloadStarted
    | DownloadProgress
    | Saved
    | Converted
    | Loading
    | Loaded
    | Uploaded
)
EventHandler = Callable[[Event], None]


def ignore_event(event: Event) -> None:
    """The handler for callers that want no reporting."""
