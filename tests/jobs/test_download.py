"""jobs/download.py at its edges: a rewritten header across a broken connection, a server that sends more than
it announced, an empty file. Each case was found by planting a bug that the rest of the suite let through
(tests/jobs/test_single.py and tests/jobs/test_download_stream.py cover the common paths).
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.errors import DownloadError
from exportctl.events import Retrying
from exportctl.files.atomic import part_path
from exportctl.jobs.download import download_export
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from exportctl.settings import Settings
from tests.cli.hostile import Answer, Hostile, Request, hostile_server
from tests.conftest import Recorder
from tests.jobs.conftest import finished_export, sandbox_file

VOUCHERS = ExportRequest(schema.BY_COMMAND["voucher"], fields=("code", "value", "created_at"))
SMALL_CHUNK = 1000


def done_export(client: ApiClient, recorder: Recorder) -> dict[str, Any]:
    return finished_export(client, VOUCHERS, recorder)


def renamed(line: bytes) -> bytes:
    """A header rewrite that changes the line's length, so local and server offsets differ."""
    return b"a_much_longer_first_column,v,c" + line[line.index(b"\r\n") if b"\r\n" in line else len(line.rstrip()) :]


def test_a_rewritten_header_starts_over_after_a_break_and_the_file_is_whole(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    original = sandbox_file(sandbox, export["id"])
    end = original.index(b"\n") + 1
    expected = renamed(original[:end]) + original[end:]
    assert len(original) > 3 * SMALL_CHUNK
    sandbox.faults.drop_download_after(2500)
    target = tmp_path / "x.csv"
    result = download_export(
        client, export, target, on_event=recorder, chunk_size=SMALL_CHUNK, header=renamed, attempts=2
    )
    # One break, one more attempt from byte 0: a resume at the local offset would ask the server for the wrong
    # bytes (and fail its size check, using up the attempts).
    assert len(recorder.of(Retrying)) == 1
    assert target.read_bytes() == expected
    assert result.bytes == len(expected)
    assert result.resumed_from == 0


def one_download(body: bytes, headers: dict[str, str], status: int = 200) -> Any:
    def script(request: Request, server: Hostile) -> Answer:
        return Answer(status, body, {"Content-Type": "text/plain"} | headers)

    return script


def hostile_download(script: Any, target: Path, **options: Any) -> Any:
    with hostile_server(script) as server:
        settings = Settings(server.base_url, "app", "key", None, "test")
        export = {"id": "exp_1", "status": "DONE", "result": {"url": f"{server.base_url}/v1/exports/exp_1?token=t"}}
        recorder = Recorder()
        with ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(1)) as api:
            return download_export(api, export, target, on_event=recorder, sleep=recorder.sleep, **options)


def test_more_bytes_than_the_server_announced_is_an_error_not_a_file(tmp_path: Path) -> None:
    body = b"code\n" + b"".join(b"C-%d\n" % i for i in range(20))
    # 206 for the whole file, whose Content-Range says it has half the bytes sent.
    script = one_download(body, {"Content-Range": f"bytes 0-{len(body) // 2 - 1}/{len(body) // 2}"}, status=206)
    target = tmp_path / "x.csv"
    with pytest.raises(DownloadError, match=f"after {len(body)} of {len(body) // 2} bytes"):
        hostile_download(script, target, max_attempts=1)
    assert not target.exists()


def test_an_empty_file_has_no_rows(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    result = hostile_download(one_download(b"", {}), target)
    assert target.read_bytes() == b""
    assert (result.bytes, result.rows) == (0, 0)


def test_a_server_ignoring_range_restarts_the_digest_with_the_file(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path
) -> None:
    export = done_export(client, recorder)
    expected = sandbox_file(sandbox, export["id"])
    target = tmp_path / "x.csv"
    sandbox.faults.drop_download_after(2500)
    with pytest.raises(DownloadError):
        download_export(client, export, target, on_event=recorder, chunk_size=SMALL_CHUNK, max_attempts=1)
    assert 0 < len(part_path(target).read_bytes()) < len(expected)
    sandbox.faults.ignore_range()
    result = download_export(client, export, target, on_event=recorder, chunk_size=SMALL_CHUNK)
    # The whole file came again (200): the sha256, size and rows describe it, not the kept part plus it.
    assert target.read_bytes() == expected
    assert (result.resumed_from, result.bytes) == (0, len(expected))
    assert result.sha256 == hashlib.sha256(expected).hexdigest()
    assert result.rows == expected.count(b"\n") - 1


@pytest.mark.parametrize("content_range", [None, "bytes */100", "items 0-9/10"])
def test_a_206_without_a_usable_content_range_is_refused(tmp_path: Path, content_range: str | None) -> None:
    headers = {} if content_range is None else {"Content-Range": content_range}
    target = tmp_path / "x.csv"
    with pytest.raises(DownloadError, match="answered 206 without a usable Content-Range"):
        hostile_download(one_download(b"code\nC-1\n", headers, status=206), target, max_attempts=1)
    assert not target.exists()
