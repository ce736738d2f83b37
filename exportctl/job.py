"""Submit an export, wait for it, download its CSV: the domain's whole job, told through events.

Nothing here prints or knows about terminals. Progress goes to an `EventHandler`; failures are the typed
errors of `exportctl.errors`, each with a hint naming the command that resumes (`exportctl wait ID`,
`exportctl download ID`).

Polling is adaptive: the first poll after a submit or a status change comes after `POLL_INITIAL` seconds,
each unchanged answer stretches the interval by `POLL_GROWTH` up to `POLL_CAP`. A 60-second export then
costs about 10 calls instead of 60 with fixed 1-second polling, and a status change is still seen within
about a second while things are moving. When the API's rate-limit budget runs low the interval is
stretched further (see `rate_limited_delay`), because a Voucherify Sandbox project allows only 100 calls
per hour and an export that cannot be polled cannot be downloaded either.

Downloading writes the CSV byte for byte as received. `sha256`, `bytes` and `rows` always describe those
received CSV bytes, also for a `.gz` target (which holds the same bytes, compressed), so a checksum can be
compared with the export whatever the target's format.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal, Protocol

from exportctl.client import DOWNLOAD_CHUNK, ApiClient, RateLimit, full_jitter
from exportctl.errors import (
    DownloadError,
    DownloadTokenError,
    ExportctlError,
    ExportFailedError,
    InterruptedByUser,
    NetworkError,
    NotFoundError,
    UsageError,
    WaitTimeoutError,
)
from exportctl.events import (
    DownloadProgress,
    DownloadStarted,
    EventHandler,
    Polled,
    Retrying,
    Saved,
    StatusChanged,
    Submitted,
    ignore_event,
)
from exportctl.masking import mask_url
from exportctl.output import STDOUT, AtomicWriter, Target, check_target

SCHEDULED, IN_PROGRESS, DONE, ERROR = "SCHEDULED", "IN_PROGRESS", "DONE", "ERROR"

POLL_INITIAL = 1.0
POLL_GROWTH = 1.5
POLL_CAP = 15.0
# Below this many remaining calls (or this share of the limit, if larger) polling slows down in proportion.
RATE_LOW_CALLS = 10
RATE_LOW_FRACTION = 0.1
# The longest a poll waits because of the rate limit alone, unless the API says when it refills.
POLL_SLOW_CAP = 120.0

# A download that breaks mid-way is continued (with a Range request) up to this many times in one run;
# each attempt keeps what the previous ones received.
DOWNLOAD_ATTEMPTS = 3
DOWNLOAD_RETRY_BASE = 1.0
DOWNLOAD_RETRY_CAP = 10.0
PREFIX_READ_CHUNK = 4 * 1024 * 1024
# Chunks read but not yet written: enough to ride out a short stall of either side, 4 MB of memory at most.
WRITE_BEHIND_CHUNKS = 16


class ExportObjectLike(Protocol):
    @property
    def command(self) -> str: ...

    @property
    def exported_object(self) -> str: ...


class ExportRequestLike(Protocol):
    """What the job needs of `exportctl.request.ExportRequest`."""

    @property
    def obj(self) -> ExportObjectLike: ...

    def body(self) -> dict[str, Any]: ...

    def endpoint(self) -> str: ...


@dataclass(frozen=True)
class DownloadResult:
    """A saved CSV: where, its size and row count, and the sha256 of the CSV bytes as received."""

    target: Path | Literal["-"]
    bytes: int
    rows: int  # CSV records after the header row
    sha256: str
    seconds: float
    resumed_from: int = 0  # bytes reused from an earlier, interrupted run


@dataclass(frozen=True)
class ExportOutcome:
    """What `run_export` did: the export as last seen, the download (None without --wait), the cost."""

    export_id: str
    exported_object: str
    status: str
    export: dict[str, Any]
    download: DownloadResult | None
    calls: int
    seconds: float
    # Keys a caller adds to the summary (pipeline: time window, watermark, split windows); they win.
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The `--json` document: id, object, status, output, bytes, rows, sha256, seconds, API calls."""
        download = self.download
        return {
            "export_id": self.export_id,
            "object": self.exported_object,
            "status": self.status,
            "output": None if download is None else str(download.target),
            "bytes": None if download is None else download.bytes,
            "rows": None if download is None else download.rows,
            "sha256": None if download is None else download.sha256,
            "seconds": round(self.seconds, 3),
            "api_calls": self.calls,
        } | self.extra


