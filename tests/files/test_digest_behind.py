"""files/digest_behind.py: the download's sha256 and row count, computed by a thread behind the writer.

What a user sees of it is `--json`'s `sha256` and `rows`: they must equal a one-thread digest of the same
bytes however the chunks fall (a quoted line break split across chunks, a chunk of one quote), and a
failure of the digest must surface instead of a wrong number.
"""

from __future__ import annotations

import hashlib
import threading

import pytest

from exportctl.files.csv import CsvDigest
from exportctl.files.digest_behind import DIGEST_BEHIND_CHUNKS, DigestBehind

CSV = (
    b'code,note\r\nA-1,"two\nlines"\r\nA-2,"a ""quoted"" word"\r\nA-3,plain\r\n'
    b'A-4,"ends with a newline\n"\r\nA-5,"comma, inside"\r\n'
)


def _behind(chunks: list[bytes | bytearray]) -> CsvDigest:
    digest = CsvDigest()
    with DigestBehind(digest) as behind:
        for chunk in chunks:
            behind.put(chunk)
    return digest


def _alone(data: bytes) -> CsvDigest:
    digest = CsvDigest()
    digest.update(data)
    return digest


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, len(CSV)])
def test_every_chunking_gives_the_one_thread_digest(size: int) -> None:
    chunks: list[bytes | bytearray] = [bytearray(CSV[i : i + size]) for i in range(0, len(CSV), size)]
    got, expected = _behind(chunks), _alone(CSV)
    assert (got.rows, got.sha256, got.bytes) == (expected.rows, expected.sha256, len(CSV))
    assert got.sha256 == hashlib.sha256(CSV).hexdigest()
    assert got.rows == 5  # five records after the header: line breaks inside quotes are not rows


def test_many_chunks_more_than_the_queue_holds_all_arrive() -> None:
    data = b"id\r\n" + b"".join(b"%d\r\n" % i for i in range(20_000))
    chunks: list[bytes | bytearray] = [data[i : i + 100] for i in range(0, len(data), 100)]
    assert len(chunks) > 10 * DIGEST_BEHIND_CHUNKS
    got = _behind(chunks)
    assert (got.rows, got.sha256) == (20_000, hashlib.sha256(data).hexdigest())


def test_nothing_put_is_an_empty_digest() -> None:
    got = _behind([])
    assert (got.rows, got.bytes, got.sha256) == (0, 0, hashlib.sha256(b"").hexdigest())


class _Broken(CsvDigest):
    def count(self, data: bytes | bytearray) -> None:
        raise OSError("the counter broke")


def test_a_failing_digest_thread_is_raised_not_a_wrong_count() -> None:
    with pytest.raises(OSError, match="the counter broke"), DigestBehind(_Broken()) as behind:
        for _ in range(3 * DIGEST_BEHIND_CHUNKS):  # the threads keep draining: the writer never blocks forever
            behind.put(b"a\r\n")


def test_the_writers_own_error_wins_and_the_threads_end() -> None:
    before = threading.active_count()
    with pytest.raises(KeyboardInterrupt), DigestBehind(_Broken()) as behind:
        behind.put(b"a\r\n")
        raise KeyboardInterrupt
    assert threading.active_count() == before
