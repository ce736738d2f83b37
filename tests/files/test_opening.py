"""files/opening.py: files opened where others can write too, never through a symbolic link or onto a stranger's file.

Every case uses real files, FIFOs, links and processes in tmp_path: a planted link must leave its victim
untouched, a lock held by another process must be seen, a reader that quits must be an error.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import stat
import subprocess
import sys
import typing
from pathlib import Path
from typing import BinaryIO

import pytest

from exportctl.errors import OutputError
from exportctl.files.opening import (
    create_exclusive,
    is_stream_target,
    keep_owner_and_mode,
    open_locked,
    open_stream_target,
    read_json,
    write_fully,
)

# Holds the flock on argv[1] until its standard input closes; says "locked" once it holds it.
HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


# Streams: a device or a FIFO is written as it is ----------------------------------------------------------


def test_devices_and_fifos_are_stream_targets_and_files_are_not(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    regular = tmp_path / "file.csv"
    regular.write_text("x")
    link = tmp_path / "null-link"
    link.symlink_to("/dev/null")
    assert is_stream_target(Path("/dev/null")) and is_stream_target(fifo)
    assert is_stream_target(link)  # a link to a device still names the device
    assert not is_stream_target(regular)
    assert not is_stream_target(tmp_path)
    assert not is_stream_target(tmp_path / "missing")
    assert not is_stream_target(tmp_path / "a\x1b[31m\nname")


def test_a_fifo_is_written_as_it_is(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so that opening for writing does not block
    try:
        with open_stream_target(fifo) as stream:
            stream.write(b"Code\nA\n")
        assert os.read(reader, 100) == b"Code\nA\n"
    finally:
        os.close(reader)
    assert sorted(os.listdir(tmp_path)) == ["pipe"]  # no temporary file, nothing renamed


def test_a_stream_target_that_is_missing_or_became_a_file_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"^Cannot write .*missing: No such file or directory\.$"):
        open_stream_target(tmp_path / "missing")
    replaced = tmp_path / "was-a-fifo"
    replaced.write_bytes(b"someone's data")
    with pytest.raises(OutputError, match="it was replaced by a regular file while starting"):
        open_stream_target(replaced)
    assert replaced.read_bytes() == b"someone's data"


# Exclusive temporary files --------------------------------------------------------------------------------


def test_create_exclusive_makes_a_new_hidden_file_next_to_the_target(tmp_path: Path) -> None:
    target = tmp_path / "vouchers.csv"
    first, first_path = create_exclusive(target, ".part")
    second, second_path = create_exclusive(target, ".part")
    with first, second:
        first.write(b"one")
    assert first_path != second_path
    for path in (first_path, second_path):
        assert path.parent == tmp_path
        assert path.name.startswith(".vouchers.csv.") and path.name.endswith(".part")
        assert stat.S_ISREG(os.lstat(path).st_mode)
    assert first_path.read_bytes() == b"one" and second_path.read_bytes() == b""
    assert not target.exists()


def test_create_exclusive_in_a_missing_directory_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        create_exclusive(tmp_path / "no" / "such.csv", ".part")
    assert os.listdir(tmp_path) == []


# Locked state files ---------------------------------------------------------------------------------------


def test_open_locked_creates_the_file_and_locks_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    handle = open_locked(path)
    assert handle is not None
    with handle:
        handle.write(b"{}")
        assert open_locked(path) is None  # a second open, even in this process, finds it locked
    assert path.read_bytes() == b"{}"
    again = open_locked(path)
    assert again is not None
    again.close()


def test_open_locked_sees_a_lock_another_process_holds(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        assert open_locked(path) is None
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    handle = open_locked(path)
    assert handle is not None
    handle.close()


def test_open_locked_never_follows_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    link = tmp_path / "state.json"
    link.symlink_to(victim)
    with pytest.raises(OSError) as caught:
        open_locked(link)
    assert caught.value.errno == errno.ELOOP
    assert victim.read_bytes() == b"precious"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "would-be-created")
    with pytest.raises(OSError):
        open_locked(dangling)
    assert not (tmp_path / "would-be-created").exists()


def test_open_locked_refuses_a_fifo_with_the_command_that_clears_it(tmp_path: Path) -> None:
    fifo = tmp_path / "state.json"
    os.mkfifo(fifo)
    with pytest.raises(OutputError) as caught:
        open_locked(fifo)
    assert caught.value.message == f"Cannot write {fifo}: it exists and is not a regular file."
    assert caught.value.hint == f"Remove it: rm {fifo}"


def test_open_locked_leaves_a_file_with_a_second_name_alone(tmp_path: Path) -> None:
    """A hard link (another name for the file, maybe a victim's) is not ours to rewrite in place."""
    path = tmp_path / "state.json"
    path.write_bytes(b'{"a": 1}')
    os.link(path, tmp_path / "elsewhere")
    assert open_locked(path) is None
    assert path.read_bytes() == b'{"a": 1}'


# Owner and mode ---------------------------------------------------------------------------------------------


def test_a_replacement_takes_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    old.write_bytes(b"x")
    old.chmod(0o640)
    new = tmp_path / "new.csv"
    new.write_bytes(b"y")
    new.chmod(0o666)
    fd = os.open(new, os.O_RDWR)
    try:
        keep_owner_and_mode(fd, old)
        keep_owner_and_mode(fd, tmp_path / "missing")  # nothing to copy: unchanged
        keep_owner_and_mode(fd, tmp_path)  # a directory's mode is not a file's: unchanged
    finally:
        os.close(fd)
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    assert (new.stat().st_uid, new.stat().st_gid) == (old.stat().st_uid, old.stat().st_gid)


# Small JSON files -------------------------------------------------------------------------------------------


def test_read_json_reads_an_object(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"key": "\x1b[2J", "n": 1}))
    assert read_json(path) == {"key": "\x1b[2J", "n": 1}


