"""The polling history in the state directory: bounded, atomic, and harmless whatever the file holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from exportctl.files.poll_history import (
    HISTORY_FILE,
    MAX_KINDS,
    MAX_RUNS,
    PollHistory,
    Run,
    history_key,
    parse,
    state_dir,
)

KEY = "0123456789abcdef0123456789abcdef"


def test_state_dir_follows_xdg_state_home(tmp_path: Path) -> None:
    assert state_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "exportctl"
    # A relative value is invalid per the XDG spec and ignored.
    assert state_dir({"XDG_STATE_HOME": "relative"}) == Path.home() / ".local" / "state" / "exportctl"
    assert PollHistory.default({"XDG_STATE_HOME": str(tmp_path)}).path == tmp_path / "exportctl" / HISTORY_FILE


def test_runs_are_saved_atomically_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "state" / "exportctl" / HISTORY_FILE
    history = PollHistory(path)
    history.note(KEY, 58.2, 60.6, at=1000.0)
    assert history.runs(KEY) == [Run(58.2, 60.6, 1000.0)]  # noted runs count before they are saved
    history.save()
    assert history.pending == {}
    assert PollHistory(path).runs(KEY) == [Run(58.2, 60.6, 1000.0)]
    assert json.loads(path.read_text()) == {"version": 1, "exports": {KEY: [[58.2, 60.6, 1000.0]]}}
    assert sorted(p.name for p in path.parent.iterdir()) == [HISTORY_FILE]  # no temporary file left
    assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_history_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    history = PollHistory(path)
    for i in range(MAX_RUNS + 5):
        history.note(KEY, float(i), i + 1.0, at=float(i))
    history.save()
    # The last MAX_RUNS runs of a kind are kept.
    assert [run.lo for run in PollHistory(path).runs(KEY)] == [float(i) for i in range(5, MAX_RUNS + 5)]
    for i in range(MAX_KINDS + 10):
        history.note(f"{i:032x}", 1.0, 2.0, at=10_000.0 + i)
    history.save()
    kept = parse(json.loads(path.read_text()))
    assert len(kept) == MAX_KINDS
    # The most recently recorded kinds are kept: the oldest ones (and KEY, recorded before them all) go.
    assert KEY not in kept and f"{MAX_KINDS + 9:032x}" in kept and f"{0:032x}" not in kept


HOSTILE = {
    "empty": b"",
    "not json": b"\x00\xff garbage {",
    "truncated": b'{"version": 1, "exports": {"' + KEY.encode() + b'": [[1, 2',
    "a list": b"[1, 2, 3]",
    "another version": json.dumps({"version": 2, "exports": {KEY: [[1, 2, 3]]}}).encode(),
    "deeply nested": b"[" * 60_000 + b"]" * 60_000,
    "a huge integer": b'{"version": 1, "exports": {"' + KEY.encode() + b'": [[' + b"9" * 50_000 + b", 2, 3]]}}",
    "oversized": b'{"version": 1, "exports": {"' + KEY.encode() + b'": [[1, 2, 3]]}, "pad": "' + b"x" * 200_000 + b'"}',
}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_corrupt_or_hostile_file_reads_as_no_history_and_is_replaced(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / HISTORY_FILE
    path.write_bytes(content)
    history = PollHistory(path)
    assert history.runs(KEY) == []
    history.note(KEY, 1.0, 2.0, at=5.0)
    history.save()
    assert PollHistory(path).runs(KEY) == [Run(1.0, 2.0, 5.0)]


def test_bad_entries_are_dropped_and_good_ones_kept() -> None:
    good = [10, 12.5, 1000]
    data = {
        "version": 1,
        "exports": {
            KEY: [[12, 10, 1], [-1, 2, 3], [1, 2], [True, 2, 3], ["1", 2, 3], [1, float("inf"), 3], None, good],
            "not-a-hash": [good],
            "f" * 65: [good],
            "abcdef0123456789": "nope",
        },
    }
    assert parse(data) == {KEY: [Run(10, 12.5, 1000)]}
    assert parse(json.loads(json.dumps({"version": 1, "exports": {KEY: [[1, 1e400, 3]]}}))) == {}
    assert parse(None) == {} and parse({"version": 1, "exports": []}) == {}


def test_a_symlink_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"version": 1, "exports": {KEY: [[1, 2, 3]]}}))
    path = tmp_path / HISTORY_FILE
    path.symlink_to(elsewhere)
    history = PollHistory(path)
    assert history.runs(KEY) == []
    history.note(KEY, 4.0, 5.0, at=6.0)
    history.save()
    # The link itself is replaced by the new file; its target is untouched.
    assert not path.is_symlink() and PollHistory(path).runs(KEY) == [Run(4.0, 5.0, 6.0)]
    assert json.loads(elsewhere.read_text()) == {"version": 1, "exports": {KEY: [[1, 2, 3]]}}


def test_a_fifo_or_a_directory_never_blocks_nor_fails(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert PollHistory(fifo).runs(KEY) == []  # opened without blocking: no writer is waited for
    directory = tmp_path / "dir.json"
    directory.mkdir()
    history = PollHistory(directory)
    assert history.runs(KEY) == []
    history.note(KEY, 1.0, 2.0)
    history.save()  # cannot replace a directory: ignored
    assert directory.is_dir() and history.pending == {}


def test_an_unwritable_state_directory_is_ignored(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    history = PollHistory(blocker / "exportctl" / HISTORY_FILE)
    history.note(KEY, 1.0, 2.0)
    history.save()
    assert blocker.read_text() == "x"


def test_the_key_is_the_kind_of_export_not_its_dates() -> None:
    base = "https://api.voucherify.io"

    def export(**parameters: object) -> dict[str, object]:
        return {"exported_object": "redemption", "parameters": parameters}

    monday = export(fields=["id"], filters={"created_at": {"conditions": {"$after": ["2026-11-30T00:00:00Z"]}}})
    tuesday = export(fields=["id"], filters={"created_at": {"conditions": {"$after": ["2026-12-01T00:00:00Z"]}}})
    assert history_key(base, monday) == history_key(base, tuesday)
    assert history_key(base, monday) != history_key(base, export(fields=["id", "date"]))
    assert history_key(base, monday) != history_key("http://127.0.0.1:8080", monday)
    # Local sandboxes listen on a port of their own each run: one kind, not one per port.
    assert history_key("http://127.0.0.1:8080", monday) == history_key("http://127.0.0.1:41234/", monday)
    assert history_key(base, monday) == history_key("https://API.voucherify.io/", monday)
    assert history_key(base, {"exported_object": "voucher"}) != history_key(base, {"exported_object": "order"})
    assert history_key(base, {"parameters": {}}) is None
    key = history_key(base, {"exported_object": "voucher", "parameters": "\x1b[31m hostile"})
    assert key is not None and len(key) == 32
    # Parameters nested deeper than the interpreter recurses: no key (no history), never an error.
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    assert history_key(base, {"exported_object": "voucher", "parameters": {"filters": deep}}) is None
    assert history_key(base, {"exported_object": "voucher", "parameters": {"fields": deep}}) is None


def test_a_history_written_before_the_store_still_loads(tmp_path: Path) -> None:
    import shutil

    fixture = Path(__file__).resolve().parent.parent / "data" / "state" / HISTORY_FILE
    shutil.copy(fixture, tmp_path / HISTORY_FILE)
    assert PollHistory(tmp_path / HISTORY_FILE).runs(KEY) == [
        Run(58.2, 60.6, 1764615000.0),
        Run(10.0, 12.5, 1764616000.0),
    ]


def test_a_full_history_is_read_back_whole(tmp_path: Path) -> None:
    """The largest history it writes (MAX_KINDS kinds of MAX_RUNS runs) is no "oversized" file to itself."""
    path = tmp_path / HISTORY_FILE
    history = PollHistory(path)
    for kind in range(MAX_KINDS):
        for run in range(MAX_RUNS):
            history.note(f"{kind:032x}", 604799.123, 604799.999, at=1764615000.123 + kind + run / 10)
    history.save()
    assert len(path.read_bytes()) > 64 * 1024
    assert len(parse(json.loads(path.read_text()))) == MAX_KINDS
    assert len(PollHistory(path).runs(f"{MAX_KINDS - 1:032x}")) == MAX_RUNS


@pytest.mark.parametrize("kind", ["link", "directory"])
def test_a_link_or_a_directory_in_its_place_is_no_history_and_nothing_is_written_through(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / HISTORY_FILE
    victim = tmp_path / "victim.json"
    victim.write_text(json.dumps({"version": 1, "exports": {KEY: [[1, 2, 3]]}}))
    path.symlink_to(victim) if kind == "link" else path.mkdir()
    history = PollHistory(path)
    assert history.runs(KEY) == []
    history.note(KEY, 4.0, 5.0, at=6.0)
    history.save()  # never raises
    assert json.loads(victim.read_text()) == {"version": 1, "exports": {KEY: [[1, 2, 3]]}}


SAVER = """
import sys
from pathlib import Path
from exportctl.files.poll_history import PollHistory
for n in range(60):
    history = PollHistory(Path(sys.argv[1]))
    history.note(sys.argv[2] * 32, 1.0, 2.0 + n, at=float(n))
    history.save()
"""


def test_two_processes_saving_at_once_leave_a_whole_history(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / HISTORY_FILE
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, str(path), kind]) for kind in ("a", "b")]
    assert [saver.wait(timeout=120) for saver in savers] == [0, 0]
    # The last writer's merge wins (the history is a hint), but the file is always whole and of the format.
    data = json.loads(path.read_text())
    assert data["version"] == 1 and parse(data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [HISTORY_FILE]
