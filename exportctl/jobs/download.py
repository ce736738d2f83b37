"""Download a DONE export's CSV to its target: streamed, counted and hashed by a second thread, resumable.

Downloading writes the CSV byte for byte as received. `sha256`, `bytes` and `rows` always describe those received
CSV bytes, also for a `.gz` target (the same bytes, compressed): a checksum compares whatever the format.
"""

from __future__ import annotations

import contextlib
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol

from exportctl.client.api import ApiClient
from exportctl.client.download import DOWNLOAD_CHUNK, ChunkPool
from exportctl.client.retry import DOWNLOAD_ATTEMPTS, DOWNLOAD_MAX_ATTEMPTS, full_jitter
from exportctl.errors import (
    DownloadError,
    DownloadTokenError,
    ExportctlError,
    InterruptedByUser,
    NetworkError,
    UsageError,
)
from exportctl.events import (
    DownloadProgress,
    DownloadStarted,
    EventHandler,
    Retrying,
    Saved,
    ignore_event,
)
from exportctl.files.atomic import AtomicWriter, compressed_size
from exportctl.files.csv import CsvDigest, rewrite_first_line
from exportctl.files.digest_behind import DigestBehind
from exportctl.files.opening import is_stream_target, open_stream_target, write_fully
from exportctl.files.targets import STDOUT, Target, make_directory
from exportctl.masking import mask_url
from exportctl.schema import EXPORT_STATUSES

if TYPE_CHECKING:
    from exportctl.files.csv_rows import RowFilter

# Not from jobs/poll.py: a download alone never loads the polling schedule and its history (issue 22).
DONE = EXPORT_STATUSES[2]

DOWNLOAD_RETRY_BASE = 1.0
DOWNLOAD_RETRY_CAP = 10.0
PREFIX_READ_CHUNK = 4 * 1024 * 1024
# DownloadProgress events per download, about: one per chunk at most, and a last one at the end. A progress
# bar moves in steps of 0.5%, and a 1 GB download sends 200 events instead of 4,000.
PROGRESS_STEPS = 200


