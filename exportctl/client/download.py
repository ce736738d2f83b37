"""The streaming body of an export's CSV download, read with one copy per byte; see `DownloadResponse`."""

from __future__ import annotations

import http.client
import queue
from collections.abc import Callable, Iterator
from types import TracebackType

import requests
import urllib3.exceptions

from exportctl.client.retry import describe_failure, int_header
from exportctl.errors import DownloadError, NetworkError

# Each chunk is a new buffer. glibc serves a request this size from its heap and reuses it; at 1 MB every
# chunk became a fresh mmap whose pages fault in one by one, which halved the download speed (measured).
DOWNLOAD_CHUNK = 256 * 1024

# What reading a body can raise when the connection breaks, through urllib3 or straight from http.client.
BODY_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


class ChunkPool:
    """Buffers of one size for a download's chunks, used again once given back (`give`).

    `take` never waits: with no buffer free it makes a new one, so a buffer that is not given back (an error,
    a chunk a caller sliced) costs memory once, never a stall. How many exist is bounded by how many chunks
    the caller holds at once.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()

    def take(self) -> bytearray:
        try:
            return self._free.get_nowait()
        except queue.Empty:
            return bytearray(self.size)

    def give(self, chunk: bytes | bytearray) -> None:
        """Take back a buffer for another chunk; anything else (a bytes object, a slice) is left alone."""
        if type(chunk) is bytearray and len(chunk) == self.size:
            self._free.put(chunk)


class DownloadResponse:
    """An open streaming download: where its body starts in the file, the file's size, and the bytes."""

    def __init__(self, response: requests.Response, *, requested_offset: int, display_url: str) -> None:
        self._response = response
        self.status = response.status_code
        self.display_url = display_url
        self.encoding = response.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
        if self.encoding != "identity":
            # We ask for `Accept-Encoding: identity`. An encoded body's Content-Length counts encoded bytes, so a
            # stream cut short inside complete framing could not be told from a whole file, nor resumed by offset.
            response.close()
            raise NetworkError(
                f"The download server sent the file with Content-Encoding: {self.encoding[:40]!r} although "
                f"exportctl asked for it unencoded; refusing it, since a cut-short encoded file cannot be "
                f"detected or resumed ({display_url}).",
                hint="Check for a proxy between exportctl and the download server that compresses responses.",
            )
        self.content_length = int_header(response.headers, "Content-Length")
        self.offset = 0
        self.total_size = self.content_length
        if self.status == 206:
            start, total = parse_content_range(response.headers.get("Content-Range"))
            if start is None:
                response.close()
                raise DownloadError(f"The download server answered 206 without a usable Content-Range ({display_url}).")
            self.offset = start
            self.total_size = total
        self.resumed = self.status == 206 and requested_offset > 0

    def iter_bytes(
        self, chunk_size: int = DOWNLOAD_CHUNK, pool: ChunkPool | None = None
    ) -> Iterator[bytes | bytearray]:
        """The body in chunks of `chunk_size` (the last one shorter); DownloadError if the connection ends early.

        Each chunk is read straight from the socket into its buffer, so a byte is copied once on its way
        from the kernel to the caller: a new bytes object each time, or with `pool` one of its buffers,
        which the caller gives back once done with it (no new memory to fault in and no zero-filling, each
        measured, see docs/performance.md). When the server closes the connection early, the bytes that did
        arrive are yielded before the error is raised, so a resume continues from the last byte received.
        A reset, a read timeout or Ctrl-C in the middle of a chunk loses that chunk's bytes (at most
        `chunk_size`): they are fetched again by the resume.
        """
        pooled = pool is not None and pool.size == chunk_size
        reader = self._pooled_reader(pool) if pool is not None and pooled else self._body_reader()
        received = 0
        while True:
            try:
                chunk = reader(chunk_size)
            except BODY_ERRORS as exc:
                exc.__traceback__ = None
                message = f"The download connection ended after {received} bytes of this response"
                raise DownloadError(f"{message}: {describe_failure(exc)}.") from None
            if not chunk:
                return
            received += len(chunk)
            yield chunk

    def _pooled_reader(self, pool: ChunkPool) -> Callable[[int], bytes | bytearray]:
        """`_body_reader` filling the pool's buffers: a whole one, or at the end a copy of the bytes that came."""
        raw = self._response.raw
        direct = getattr(raw, "_fp", None)
        if self.encoding != "identity" or not isinstance(direct, http.client.HTTPResponse):
            return self._body_reader()
        read_into = direct.readinto

        def read(size: int) -> bytes | bytearray:
            buffer = pool.take()
            filled = read_into(buffer)  # the standard library's readinto reads until full or the end
            if filled == size:
                return buffer
            pool.give(buffer)
            return bytes(memoryview(buffer)[:filled])

        return read

    def _body_reader(self) -> Callable[[int], bytes]:
        """A function that reads up to the next `size` body bytes (fewer only at the end; b"" after it).

        An unencoded body is read straight from the standard library's response object underneath urllib3,
        whose own `read` would copy each chunk once more. Anything else goes through urllib3.
        """
        raw = self._response.raw
        direct = getattr(raw, "_fp", None)
        if self.encoding == "identity" and isinstance(direct, http.client.HTTPResponse):
            return direct.read

        def through_urllib3(size: int) -> bytes:
            data: bytes = raw.read(size, decode_content=True)
            return data

        return through_urllib3

    def close(self) -> None:
        """Release the connection."""
        self._response.close()

    def __enter__(self) -> DownloadResponse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) of `bytes first-last/total`; total None when `*`."""
    if not value or not value.startswith("bytes "):
        return None, None
    try:
        span, _, total = value[len("bytes ") :].partition("/")
        first = int(span.split("-", 1)[0])
        return first, None if total.strip() == "*" else int(total)
    except ValueError:
        return None, None
