"""The incremental state file and its lock."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from exportctl.errors import ExitCode, LockedError, UsageError
from exportctl.jobs.watermarks import StateLock, WatermarkStore, lock_path, state_key
from exportctl.request.build import build_request
from exportctl.request.model import RequestFlags
from exportctl.schema import BY_COMMAND

ORDER = BY_COMMAND["order"]


def test_a_second_lock_on_the_same_state_fails_with_exit_8_and_names_the_lock_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with StateLock(state):
        with pytest.raises(LockedError) as caught:
            StateLock(state).acquire()
        assert str(lock_path(state)) in caught.value.message
        assert "process" in caught.value.message  # the holder's pid is named
        assert caught.value.exit_code == ExitCode.LOCKED
    # Released: the next run takes it.
    with StateLock(state):
        pass


def test_the_watermark_of_one_key_moves_and_other_keys_stay(tmp_path: Path) -> None:
    store = WatermarkStore(tmp_path / "state.json")
    assert store.read("a").at is None
    store.advance("a", {"watermark": "2024-01-01T00:00:00.000Z"})
    store.advance("b", {"watermark": "2024-02-01T00:00:00.000Z"})
    store.advance("a", {"watermark": "2024-03-01T00:00:00.000Z"})
    assert store.read("a").at == dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    assert store.read("b").at == dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)
    assert sorted(json.loads((tmp_path / "state.json").read_text())["exports"]) == ["a", "b"]
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left behind


def test_a_corrupt_state_file_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):
        WatermarkStore(tmp_path / "state.json").read("a")
    (tmp_path / "state.json").write_text("[]")
    with pytest.raises(UsageError, match="not an exportctl state file"):
        WatermarkStore(tmp_path / "state.json").read("a")


def test_the_key_follows_the_parameters_unless_named() -> None:
    plain, _ = build_request(ORDER, RequestFlags(fields=["id,status"]))
    same, _ = build_request(ORDER, RequestFlags(fields=["id,status"], filters=["status=PAID"]))
    other, _ = build_request(ORDER, RequestFlags(fields=["id,amount"]))
    again, _ = build_request(ORDER, RequestFlags(fields=["id", "status"]))
    assert state_key(plain) == state_key(again)
    assert state_key(plain) != state_key(other) != state_key(same)
    assert state_key(plain).startswith("order:")
    assert state_key(other, "nightly-orders") == "nightly-orders"


FIXTURES = Path(__file__).resolve().parent.parent / "data" / "state"


def test_a_state_file_written_before_the_store_still_loads_and_moves(tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "state.json"
    shutil.copy(FIXTURES / "watermarks.json", path)
    store = WatermarkStore(path)
    assert store.read("order:3f0c9a1be2d4c5f6").at == dt.datetime(2024, 5, 1, 2, tzinfo=dt.timezone.utc)
    store.advance("nightly", {"watermark": "2024-07-01T00:00:00.000Z"})
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["exports"]["order:3f0c9a1be2d4c5f6"]["rows"] == 12
    assert store.read("nightly").at == dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)


def test_a_symbolic_link_in_the_state_files_place_is_refused_and_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text('{"version": 1, "exports": {}}')
    (tmp_path / "state.json").symlink_to(victim)
    store = WatermarkStore(tmp_path / "state.json")
    with pytest.raises(UsageError, match="is a symbolic link, which exportctl never reads or writes through"):
        store.read("a")
    with pytest.raises(UsageError):
        store.advance("a", {"watermark": "2024-01-01T00:00:00.000Z"})
    assert victim.read_text() == '{"version": 1, "exports": {}}'


def test_a_directory_a_huge_file_or_a_newer_format_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(UsageError, match=r"Cannot read the state file .*dir.json: Is a directory"):
        WatermarkStore(tmp_path / "dir.json").read("a")
    with (tmp_path / "huge.json").open("wb") as handle:
        handle.truncate(1024**3)
    with pytest.raises(UsageError, match="more than any state file exportctl writes"):
        WatermarkStore(tmp_path / "huge.json").read("a")
    (tmp_path / "new.json").write_text('{"version": 2, "exports": {"a": {"watermark": "2024-01-01T00:00:00Z"}}}')
    with pytest.raises(UsageError, match=r"written by a newer exportctl \(format version 2; this one reads up to 1\)"):
        WatermarkStore(tmp_path / "new.json").read("a")
    with pytest.raises(UsageError):  # nor is it overwritten by an older format
        WatermarkStore(tmp_path / "new.json").advance("a", {"watermark": "2025-01-01T00:00:00.000Z"})
    assert json.loads((tmp_path / "new.json").read_text())["version"] == 2


HOLD_STATE_LOCK = """
import sys
from pathlib import Path
from exportctl.jobs.watermarks import StateLock
lock = StateLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_a_lock_held_by_another_process_is_exit_8_naming_its_pid(tmp_path: Path) -> None:
    import subprocess
    import sys

    state = tmp_path / "state.json"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STATE_LOCK, str(state)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError) as caught:
            StateLock(state).acquire()
        assert caught.value.exit_code == ExitCode.LOCKED
        assert f"(process {holder.pid})" in caught.value.message
    finally:
        holder.kill()
        holder.wait()
    with StateLock(state):  # the kernel released it with the process
        pass
