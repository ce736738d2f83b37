"""client/download.py: the streamed body, read into new bytes objects or into a pool's buffers used again.

What a user sees of it is the saved file (every byte, in order, whatever the chunking) and a flat memory
figure: with a pool, a download holds the buffers its consumer has not given back, never one per chunk.
"""

from __future__ import annotations

import random

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.client.download import ChunkPool
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from tests.client.exports import done_export_url
from tests.conftest import Recorder, sandbox_settings

VOUCHERS = ExportRequest(schema.BY_COMMAND["voucher"], fields=("code", "value", "metadata"))


def _done_export(client: ApiClient) -> tuple[str, bytes]:
    """A DONE voucher export's download URL, and the bytes the server holds for it."""
    url = done_export_url(client, VOUCHERS)
    with client.open_download(url) as download:
        return url, b"".join(download.iter_bytes(1024))


@pytest.mark.parametrize("chunk_size", [64, 999, 1024])
def test_a_pooled_download_is_the_body_byte_for_byte_in_buffers_used_again(sandbox: Sandbox, chunk_size: int) -> None:
    with ApiClient(sandbox_settings(sandbox), on_event=Recorder(), rng=random.Random(7)) as client:
        url, body = _done_export(client)
        assert len(body) > 3 * chunk_size
        pool = ChunkPool(chunk_size)
        pieces: list[bytes] = []
        buffers: set[int] = set()
        with client.open_download(url) as download:
            for chunk in download.iter_bytes(chunk_size, pool):
                pieces.append(bytes(chunk))
                if isinstance(chunk, bytearray):
                    buffers.add(id(chunk))
                pool.give(chunk)
    assert b"".join(pieces) == body
    assert all(len(piece) == chunk_size for piece in pieces[:-1]) and 0 < len(pieces[-1]) <= chunk_size
    assert len(buffers) == 1  # each buffer given back before the next read is the one read into next


def test_a_pool_takes_back_only_its_own_kind_of_buffer() -> None:
    pool = ChunkPool(8)
    pool.give(b"12345678")  # bytes: never written into
    pool.give(bytearray(4))  # a slice of another size
    first = pool.take()
    assert isinstance(first, bytearray) and len(first) == 8
    pool.give(first)
    assert pool.take() is first
    assert pool.take() is not first  # none free: a new one, never a wait