def submit(client: ApiClient, request: ExportRequestLike, on_event: EventHandler = ignore_event) -> dict[str, Any]:
    """Create the export; the API's export object (status SCHEDULED)."""
    export = client.create_export(request)
    export_id = export.get("id")
    if not isinstance(export_id, str) or not export_id:
        raise NetworkError("The API accepted the export but its answer carries no export id.")
    on_event(Submitted(export_id, str(export.get("exported_object") or request.obj.exported_object)))
    return export


def rate_limited_delay(delay: float, rate: RateLimit, now: float) -> float:
    """`delay` stretched to fit the API's remaining budget (`now` in epoch seconds).

    With nothing left, wait until the API's announced refill (`X-Rate-Limit-Retry`) or `POLL_SLOW_CAP`.
    Below the low-water mark, the poll interval grows as `POLL_CAP * low / remaining`, so the last few
    calls are spread out instead of spent in a burst, up to `POLL_SLOW_CAP`.
    """
    if rate.remaining is None:
        return delay
    if rate.remaining <= 0:
        if rate.retry_at is not None and rate.retry_at > now:
            return max(delay, rate.retry_at - now)
        return max(delay, POLL_SLOW_CAP)
    low = max(RATE_LOW_CALLS, (rate.limit or 0) * RATE_LOW_FRACTION)
    if rate.remaining < low:
        return max(delay, min(POLL_SLOW_CAP, POLL_CAP * low / rate.remaining))
    return delay


