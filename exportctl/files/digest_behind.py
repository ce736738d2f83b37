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
    """Hashes and counts, in a thread of its own, the chunks the reading thread has written.

    The reading thread reads a chunk and writes it (both release the GIL); this thread hashes it (hashlib
    releases the GIL for large buffers) and counts its rows (at `memchr` speed, 0.3 ms/MB), while the chunk
    is still in its CPU's cache. One thread for both, since issue 22's faster count: with a thread each, the
    three threads handed the GIL to one another 16 times a chunk (6,600 futex calls for 99 MB against 250
    with one digest thread) and used more CPU for the same download (see docs/performance.md).

    At most `DIGEST_BEHIND_CHUNKS` chunks are on their way at once: `put` waits for a free place, so memory
    stays a few chunks whatever the file size, and a slow digest slows the download down instead of filling
    memory. The hand-offs are `queue.SimpleQueue`s, whose `put` and `get` run in C. `done(chunk)` is called
    with each chunk once it is hashed and counted (the reader's buffers go back to its pool). Leaving the
    block waits until every queued chunk is digested, so the digest then describes exactly the bytes
    written to the sink.
    """

    def __init__(self, digest: CsvDigest, done: Callable[[_Chunk], None] | None = None) -> None:
        self._digest = digest
        self._done = done
        self._error: BaseException | None = None
        self._places: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(DIGEST_BEHIND_CHUNKS):
            self._places.put(None)
        self._work: queue.SimpleQueue[_Chunk | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="exportctl-digest", daemon=True)

    def __enter__(self) -> DigestBehind:
        self._thread.start()
        return self

    def put(self, chunk: _Chunk) -> None:
        """Queue a chunk that was written, for its digest; blocks while `DIGEST_BEHIND_CHUNKS` are on their way."""
        if self._error is not None:
            raise self._error
        self._places.get()
        self._work.put(chunk)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._work.put(None)
        self._thread.join()
        # The reader's own failure, if any, is the one raised; this thread's is raised only on success.
        if exc is None and self._error is not None:
            raise self._error

    def _run(self) -> None:
        digest, done = self._digest, self._done
        while (chunk := self._work.get()) is not None:
            if self._error is None:  # after a failure: keep taking chunks, so that `put` never blocks
                try:
                    digest.hash(chunk)
                    digest.count(chunk)
                except BaseException as exc:  # handed to the reading thread, which raises it
                    self._error = exc
            if done is not None:
                done(chunk)
            self._places.put(None)