@pytest.mark.parametrize(
    "content",
    [b"[1, 2]", b'"text"', b"null", b"{not json", b"\xff\xfe", b"", b'{"a": ' + b"1" * 70_000 + b"}"],
    ids=["list", "string", "null", "garbage", "binary", "empty", "larger-than-64k"],
)
def test_read_json_is_empty_for_anything_but_a_small_object(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(content)
    assert read_json(path) == {}


def test_read_json_never_follows_a_link_nor_blocks_on_a_fifo(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"token": "x"}')
    link = tmp_path / "s.json"
    link.symlink_to(secret)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert read_json(link) == {}
    assert read_json(fifo) == {}  # returns at once: no writer is waited for
    assert read_json(tmp_path) == {}
    assert read_json(tmp_path / "missing.json") == {}


# Writing to a pipe -----------------------------------------------------------------------------------------


def test_write_fully_delivers_more_than_a_pipe_holds(tmp_path: Path) -> None:
    out = tmp_path / "received"
    data = os.urandom(1024 * 1024)
    with out.open("wb") as sink:
        reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=sink)
        assert reader.stdin is not None
        write_fully(typing.cast(BinaryIO, reader.stdin), data)
        reader.stdin.close()
        assert reader.wait(timeout=60) == 0
    assert out.read_bytes() == data


def test_a_reader_that_quits_is_a_broken_pipe_not_a_short_file() -> None:
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    with pytest.raises(BrokenPipeError):
        for _ in range(64):  # head quits after 10 bytes; at most a few pipes' worth are taken before the error
            write_fully(typing.cast(BinaryIO, reader.stdin), b"x" * 1024 * 1024)
    reader.wait(timeout=60)
    with contextlib.suppress(BrokenPipeError):
        reader.stdin.close()


def test_write_fully_gives_an_in_memory_stream_everything() -> None:
    stream = io.BytesIO()
    write_fully(stream, memoryview(b"abc"))
    write_fully(stream, bytearray(b"def"))
    assert stream.getvalue() == b"abcdef"
