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
