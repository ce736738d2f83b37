"""The state store: versioned documents, hostile files refused by kind, compare-and-swap, one lock across processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exportctl.state.store import ANY, Conflict, LocalJsonStore, StateProblem, decode, encode

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "state"


def store(path: Path, limit: int = 1024 * 1024) -> LocalJsonStore:
    return LocalJsonStore(path, version=1, limit=limit)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"{not json", "json"),
        (b"\xff\xfe", "json"),
        (b"[" * 100_000 + b"]" * 100_000, "json"),
        (b"[1, 2]", "shape"),
        (b'"text"', "shape"),
        (b'{"version": "1"}', "shape"),
        (b'{"version": true}', "shape"),
        (b'{"version": 0}', "shape"),
        (b'{"version": 2, "exports": {}}', "version"),
    ],
)
def test_what_is_not_a_document_of_this_version_is_a_problem_of_its_kind(data: bytes, kind: str) -> None:
    with pytest.raises(StateProblem) as caught:
        decode(data, newest=1)
    assert caught.value.kind == kind


def test_a_newer_format_is_named_with_both_versions() -> None:
    with pytest.raises(StateProblem) as caught:
        decode(b'{"version": 7}', newest=1)
    assert caught.value.reason == "was written by a newer exportctl (format version 7; this one reads up to 1)"


def test_a_document_without_a_version_is_the_first_format() -> None:
    assert decode(b'{"exports": {}}', newest=1) == {"exports": {}}
    assert json.loads(encode({"exports": {}}, 3)) == {"exports": {}, "version": 3}


@pytest.mark.parametrize("name", ["watermarks.json", "v.csv.manifest.json", "poll-history.json"])
def test_files_written_by_the_version_before_the_store_still_load(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(FIXTURES / name, path)
    snapshot = store(path).read()
    assert snapshot.doc == json.loads((FIXTURES / name).read_text())
    # Written back unchanged, the bytes are the same: the format is the one today's files have.
    store(path).write_if_unchanged(snapshot.doc or {}, snapshot.token)
    assert path.read_bytes() == (FIXTURES / name).read_bytes()


def test_hostile_files_are_refused_by_kind(tmp_path: Path) -> None:
    target = tmp_path / "target.json"
    target.write_text('{"version": 1}')
    (tmp_path / "link.json").symlink_to(target)
    (tmp_path / "dir.json").mkdir()
    (tmp_path / "huge.json").write_bytes(b" " * 2000)
    kinds = {}
    for name in ("link.json", "dir.json", "huge.json"):
        with pytest.raises(StateProblem) as caught:
            store(tmp_path / name, limit=1000).read()
        kinds[name] = caught.value.kind
    assert kinds == {"link.json": "link", "dir.json": "not-regular", "huge.json": "size"}


def test_a_write_over_a_changed_document_is_a_conflict_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    first = store(path).read()
    assert first.doc is None
    store(path).write_if_unchanged({"n": 1}, first.token)
    with pytest.raises(Conflict):
        store(path).write_if_unchanged({"n": 99}, first.token)  # it was missing when read; it is there now
    seen = store(path).read()
    assert seen.doc == {"n": 1, "version": 1}
    store(path).write_if_unchanged({"n": 2}, seen.token)
    store(path).write_if_unchanged({"n": 3}, ANY)
    assert store(path).read().doc == {"n": 3, "version": 1}


def test_a_secret_store_writes_mode_0600_and_locks_beside_itself(tmp_path: Path) -> None:
    secret = LocalJsonStore(tmp_path / "s.json", version=1, mode=0o600)
    secret.write_if_unchanged({"key": "x"}, ANY)
    assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o600
    with secret.lock():
        assert (tmp_path / "s.json.lock").stat().st_mode & 0o777 == 0o600


COUNTER = """
import sys
from pathlib import Path
from exportctl.state.store import LocalJsonStore
store = LocalJsonStore(Path(sys.argv[1]), version=1)
for _ in range(40):
    with store.lock(wait=60):
        seen = store.read()
        count = (seen.doc or {}).get("count", 0)
        store.write_if_unchanged({"count": count + 1}, seen.token)
"""


def test_two_processes_counting_under_the_lock_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "count.json"
    processes = [subprocess.Popen([sys.executable, "-c", COUNTER, str(path)]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    assert store(path).read().doc == {"count": 80, "version": 1}
    assert sorted(os.listdir(tmp_path)) == ["count.json", "count.json.lock"]
