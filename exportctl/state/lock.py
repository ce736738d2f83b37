"""The one file lock of exportctl: `flock` on a lock file beside what it guards, opened without following links.

Every lock exportctl takes is this one: the state file's (`STATE.lock`, jobs/watermarks.py), the profile
file's (`.config.yaml.lock`, files/locked_update.py), a download's `TARGET.part` (files/opening.py
`open_locked`) and a database's load lock (warehouse/lock.py). The pieces:

- `open_lock_file`: the lock file, created when missing, opened with O_NOFOLLOW|O_NONBLOCK (a planted
  symbolic link is OSError ELOOP, a FIFO does not hang the open) and checked with fstat to be a regular file
  (`NotRegularFile` otherwise);
- `try_flock`: one non-blocking `flock(LOCK_EX)`; False when another open file holds it;
- `wait_for`: retry an attempt every `poll` seconds until `wait` seconds have passed (or a stop is set);
- `FileLock`: those three, plus what a state file needs: threads of one process that share a lock file take
  turns (a flock is held per open file, so without it the second thread would find the first holding it),
  and the holder's pid is written into the file for the message a second run prints.

The kernel releases a flock when its process dies: there are no stale locks to clean up, and a lock file
is never removed by the run that waits on it (removing it would race a run that just opened it).

Standard library only; `fcntl` is imported when a lock is taken, so the module imports anywhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
POLL = 0.02  # seconds between two attempts while waiting for a lock

T = TypeVar("T")


class NotRegularFile(OSError):
    """The path of a lock or state file holds something else than a regular file (a directory, a FIFO...)."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(errno.EINVAL, f"{path} is not a regular file")
        self.path = path
        self.mode = mode


class LockBusy(Exception):
    """Another open file holds the lock (and kept it for the whole wait); `holder` is its pid when known."""

    def __init__(self, path: Path, holder: int | None) -> None:
        super().__init__(f"{path} is locked")
        self.path = path
        self.holder = holder


def open_lock_file(path: Path, mode: int = 0o644) -> int:
    """The descriptor of `path` opened for update (created with `mode` when missing), never through a link.

    OSError ELOOP for a symbolic link, NotRegularFile for anything but a regular file, other OSErrors as
    the system raises them.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | NOFOLLOW | CLOEXEC | NONBLOCK, mode)
    try:
        kind = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(kind):
        os.close(fd)
        raise NotRegularFile(path, kind)
    return fd


def try_flock(fd: int) -> bool:
    """Take the exclusive flock on `fd` if no other open file holds it; False when one does."""
    import fcntl  # POSIX only

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def still_named(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open at `fd` (a lock file removed or replaced while one waited is not)."""
    try:
        named = os.lstat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino) and opened.st_nlink == 1


def wait_for(
    attempt: Callable[[], T | None], wait: float, *, poll: float = POLL, stop: threading.Event | None = None
) -> T | None:
    """`attempt()` until it returns something, for at most `wait` seconds; None when it never did.

    With `stop`, the wait between attempts ends on it (its `sleep` raises KeyboardInterrupt for a session's
    StopEvent, which is how a stopped run stops waiting for a lock).
    """
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        got = attempt()
        if got is not None:
            return got
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        pause = min(poll, left)
        sleep = getattr(stop, "sleep", None)
        if callable(sleep):
            sleep(pause)
        else:
            time.sleep(pause)


class FileLock:
    """An exclusive flock on the file at `path`, held between `acquire` and `release` (or as a `with` block).

    `wait` seconds of polling before LockBusy (0: fail at once). With `note_pid` the holder's pid is written
    into the file (and cleared on release), for the message another run prints. Threads of one process
    that lock the same file take turns; the thread holding it already is refused, as another run would be.
    """

    def __init__(self, path: Path, *, mode: int = 0o644, wait: float = 0.0, note_pid: bool = False) -> None:
        self.path = path
        self.mode = mode
        self.wait = wait
        self.note_pid = note_pid
        self._fd: int | None = None
        self._local: _ProcessLock | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock; LockBusy when another run holds it for the whole wait; OSError as `open_lock_file`."""
        local = _process_lock(self.path)
        self._local = local if local.take() else None
        try:
            self._fd = self._take()
        except BaseException:
            self._give_back_local()
            raise

    def _take(self) -> int:
        fd = open_lock_file(self.path, self.mode)
        try:
            if wait_for(lambda: True if try_flock(fd) else None, self.wait) is None:
                raise LockBusy(self.path, read_pid(fd))
        except BaseException:
            os.close(fd)
            raise
        if self.note_pid:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
        return fd

    def release(self) -> None:
        """Let go of the lock; the file stays (removing it would race with a run that just opened it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            if self.note_pid:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            os.close(fd)
        self._give_back_local()

    def _give_back_local(self) -> None:
        local, self._local = self._local, None
        if local is not None:
            local.give_back()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def read_pid(fd: int) -> int | None:
    """The pid a holder wrote into its lock file, or None."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class _ProcessLock:
    """Lets the threads of one process take turns on a lock file; a flock alone would refuse the second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def take(self) -> bool:
        """Wait for the other threads; False (not taken) when this thread holds it already.

        A lock with no wait of its own still waits for the other threads of its process: they are the same
        run (`run --parallel` entries sharing a state file), which take turns rather than refuse each other.
        """
        if self._owner == threading.get_ident():
            return False
        self._lock.acquire()
        self._owner = threading.get_ident()
        return True

    def give_back(self) -> None:
        self._owner = None
        self._lock.release()


_PROCESS_LOCKS: dict[str, _ProcessLock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(path: Path) -> _ProcessLock:
    """This process's lock for one lock file, whatever name it is reached by."""
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(os.path.realpath(path), _ProcessLock())
