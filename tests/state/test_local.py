"""The local state file: read without following links and within a size, replaced atomically, never torn."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from exportctl.state.local import TooLarge, current_token, read_bounded, replace_atomically
from exportctl.state.lock import NotRegularFile
from tests.files.syscalls import record_syscalls


def test_a_missing_file_reads_as_none(tmp_path: Path) -> None:
    assert read_bounded(tmp_path / "s.json", 100) == (None, None)


def test_the_token_names_the_version_that_was_read(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    first = replace_atomically(path, b"one")
    data, token = read_bounded(path, 100)
    assert data == b"one" and token == first == current_token(path)
    replace_atomically(path, b"two")
    assert current_token(path) != first


def test_a_symbolic_link_is_never_read_through(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text('{"version": 1}')
    (tmp_path / "s.json").symlink_to(secret)
    with pytest.raises(OSError) as caught:
        read_bounded(tmp_path / "s.json", 100)
    assert caught.value.errno == errno.ELOOP


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_what_is_not_a_regular_file_is_refused_without_hanging(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "s.json"
    path.mkdir() if kind == "directory" else os.mkfifo(path)
    with pytest.raises(NotRegularFile):
        read_bounded(path, 100)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024**3)  # sparse: 10 GiB that cost nothing
    with pytest.raises(TooLarge) as caught:
        read_bounded(path, 1024)
    assert caught.value.size == 10 * 1024**3


def test_a_replaced_file_keeps_its_mode_and_a_secret_one_gets_exactly_0600(tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o640)
    replace_atomically(kept, b"new")
    assert kept.read_bytes() == b"new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    secret = tmp_path / "secret.json"
    old = os.umask(0)
    try:
        replace_atomically(secret, b"s")
        replace_atomically(secret, b"s", mode=0o600)
    finally:
        os.umask(old)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json", "secret.json"]  # no temporary file left


def test_a_link_in_the_files_place_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "s.json").symlink_to(victim)
    replace_atomically(tmp_path / "s.json", b"{}")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "s.json").is_symlink() and (tmp_path / "s.json").read_bytes() == b"{}"


def test_the_data_is_fsynced_before_the_rename_and_the_directory_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.json"
    syscalls = record_syscalls(monkeypatch)
    replace_atomically(path, b"{}")
    syscalls.assert_durable(path)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("old")
    (tmp_path / "blocked").mkdir()
    with pytest.raises(OSError):
        replace_atomically(tmp_path / "blocked", b"new")  # a rename onto a directory fails
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "s.json"]


WRITER = """
import json, sys
from pathlib import Path
from exportctl.state.local import replace_atomically
path, me = Path(sys.argv[1]), sys.argv[2]
for n in range(150):
    replace_atomically(path, json.dumps({"writer": me, "n": n, "pad": "x" * 20000}).encode())
"""


def test_readers_never_see_a_torn_file_while_two_processes_write(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    replace_atomically(path, json.dumps({"writer": "none", "n": -1, "pad": ""}).encode())
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name]) for name in ("a", "b")]
    seen = 0
    while any(w.poll() is None for w in writers) or seen == 0:
        data, _ = read_bounded(path, 1024 * 1024)
        assert data is not None
        assert json.loads(data)["writer"] in ("a", "b", "none")  # whole, never torn
        seen += 1
    assert [w.wait() for w in writers] == [0, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]
