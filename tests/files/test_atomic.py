"""The atomic writer's durability: the data are fsynced whole before the rename, the directory after it.

A crash (power loss) right after the rename must find either the old file or the whole new one: so the
`.part` must be on disk before it gets the target's name, and the directory entry must be synced after. The
order of the system calls is recorded (tests/files/syscalls.py) on every path that puts a file in place:
no-clobber link, --force replace, gzip, a resumed download, the JSON state files, and a real download over HTTP.
"""

from __future__ import annotations

import gzip
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl import schema
from exportctl.client.api import ApiClient
from exportctl.errors import UsageError
from exportctl.files.atomic import AtomicWriter, part_path, write_atomically, write_json_atomically
from exportctl.jobs.download import download_export
from exportctl.jobs.poll import poll_until_done
from exportctl.jobs.single import submit
from exportctl.request.model import ExportRequest
from exportctl.sandbox import Sandbox
from exportctl.settings import Settings
from tests.conftest import Recorder
from tests.files.syscalls import SyscallLog, record_syscalls

DATA = b"code,value\n" + b"".join(b"CODE-%d,%d\n" % (i, i) for i in range(2000))


@pytest.fixture
def syscalls(monkeypatch: pytest.MonkeyPatch) -> SyscallLog:
    return record_syscalls(monkeypatch)


@pytest.mark.parametrize("force", [False, True], ids=["no-clobber-link", "force-replace"])
def test_commit_fsyncs_the_whole_part_before_the_rename_and_the_directory_after(
    tmp_path: Path, syscalls: SyscallLog, force: bool
) -> None:
    target = tmp_path / "vouchers.csv"
    if force:
        target.write_bytes(b"old\n")
    writer = AtomicWriter(target, key="exp_1", force=force)
    writer.open()
    for start in range(0, len(DATA), 1000):
        writer.write(DATA[start : start + 1000])
    writer.commit()
    assert target.read_bytes() == DATA
    assert not part_path(target).exists()
    syscalls.assert_durable(target)


def test_a_gzip_target_is_fsynced_compressed_before_its_rename(tmp_path: Path, syscalls: SyscallLog) -> None:
    target = tmp_path / "vouchers.csv.gz"
    assert write_atomically(target, [DATA[:5000], DATA[5000:]]) == len(DATA)
    assert gzip.decompress(target.read_bytes()) == DATA
    syscalls.assert_durable(target)


def test_a_resumed_part_is_fsynced_whole_before_its_rename(tmp_path: Path, syscalls: SyscallLog) -> None:
    target = tmp_path / "vouchers.csv"
    first = AtomicWriter(target, key="exp_1")
    first.open()
    first.write(DATA[:3000])
    first.close()  # interrupted: the .part stays
    assert part_path(target).read_bytes() == DATA[:3000]
    second = AtomicWriter(target, key="exp_1")
    assert second.resumable_size() == 3000
    second.open(3000)
    second.write(DATA[3000:])
    second.commit()
    assert target.read_bytes() == DATA
    syscalls.assert_durable(target)


def test_a_refused_commit_renames_nothing(tmp_path: Path, syscalls: SyscallLog) -> None:
    target = tmp_path / "vouchers.csv"
    writer = AtomicWriter(target, key="exp_1")
    writer.open()
    writer.write(DATA)
    target.write_bytes(b"appeared meanwhile\n")
    with pytest.raises(UsageError, match="appeared while downloading"):
        writer.commit()
    assert target.read_bytes() == b"appeared meanwhile\n"
    assert part_path(target).read_bytes() == DATA  # kept for the next run
    assert [c for c in syscalls.calls if c.kind == "rename" and c.to == str(target)] == []


def test_json_state_is_fsynced_before_its_rename_and_replaces_the_old(tmp_path: Path, syscalls: SyscallLog) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"old": true}\n')
    write_json_atomically(path, {"watermark": "2026-01-01T00:00:00Z", "rows": list(range(500))})
    assert '"watermark"' in path.read_text()
    syscalls.assert_durable(path)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left


@pytest.fixture
def client(sandbox: Sandbox, recorder: Recorder) -> Iterator[ApiClient]:
    settings = Settings(sandbox.base_url, sandbox.app_id, sandbox.secret_key, None, "test")
    with ApiClient(settings, on_event=recorder, sleep=recorder.sleep, rng=random.Random(1)) as api:
        yield api


@pytest.mark.parametrize("name", ["vouchers.csv", "vouchers.csv.gz"])
def test_a_downloaded_export_is_fsynced_before_its_rename(
    sandbox: Sandbox, client: ApiClient, recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    request = ExportRequest(schema.BY_COMMAND["voucher"], fields=("code", "value"))
    export = submit(client, request, recorder)
    done = poll_until_done(client, export["id"], timeout=30, on_event=recorder, sleep=recorder.sleep)
    syscalls = record_syscalls(monkeypatch)
    target = tmp_path / name
    result = download_export(client, done, target, on_event=recorder, chunk_size=4096)
    assert result.bytes > 0 and result.rows > 0
    syscalls.assert_durable(target)
    assert not part_path(target).exists()
    assert os.listdir(tmp_path) == [name]
