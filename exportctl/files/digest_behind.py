"""The digest of a download's chunks (sha256 and row count), computed behind the thread that writes them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType

from exportctl.files.csv import CsvDigest

# Chunks written but not yet counted and hashed: enough to ride out a short stall of either thread, 4 MB at most.
DIGEST_BEHIND_CHUNKS = 16

_Chunk = bytes | bytearray


class DigestBehind:
    """Counts and hashes, in two threads of their own, the chunks the reading thread has written.

    The reading thread reads a chunk and writes it (both release the GIL); one thread hashes it (hashlib
    releases the GIL for large buffers, so the sha256 runs beside everything else) and hands it on to
    another that counts its rows. The two work on different chunks at once, so the longer of their costs
    decides instead of their sum.

    At most `DIGEST_BEHIND_CHUNKS` chunks are on their way at once: `put` waits for a free place, so memory
    stays a few chunks whatever the file size, and a slow digest slows the download down instead of filling
    memory. The hand-offs are `queue.SimpleQueue`s, whose `put` and `get` run in C: a `queue.Queue` took
    four Python-level lock round trips per chunk and thread. `done(chunk)` is called with each chunk once it
    is counted and hashed (the reader's buffers go back to its pool). Leaving the block waits until every
    queued chunk is counted and hashed, so the digest then describes exactly the bytes written to the sink.
    """

    def __init__(self, digest: CsvDigest, done: Callable[[_Chunk], None] | None = None) -> None:
        self._digest = digest
        self._done = done
        self._error: BaseException | None = None
        self._places: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(DIGEST_BEHIND_CHUNKS):
            self._places.put(None)
        self._to_hash: queue.SimpleQueue[_Chunk | None] = queue.SimpleQueue()
        self._to_count: queue.SimpleQueue[_Chunk | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._hash, name="exportctl-hash", daemon=True),
            threading.Thread(target=self._count, name="exportctl-count", daemon=True),
        ]

    def __enter__(self) -> DigestBehind:
        for thread in self._threads:
            thread.start()
        return self

    def put(self, chunk: _Chunk) -> None:
        """Queue a chunk that was written, for its digest; blocks while `DIGEST_BEHIND_CHUNKS` are on their way."""
        if self._error is not None:
            raise self._error
        self._places.get()
        self._to_hash.put(chunk)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._to_hash.put(None)
        for thread in self._threads:
            thread.join()
        # The reader's own failure, if any, is the one raised; these threads' are raised only on success.
        if exc is None and self._error is not None:
            raise self._error

    def _hash(self) -> None:
        step = self._digest.hash
        while (chunk := self._to_hash.get()) is not None:
            if self._error is None:  # after a failure: keep passing chunks on, so that `put` never blocks
                try:
                    step(chunk)
                except BaseException as exc:  # handed to the reading thread, which raises it
                    self._error = exc
            self._to_count.put(chunk)
        self._to_count.put(None)

    def _count(self) -> None:
        step, done = self._digest.count, self._done
        while (chunk := self._to_count.get()) is not None:
            if self._error is None:
                try:
                    step(chunk)
                except BaseException as exc:
                    self._error = exc
            if done is not None:
                done(chunk)
            self._places.put(None)
