"""The one file lock: never through a link, only a regular file, refused while another process holds it."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from exportctl.state.lock import FileLock, LockBusy, NotRegularFile, open_lock_file, still_named, try_flock, wait_for

HOLDER = """
import sys
from pathlib import Path
from exportctl.state.lock import FileLock
lock = FileLock(Path(sys.argv[1]), note_pid=True)
lock.acquire()
print("held", flush=True)
sys.stdin.read()  # held until the test closes our standard input
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock on `tmp_path / "x.lock"`, until it is told to end."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "x.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def test_another_process_holding_it_is_named_by_its_pid(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(LockBusy) as caught:
        FileLock(tmp_path / "x.lock", wait=0.1).acquire()
    assert caught.value.holder == holder.pid
    assert holder.stdin is not None
    holder.stdin.close()  # it ends; the kernel lets go of its lock
    holder.wait()
    with FileLock(tmp_path / "x.lock", note_pid=True) as lock:
        assert lock.held
        assert (tmp_path / "x.lock").read_text().strip() == str(os.getpid())
    assert (tmp_path / "x.lock").read_text() == ""  # the pid is cleared; the file stays


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.wait()
    with FileLock(tmp_path / "x.lock"):
        pass


def test_a_symbolic_link_in_its_place_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "x.lock").symlink_to(victim)
    with pytest.raises(OSError) as caught:
        FileLock(tmp_path / "x.lock", note_pid=True).acquire()
    assert caught.value.errno == errno.ELOOP
    assert victim.read_text() == "precious"


def test_a_dangling_link_creates_nothing(tmp_path: Path) -> None:
    (tmp_path / "x.lock").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OSError):
        open_lock_file(tmp_path / "x.lock")
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_or_a_fifo_in_its_place_is_not_a_lock_file(tmp_path: Path) -> None:
    (tmp_path / "dir.lock").mkdir()
    with pytest.raises(OSError):  # a directory cannot be opened for writing at all
        FileLock(tmp_path / "dir.lock").acquire()
    os.mkfifo(tmp_path / "fifo.lock")
    with pytest.raises(NotRegularFile):  # and a FIFO does not hang the open
        FileLock(tmp_path / "fifo.lock").acquire()


def test_the_thread_holding_it_is_refused_and_other_threads_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    inside: list[int] = []
    most = [0]
    guard = threading.Lock()

    def one() -> None:
        with FileLock(path):
            with guard:
                inside.append(1)
                most[0] = max(most[0], len(inside))
            with guard:
                inside.pop()

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    with FileLock(path), pytest.raises(LockBusy):
        FileLock(path).acquire()


def test_a_lock_file_removed_while_held_is_no_longer_named(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    fd = open_lock_file(path)
    try:
        assert try_flock(fd) and still_named(path, fd)
        path.unlink()
        assert not still_named(path, fd)
    finally:
        os.close(fd)


def test_wait_for_tries_until_something_comes_or_the_wait_ends() -> None:
    answers = iter([None, None, "yes"])
    assert wait_for(lambda: next(answers), 10, poll=0) == "yes"
    assert wait_for(lambda: None, 0) is None