def poll_until_done(
    client: ApiClient,
    export_id: str,
    *,
    timeout: float | None,
    on_event: EventHandler = ignore_event,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wallclock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Poll the export until DONE and return it; ExportFailedError on ERROR, WaitTimeoutError after `timeout` s."""
    hint = f"exportctl wait {export_id}"
    started = clock()
    deadline = None if timeout is None else started + timeout
    interval = POLL_INITIAL
    previous: str | None = None
    try:
        while True:
            try:
                export = client.get_export(export_id)
            except NotFoundError as exc:
                raise NotFoundError(
                    exc.status,
                    exc.key,
                    f"Export {export_id} no longer exists (deleted while waiting?): {exc.message}",
                    None,
                    exc.request_id,
                ) from None
            status = str(export.get("status"))
            now = clock()
            elapsed = now - started
            changed = status != previous
            if changed:
                on_event(StatusChanged(export_id, status, previous, elapsed))
                interval = POLL_INITIAL
                previous = status
            if status == DONE:
                return export
            if status == ERROR:
                raise ExportFailedError(
                    f"Export {export_id} ended in ERROR: {_error_text(export)}",
                    hint="Check the export's parameters, then run the export again.",
                )
            delay = rate_limited_delay(interval, client.rate_limit, wallclock())
            if deadline is not None:
                left = deadline - now
                if left <= 0:
                    raise WaitTimeoutError(
                        f"Export {export_id} is still {status} after {elapsed:.0f}s.",
                        hint=f"The export keeps running on the server. Resume waiting with: {hint}",
                    )
                # One last poll right at the deadline, rather than giving up early or overshooting it.
                delay = min(delay, left)
            if not changed:
                on_event(Polled(export_id, status, elapsed, delay))
            sleep(delay)
            interval = min(interval * POLL_GROWTH, POLL_CAP)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            f"Interrupted while waiting for export {export_id}; it keeps running on the server.", hint=hint
        ) from None
    except ExportctlError as exc:
        if isinstance(exc, NetworkError) and exc.hint is None:
            exc.hint = f"The export keeps running on the server. Resume waiting with: {hint}"
        raise


# Every byte value except `"` and `\n`: deleting them leaves only what decides where records end.
_NOT_QUOTE_OR_NEWLINE = bytes(b for b in range(256) if b not in b'"\n')


class CsvDigest:
    """sha256, size and record count of a CSV, fed in chunks of any size.

    Rows are counted as newlines outside double quotes, so a quoted value with a line break is one row.
    Every step runs in C: a chunk is reduced to its quotes and newlines, adjacent quote pairs are dropped
    (two toggles cancel, which also covers escaped quotes), and in the rare remainder the pieces at even
    positions (odd ones when the chunk starts inside a quoted value) are the ones outside quotes.
    """

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.bytes = 0
        self._newlines = 0
        self._in_quotes = False
        self._last = b""

    def update(self, data: bytes | bytearray) -> None:
        """Add the next bytes of the CSV."""
        self.count(data)
        self.hash(data)

    def hash(self, data: bytes | bytearray) -> None:
        """Add the next bytes to the sha256 alone (hashlib releases the GIL: a writer thread can do it)."""
        self._sha.update(data)

    def count(self, data: bytes | bytearray) -> None:
        """Add the next bytes to the size and row count alone; `hash` must see the same bytes in the same order."""
        if not data:
            return
        self.bytes += len(data)
        self._last = bytes(data[-1:])
        marks = bytes(data.translate(None, _NOT_QUOTE_OR_NEWLINE)).replace(b'""', b"")
        if b'"' not in marks:
            if not self._in_quotes:
                self._newlines += len(marks)
            return
        pieces = marks.split(b'"')
        outside = pieces[1::2] if self._in_quotes else pieces[0::2]
        self._newlines += sum(len(piece) for piece in outside)
        if (len(pieces) - 1) % 2:
            self._in_quotes = not self._in_quotes

    @property
    def rows(self) -> int:
        """Records after the header; a last record without a final newline counts too."""
        records = self._newlines + (1 if self._last not in (b"", b"\n") else 0)
        return max(0, records - 1)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


class _Sink(Protocol):
    def prepare(self, response_offset: int, digest: CsvDigest) -> tuple[int, CsvDigest]: ...

    def write(self, data: bytes | bytearray) -> None: ...

    def written(self) -> int: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...


class _FileSink:
    """A file target through AtomicWriter; a response that starts before our data rewinds the .part."""

    def __init__(self, writer: AtomicWriter) -> None:
        self.writer = writer

    def prepare(self, response_offset: int, digest: CsvDigest) -> tuple[int, CsvDigest]:
        if response_offset != digest.bytes:
            digest = CsvDigest()
            if response_offset > 0:
                _digest_prefix(self.writer.part, response_offset, digest)
        self.writer.open(response_offset)
        return 0, digest

    def write(self, data: bytes | bytearray) -> None:
        self.writer.write(data)

    def written(self) -> int:
        return self.writer.bytes_written

    def commit(self) -> None:
        self.writer.commit()

    def close(self) -> None:
        self.writer.close()


class _StreamSink:
    """Standard output: what is written cannot be taken back, so a response from an earlier offset is skipped."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self._written = 0

    def prepare(self, response_offset: int, digest: CsvDigest) -> tuple[int, CsvDigest]:
        return self._written - response_offset, digest

    def write(self, data: bytes | bytearray) -> None:
        self.stream.write(data)
        self._written += len(data)

    def written(self) -> int:
        return self._written

    def commit(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        # A closed pipe means the reader is gone: nothing more to do.
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()


class _WriteBehind:
    """Writes and hashes chunks in a thread while the caller reads the next ones from the network.

    The queue is short (`WRITE_BEHIND_CHUNKS`), so memory stays a few chunks whatever the file size, and a
    slow disk slows the download down instead of filling memory. The writer's failure (a full disk) is
    raised by the next `put`, and by leaving the block; leaving always waits until every queued chunk is
    written, so `.part` then holds exactly the bytes received.
    """

    def __init__(self, sink: _Sink, digest: CsvDigest) -> None:
        self._sink = sink
        self._digest = digest
        self._queue: queue.Queue[bytes | bytearray | None] = queue.Queue(maxsize=WRITE_BEHIND_CHUNKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="exportctl-writer", daemon=True)

    def __enter__(self) -> _WriteBehind:
        self._thread.start()
        return self

    def put(self, chunk: bytes | bytearray) -> None:
        """Queue `chunk` for writing; blocks while the queue is full."""
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._queue.put(None)
        self._thread.join()
        # The reader's own failure, if any, is the one raised; the writer's is raised only on success.
        if exc is None and self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            if self._error is not None:
                continue  # keep draining, so that the reader never blocks on a full queue
            try:
                self._sink.write(chunk)
                self._digest.hash(chunk)
            except BaseException as exc:  # handed to the reading thread, which raises it
                self._error = exc


def download_export(
    client: ApiClient,
    export: dict[str, Any],
    target: Target,
    *,
    on_event: EventHandler = ignore_event,
    force: bool = False,
    attempts: int = DOWNLOAD_ATTEMPTS,
    chunk_size: int = DOWNLOAD_CHUNK,
    stdout: BinaryIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    header: Callable[[bytes], bytes] | None = None,
) -> DownloadResult:
    """Save a DONE export's CSV at `target` (`"-"`: standard output), complete or not at all.

    The data goes to `TARGET.part` and is renamed onto the target once its size matches the server's. A
    break is continued within the run (up to `attempts`), and a `.part` left by an earlier run of the same
    export is continued with `Range: bytes=N-` when the server answers 206; otherwise the download starts
    over. A refused download token is answered by fetching the export once more for a fresh URL.

    `header` rewrites the CSV's first line (with its line ending) as it streams through; `sha256`, `bytes`
    and `rows` then describe the saved bytes. The local offsets no longer match the server's, so a broken
    download with a `header` starts over from byte 0 instead of continuing.
    """
    export_id = str(export.get("id"))
    hint = f"exportctl download {export_id}"
    status = export.get("status")
    if status != DONE:
        raise UsageError(
            f"Export {export_id} is {status}, not DONE: there is no file yet.", hint=f"exportctl wait {export_id}"
        )
    url = _result_url(export)
    started = clock()
    sink: _Sink
    writer: AtomicWriter | None = None
    if target == STDOUT:
        sink = _StreamSink(stdout if stdout is not None else sys.stdout.buffer)
        have = 0
    else:
        check_target(target, force)
        writer = AtomicWriter(target, key=export_id, force=force)
        sink = _FileSink(writer)
        have = 0 if header is not None else writer.resumable_size()
    digest = CsvDigest()
    resumed_from: int | None = None
    refreshed_url = False
    announced = False
    attempt = 0
    rng = random.Random()
    try:
        while True:
            attempt += 1
            try:
                with client.open_download(url, offset=have) as response:
                    if response.offset > have:
                        raise DownloadError(
                            f"The download server answered from byte {response.offset}, after the {have} bytes kept."
                        )
                    skip, digest = sink.prepare(response.offset, digest)
                    if resumed_from is None:
                        resumed_from = response.offset
                    total = response.total_size
                    if not announced:
                        on_event(DownloadStarted(export_id, str(target), total, resumed_from=response.offset))
                        announced = True
                    chunks = response.iter_bytes(chunk_size)
                    growth = [0]  # how many bytes longer the rewritten header row is than the server's
                    if header is not None and response.offset == 0:
                        chunks = rewrite_first_line(chunks, _measured(header, growth))
                    # Reading, writing and hashing overlap: this thread reads and counts rows while a writer
                    # thread writes and hashes the previous chunks. Leaving the block waits for the writer.
                    with _WriteBehind(sink, digest) as behind:
                        for chunk in chunks:
                            if skip > 0:
                                dropped = min(skip, len(chunk))
                                chunk, skip = chunk[dropped:], skip - dropped
                                if not chunk:
                                    continue
                            digest.count(chunk)
                            behind.put(chunk)
                            on_event(DownloadProgress(export_id, digest.bytes, total))
                    if total is not None and digest.bytes - growth[0] != total:
                        raise DownloadError(
                            f"The download ended after {digest.bytes} of {total} bytes "
                            f"(the connection closed before the server sent all it announced)."
                        )
                sink.commit()
                break
            except DownloadTokenError:
                if refreshed_url:
                    raise
                # Download tokens can expire while an export waits to be fetched; a fresh GET mints a new URL.
                refreshed_url = True
                attempt -= 1
                url = _result_url(client.get_export(export_id))
            except DownloadError as exc:
                have = 0 if header is not None else sink.written()
                if attempt >= attempts:
                    raise _kept(exc, writer, hint) from None
                delay = full_jitter(rng, attempt, base=DOWNLOAD_RETRY_BASE, cap=DOWNLOAD_RETRY_CAP)
                on_event(Retrying("GET", mask_url(url), exc.message, attempt, delay))
                sleep(delay)
    except KeyboardInterrupt:
        sink.close()
        where = f"; the {sink.written()} bytes received are kept in {writer.part}" if writer else ""
        raise InterruptedByUser(f"Interrupted while downloading export {export_id}{where}.", hint=hint) from None
    except ExportctlError as exc:
        sink.close()
        if exc.hint is None and not isinstance(exc, UsageError):
            exc.hint = f"Download it again with: {hint}"
        raise
    except BaseException:
        sink.close()
        raise
    seconds = clock() - started
    on_event(Saved(export_id, str(target), digest.bytes, digest.rows, digest.sha256, seconds))
    return DownloadResult(
        target=target,
        bytes=digest.bytes,
        rows=digest.rows,
        sha256=digest.sha256,
        seconds=seconds,
        resumed_from=resumed_from or 0,
    )


def run_export(
    client: ApiClient,
    request: ExportRequestLike,
    target: Target | Callable[[str], Target],
    *,
    wait: bool = True,
    timeout: float | None = None,
    on_event: EventHandler = ignore_event,
    force: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    header: Callable[[bytes], bytes] | None = None,
) -> ExportOutcome:
    """Submit, wait (unless `wait` is False) and download: the whole export.

    `target` is the path (or `"-"`), or a function of the export id for names that contain it; it is
    checked again once known, before waiting, so an existing file is reported before any time is spent.
    """
    started = clock()
    calls_before = client.calls
    if not callable(target):
        check_target(target, force)
    try:
        export = submit(client, request, on_event)
    except KeyboardInterrupt:
        raise InterruptedByUser(
            "Interrupted while submitting the export; it may have been created.", hint="exportctl list"
        ) from None
    export_id = str(export["id"])
    exported_object = str(export.get("exported_object") or request.obj.exported_object)
    download: DownloadResult | None = None
    if wait:
        resolved = target(export_id) if callable(target) else target
        try:
            check_target(resolved, force)
        except UsageError as exc:
            exc.hint = (
                f"The export {export_id} was created; save it elsewhere with: exportctl download {export_id} -o PATH"
            )
            raise
        export = poll_until_done(client, export_id, timeout=timeout, on_event=on_event, sleep=sleep, clock=clock)
        download = download_export(
            client, export, resolved, on_event=on_event, force=force, sleep=sleep, clock=clock, header=header
        )
    return ExportOutcome(
        export_id=export_id,
        exported_object=exported_object,
        status=str(export.get("status")),
        export=export,
        download=download,
        calls=client.calls - calls_before,
        seconds=clock() - started,
    )


def _measured(header: Callable[[bytes], bytes], growth: list[int]) -> Callable[[bytes], bytes]:
    """`header`, noting in `growth[0]` how much longer it made the line: titles and names differ in length."""

    def rewrite(line: bytes) -> bytes:
        renamed = header(line)
        growth[0] = len(renamed) - len(line)
        return renamed

    return rewrite


def rewrite_first_line(
    chunks: Iterable[bytes | bytearray], header: Callable[[bytes], bytes]
) -> Iterator[bytes | bytearray]:
    """`chunks` with their first line (up to and including the first newline) replaced by `header(line)`."""
    pending = b""
    iterator = iter(chunks)
    for chunk in iterator:
        pending += chunk
        end = pending.find(b"\n")
        if end >= 0:
            yield header(pending[: end + 1]) + pending[end + 1 :]
            yield from iterator
            return
    if pending:
        # A CSV of one line without a final newline: that line is the header.
        yield header(pending)


def _result_url(export: dict[str, Any]) -> str:
    result = export.get("result")
    url = result.get("url") if isinstance(result, dict) else None
    if not isinstance(url, str) or not url:
        raise NetworkError(f"Export {export.get('id')} is {export.get('status')} but the API gave no download URL.")
    return url


def _error_text(export: dict[str, Any]) -> str:
    """The reason an export failed, wherever the API put it."""
    result = export.get("result")
    for candidate in (export.get("error"), result.get("error") if isinstance(result, dict) else None):
        if isinstance(candidate, dict):
            key, message = candidate.get("key"), candidate.get("message")
            if message:
                return f"{key}: {message}" if key else str(message)
        elif isinstance(candidate, str) and candidate:
            return candidate
    return "the API gave no reason"


def _digest_prefix(part: Path, length: int, digest: CsvDigest) -> None:
    """Feed the first `length` bytes of an earlier run's `.part` to the digest, so it covers the whole file."""
    with part.open("rb") as handle:
        left = length
        while left > 0:
            data = handle.read(min(PREFIX_READ_CHUNK, left))
            if not data:
                raise DownloadError(f"{part} is shorter than the {length} bytes expected to be in it.")
            digest.update(data)
            left -= len(data)


def _kept(exc: DownloadError, writer: AtomicWriter | None, hint: str) -> DownloadError:
    """The final download error, saying what is kept for the resume."""
    if writer is None:
        return DownloadError(
            f"{exc.message} Standard output received only part of the CSV.", hint=f"Download it again with: {hint}"
        )
    return DownloadError(
        f"{exc.message} {writer.target} was not written; the {writer.bytes_written} bytes received are kept "
        f"in {writer.part}.",
        hint=f"Continue the download with: {hint}",
    )
