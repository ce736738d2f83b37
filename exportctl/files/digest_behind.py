"""The digest of a download's chunks (sha256 and row count), computed behind the thread that writes them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType

from exportctl.files.csv import CsvDigest

# Chunks written but not yet counted and hashed: enough to ride out a short stall of either thread, 4 MB at most.
DIGEST_BEHIND_CHUNKS = 16


class DigestBehind:
    """Counts and hashes, in two threads of their own, the chunks the reading thread has written.

    The reading thread reads a chunk and writes it (both release the GIL); one thread hashes it (hashlib
    releases the GIL for large buffers, so the sha256 runs beside everything else) and another counts its
    rows (which holds the GIL, 0.3 ms/MB). Before issue 22 one thread did both, one after the other, and
    was the download's bottleneck: its two costs added up (0.72 + 0.61 ms/MB) where now the longer decides.

    The queues are short (`DIGEST_BEHIND_CHUNKS`), so memory stays a few chunks whatever the file size, and a
    slow digest slows the download down instead of filling memory. Leaving the block waits until every queued
    chunk is counted and hashed, so the digest then describes exactly the bytes written to the sink.
    """

    def __init__(self, digest: CsvDigest) -> None:
        self._digest = digest
        self._error: BaseException | None = None
        self._queues: list[queue.Queue[bytes | bytearray | None]] = []
        self._threads: list[threading.Thread] = []
        for name, step in (("hash", digest.hash), ("count", digest.count)):
            work: queue.Queue[bytes | bytearray | None] = queue.Queue(maxsize=DIGEST_BEHIND_CHUNKS)
            self._queues.append(work)
            thread = threading.Thread(target=self._run, args=(work, step), name=f"exportctl-{name}", daemon=True)
            self._threads.append(thread)

    def __enter__(self) -> DigestBehind:
        for thread in self._threads:
            thread.start()
        return self

    def put(self, chunk: bytes | bytearray) -> None:
        """Queue a chunk that was written, for its digest; blocks while a queue is full."""
        if self._error is not None:
            raise self._error
        for work in self._queues:
            work.put(chunk)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for work in self._queues:
            work.put(None)
        for thread in self._threads:
            thread.join()
        # The reader's own failure, if any, is the one raised; these threads' are raised only on success.
        if exc is None and self._error is not None:
            raise self._error

    def _run(self, work: queue.Queue[bytes | bytearray | None], step: Callable[[bytes | bytearray], None]) -> None:
        while True:
            chunk = work.get()
            if chunk is None:
                return
            if self._error is not None:
                continue  # keep draining, so that the reader never blocks on a full queue
            try:
                step(chunk)
            except BaseException as exc:  # handed to the reading thread, which raises it
                self._error = exc
