"""The download's streaming paths against a sandbox whose CSV has long quoted values with line breaks.

Rows are counted chunk by chunk in a thread of their own, which is right only if the count carries across
chunks whether it is inside a quoted value (whole chunks lie inside one here, others hold no quote at all);
progress events are throttled; the write-back starts early. Each test downloads over HTTP and checks the
figures against the csv module and hashlib.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.errors import DownloadError
from exportctl.events import DownloadProgress
from exportctl.files import atomic, writeback
from exportctl.files.atomic import AtomicWriter, part_path
from exportctl.jobs.download import PROGRESS_STEPS, download_export
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from tests.conftest import Recorder, start_sandbox
from tests.jobs.conftest import finished_export, sandbox_file

# One voucher in a hundred gets a value of about 115 KB: line breaks, a comma and escaped quotes, so that many
# chunks lie wholly inside it (no quote in them, every newline inside the value). The others stay plain, so
# that the chunks between have no quote and every newline there ends a record.
LONG_VALUE = "Line one, with a comma\n" + "a filler line inside the quoted value\n" * 3000 + 'an "escaped" quote\r\nend'
REQUEST = ExportRequest(schema.BY_COMMAND["voucher"], fields=("code", "qr_code", "additional_info"))
CHUNKS = [4096, 1000]


@pytest.fixture(scope="module")
def long_values(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("long-values")
    with start_sandbox(db_path=root / "sandbox.sqlite3", data_dir=root / "exports") as running:
        conn = running.store.connect()
        try:
            conn.execute("UPDATE vouchers SET additional_info = ? WHERE rowid % 100 = 0", (LONG_VALUE,))
        finally:
            conn.close()
        yield running


@pytest.fixture
def sandbox(long_values: Sandbox) -> Iterator[Sandbox]:
    long_values.faults.reset()
    yield long_values
    long_values.faults.reset()


def done_export(client: ApiClient, recorder: Recorder) -> dict[str, Any]:
    return finished_export(client, REQUEST, recorder)


def csv_records(data: bytes) -> int:
    return len(list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))) - 1


def quote_free_chunks(data: bytes, size: int) -> tuple[int, int]:
    """Chunks of `size` without a quote: (how many start inside a quoted value, how many outside)."""
    inside = outside = 0
    for start in range(0, len(data), size):
        if b'"' not in data[start : start + size]:
            if data[:start].count(b'"') % 2:
                inside += 1
            else:
                outside += 1
    return inside, outside


@pytest.mark.parametrize("chunk_size", CHUNKS)
def test_rows_are_right_when_chunks_lie_inside_and_outside_quoted_line_breaks(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path, chunk_size: int
) -> None:
    export = done_export(client, recorder)
    expected = sandbox_file(sandbox, export["id"])
    inside, outside = quote_free_chunks(expected, chunk_size)
    assert inside > 0 and outside > 0  # chunks wholly inside a quoted value, and quote-free ones outside
    assert expected.count(b"\n") > 10 * csv_records(expected)  # most line breaks are inside values

    result = download_export(client, export, tmp_path / "x.csv", on_event=recorder, chunk_size=chunk_size)
    assert (tmp_path / "x.csv").read_bytes() == expected
    assert result.rows == csv_records(expected) == len(sandbox.store.rows("SELECT id FROM vouchers"))
    assert result.sha256 == hashlib.sha256(expected).hexdigest()


def test_resume_inside_a_quoted_value_still_counts_and_hashes_the_whole_file(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    expected = sandbox_file(sandbox, export["id"])
    cut = expected.index(b"a filler line", len(expected) // 2) + 5  # inside a long value, past the middle
    assert expected[:cut].count(b'"') % 2 == 1
    target = tmp_path / "x.csv"
    sandbox.faults.short_body(len(expected) - cut)
    with pytest.raises(DownloadError):
        download_export(client, export, target, on_event=recorder, max_attempts=1, chunk_size=CHUNKS[0])
    assert part_path(target).read_bytes() == expected[:cut]

    result = download_export(client, export, target, on_event=recorder, chunk_size=CHUNKS[1])
    assert result.resumed_from == cut
    assert target.read_bytes() == expected
    assert result.rows == csv_records(expected)
    assert result.sha256 == hashlib.sha256(expected).hexdigest()


def test_progress_is_throttled_but_reaches_the_end(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    size = len(sandbox_file(sandbox, export["id"]))
    chunk_size = 512
    assert size // chunk_size > 2 * PROGRESS_STEPS  # one event per chunk would be more than twice too many
    download_export(client, export, tmp_path / "x.csv", on_event=recorder, chunk_size=chunk_size)
    done = [event.bytes_done for event in recorder.of(DownloadProgress)]
    assert PROGRESS_STEPS // 2 <= len(done) <= PROGRESS_STEPS + 1
    assert done == sorted(set(done))
    assert done[-1] == size
    assert {event.total_bytes for event in recorder.of(DownloadProgress)} == {size}


def test_write_back_is_started_while_writing_and_the_file_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[int, int]] = []
    real = writeback.start_writeback

    def recording(fd: int, offset: int, length: int) -> bool:
        started.append((offset, length))
        return real(fd, offset, length)

    monkeypatch.setattr(atomic, "WRITEBACK_STEP", 1000)
    monkeypatch.setattr(atomic, "start_writeback", recording)
    data = os.urandom(4500)
    writer = AtomicWriter(tmp_path / "x.csv", key="exp_1")
    writer.open()
    for start in range(0, len(data), 700):
        writer.write(data[start : start + 700])
    writer.commit()
    assert (tmp_path / "x.csv").read_bytes() == data
    # Each range starts where the last one ended, from the first byte, once 1,000 bytes more are written.
    assert started == [(0, 1400), (1400, 1400), (2800, 1400)]