@dataclass(frozen=True)
class DownloadResult:
    """A saved CSV: where, its size and row count, and the sha256 of the CSV bytes as received."""

    target: Path | Literal["-"]
    bytes: int
    rows: int  # CSV records after the header row
    sha256: str
    seconds: float
    resumed_from: int = 0  # bytes reused from an earlier, interrupted run
    url: str | None = None  # the bucket object it was then uploaded to (`-o s3://...`, jobs/remote_output.py)


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
        write_fully(self.stream, data)
        self._written += len(data)

    def written(self) -> int:
        return self._written

    def commit(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        # A closed pipe means the reader is gone: nothing more to do.
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()


def resume_command(export_id: str, target: Target) -> str:
    """The command that continues this download into the same file (and its `.part`)."""
    import shlex

    return f"exportctl download {export_id} -o {shlex.quote(str(target))}"


def download_export(
    client: ApiClient,
    export: dict[str, Any],
    target: Target,
    *,
    on_event: EventHandler = ignore_event,
    force: bool = False,
    attempts: int = DOWNLOAD_ATTEMPTS,
    max_attempts: int = DOWNLOAD_MAX_ATTEMPTS,
    chunk_size: int = DOWNLOAD_CHUNK,
    stdout: BinaryIO | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    header: Callable[[bytes], bytes] | None = None,
    rows: RowFilter | None = None,
) -> DownloadResult:
    """Save a DONE export's CSV at `target` (`"-"`: standard output), complete or not at all.

    The data goes to `TARGET.part` and is renamed onto the target once its size matches the server's. A
    break is continued within the run: it ends after `attempts` breaks in a row that added no byte to what is
    kept (a break after new bytes arrived starts the count again), or after `max_attempts` attempts in all.
    A `.part` left by an earlier run of the same export is continued with `Range: bytes=N-` when the server
    answers 206; otherwise the download starts over. A refused download token is answered by fetching the
    export once more for a fresh URL.

    `header` rewrites the CSV's first line (with its line ending) as it streams through; `sha256`, `bytes`
    and `rows` then describe the saved bytes. `rows` filters the records the same way (a kind's
    transactions). Either way the local offsets no longer match the server's, so a broken download then
    starts over from byte 0 instead of continuing, and a `.part` of an earlier run is not continued.
    """
    export_id = str(export.get("id"))
    sleep = client.sleep if sleep is None else sleep  # ends on the session's stop event
    transformed = header is not None or rows is not None
    command = resume_command(export_id, target)

    def hint(prefix: str) -> str:
        if rows is None:
            return f"{prefix}: {command}" if prefix else command
        # `exportctl download ID` saves every record; only the command that filtered saves the same file.
        return f"Run the same command again ({command} would save every kind of transaction)."

    status = export.get("status")
    if status != DONE:
        raise UsageError(
            f"Export {export_id} is {status}, not DONE: there is no file yet.", hint=f"exportctl wait {export_id}"
        )
    url = _result_url(export)
    started = clock()
    sink: _Sink
    writer: AtomicWriter | None = None
    device: BinaryIO | None = None
    if target == STDOUT:
        sink = _StreamSink(stdout if stdout is not None else sys.stdout.buffer)
        have = 0
    elif is_stream_target(target):
        # /dev/null, a terminal, a FIFO: written as they are, like standard output; never replaced by a file.
        device = open_stream_target(target)
        sink = _StreamSink(device)
        have = 0
    else:
        make_directory(target.parent)  # checked by the caller's plan; a missing one is made now, not at the dry run
        writer = AtomicWriter(target, key=export_id, force=force)
        sink = _FileSink(writer)
        have = 0 if transformed else writer.resumable_size()
    digest = CsvDigest()
    resumed_from: int | None = None
    refreshed_url = False
    announced = False
    attempt = 0
    stalled, kept = 0, have  # attempts in a row that added no byte to what is kept; the most bytes kept
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
                    received = [0]  # the server's bytes, before any rewrite or filter
                    # Untransformed, each chunk goes only to the sink and the digest, which gives its buffer back.
                    pool = None if transformed else ChunkPool(chunk_size)
                    chunks = _counted(response.iter_bytes(chunk_size, pool), received)
                    if rows is not None and response.offset == 0:
                        chunks = rows(chunks)
                    if header is not None and response.offset == 0:
                        chunks = rewrite_first_line(chunks, header)
                    # Reading and digesting overlap: this thread reads and writes while another counts and
                    # hashes the chunks written before. Leaving the block waits for the digest.
                    done = reported = digest.bytes
                    step = max(chunk_size, (total or 0) // PROGRESS_STEPS)
                    with DigestBehind(digest, None if pool is None else pool.give) as behind:
                        for chunk in chunks:
                            if skip > 0:
                                dropped = min(skip, len(chunk))
                                chunk, skip = chunk[dropped:], skip - dropped
                                if not chunk:
                                    continue
                            client.stop.check()  # a stop ends the download here; the .part is kept
                            # Only bytes that were written are digested: the digest always describes the sink.
                            sink.write(chunk)
                            behind.put(chunk)
                            done += len(chunk)
                            if done - reported >= step:
                                reported = done
                                on_event(DownloadProgress(export_id, done, total))
                        if done != reported:
                            on_event(DownloadProgress(export_id, done, total))
                    got = received[0] if transformed else digest.bytes
                    if total is not None and got != total:
                        raise DownloadError(
                            f"The download ended after {got} of {total} bytes "
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
                have = 0 if transformed else sink.written()
                # A break after new bytes arrived costs nothing: the next attempt continues from them.
                kept, stalled = (have, 0) if have > kept else (kept, stalled + 1)
                if stalled >= attempts:
                    raise _kept(exc, writer, hint) from None
                if attempt >= max_attempts:
                    exc = DownloadError(f"{exc.message} Gave up after {attempt} attempts, the most one run makes.")
                    raise _kept(exc, writer, hint) from None
                delay = full_jitter(rng, max(1, stalled), base=DOWNLOAD_RETRY_BASE, cap=DOWNLOAD_RETRY_CAP)
                on_event(Retrying("GET", mask_url(url), exc.message, attempt, delay))
                sleep(delay)
    except KeyboardInterrupt:
        sink.close()
        where = f"; the {sink.written()} bytes received are {writer.kept()}" if writer else ""
        raise InterruptedByUser(f"Interrupted while downloading export {export_id}{where}.", hint=hint("")) from None
    except ExportctlError as exc:
        sink.close()
        if exc.hint is None and not isinstance(exc, UsageError):
            exc.hint = hint("Download it again with")
        raise
    except BaseException:
        sink.close()
        raise
    finally:
        if device is not None:
            with contextlib.suppress(OSError):
                device.close()
    seconds = clock() - started
    on_disk = compressed_size(target)
    on_event(Saved(export_id, str(target), digest.bytes, digest.rows, digest.sha256, seconds, on_disk))
    return DownloadResult(
        target=target,
        bytes=digest.bytes,
        rows=digest.rows,
        sha256=digest.sha256,
        seconds=seconds,
        resumed_from=resumed_from or 0,
    )


def _counted(chunks: Iterator[bytes | bytearray], received: list[int]) -> Iterator[bytes | bytearray]:
    """`chunks` unchanged, their total size kept in `received[0]`: what the server sent, before rewrites."""
    for chunk in chunks:
        received[0] += len(chunk)
        yield chunk


def _result_url(export: dict[str, Any]) -> str:
    result = export.get("result")
    url = result.get("url") if isinstance(result, dict) else None
    if not isinstance(url, str) or not url:
        raise NetworkError(f"Export {export.get('id')} is {export.get('status')} but the API gave no download URL.")
    return url


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


def _kept(exc: DownloadError, writer: AtomicWriter | None, hint: Callable[[str], str]) -> DownloadError:
    """The final download error, saying what is kept for the resume."""
    if writer is None:
        return DownloadError(
            f"{exc.message} Standard output received only part of the CSV.", hint=hint("Download it again with")
        )
    return DownloadError(
        f"{exc.message} {writer.target} was not written; the {writer.bytes_written} bytes received are "
        f"{writer.kept()}.",
        hint=hint("Continue the download with"),
    )
