"""Incremental exports: the state file of watermarks, and the lock that keeps overlapping runs apart.

The state file is JSON, one entry per export::

    {"version": 1, "exports": {"order:3f0c9a1be2d4c5f6": {"watermark": "2024-05-01T02:00:00.000Z", ...}}}

An export's key is its subcommand and a digest of its endpoint and request body (fields, order, filters,
scope) before the time window is added, so changing any parameter starts a new watermark; an explicit
name (`--state-key`) keeps one watermark across parameter changes. The watermark is the start time of
the last run whose file was completely saved; the next run exports [watermark, its own start).

The state file is replaced atomically (temporary file, fsync, rename), so a crash leaves the old
watermark or the new one, never a torn file. `STATE.lock` is held with `flock` for the whole run: a
second run on the same state file fails at once with LockedError (exit 8), and the kernel releases the
lock when a process dies, so there are no stale locks to clean up.

Standard library only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from exportctl.errors import ExportctlError, LockedError, OutputError, UsageError
from exportctl.files.atomic import write_json_atomically
from exportctl.files.opening import CLOEXEC, NOFOLLOW, NONBLOCK
from exportctl.request.model import ExportRequest

STATE_VERSION = 1
LOCK_SUFFIX = ".lock"


def state_key(request: ExportRequest, explicit: str | None = None) -> str:
    """`explicit`, or `COMMAND:DIGEST` of the endpoint and body (before any time window is added)."""
    if explicit:
        return explicit
    return f"{request.obj.command}:{request.fingerprint()[:16]}"


def lock_path(state: Path) -> Path:
    """The lock file of a state file: `STATE.lock`."""
    return state.with_name(state.name + LOCK_SUFFIX)


class StateLock:
    """An exclusive, non-blocking `flock` on `STATE.lock`, held while the export runs."""

    def __init__(self, state: Path) -> None:
        self.path = lock_path(state)
        self._fd: int | None = None
        self._local: _ProcessLock | None = None

    def acquire(self) -> None:
        """Take the lock, or raise LockedError naming the lock file (and the holder's pid when known).

        Exports of one process that share a state file (`run --parallel`) take turns: a flock is held per
        open file, so without the in-process lock the second would find the first holding it.
        """
        local = _process_lock(self.path)
        # The thread that holds it already is a second run in its own right: the flock refuses it below.
        self._local = local if local.take() else None
        try:
            self._fd = self._lock_file()
        except BaseException:
            if self._local is not None:
                self._local.give_back()
                self._local = None
            raise

    def _lock_file(self) -> int:
        import fcntl  # POSIX only; imported here so the module itself imports anywhere

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW | CLOEXEC | NONBLOCK, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UsageError(
                    f"The lock file {self.path} is a symbolic link, which exportctl never writes through.",
                    hint=f"Remove it: rm {self.path}",
                ) from None
            if exc.errno == errno.ENOENT and not self.path.parent.is_dir():
                raise UsageError(
                    f"The directory of the state file, {self.path.parent}, does not exist.",
                    hint=f"Create it with: mkdir -p {self.path.parent}",
                ) from None
            raise OutputError(f"Cannot open the lock file {self.path}: {exc.strerror or exc}.") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UsageError(f"The lock file {self.path} exists and is not a regular file.")
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            by = f" (process {holder})" if holder else ""
            raise LockedError(
                f"Another run of this incremental export holds the lock {self.path}{by}; not starting a second one.",
                hint="It ends by itself; the lock is released when that process exits, even if it crashes.",
            ) from None
        except OSError as exc:
            os.close(fd)
            raise OutputError(f"Cannot lock {self.path}: {exc.strerror or exc}.") from None
        except BaseException:
            os.close(fd)
            raise
        # The pid is only for the message a second run prints; the lock itself is the flock.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        return fd

    def release(self) -> None:
        """Let go of the lock; the file stays (removing it would race with a run that just opened it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)
        local, self._local = self._local, None
        if local is not None:
            local.give_back()

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class _ProcessLock:
    """Lets the threads of one process take turns on a lock file; a flock alone would refuse the second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def take(self) -> bool:
        """Wait for the other threads; False (not taken) when this thread holds it already."""
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


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class Watermark:
    """Where the last complete run of one export ended."""

    key: str
    at: dt.datetime | None  # None: no complete run yet


class WatermarkStore:
    """The JSON state file: read a watermark, move it after a complete run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"version": STATE_VERSION, "exports": {}}
        except OSError as exc:
            raise UsageError(f"Cannot read the state file {self.path}: {exc.strerror or exc}.") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(
                f"The state file {self.path} is not valid JSON ({exc}).",
                hint="Fix or remove it; without it the next run exports everything again (or from --since).",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("exports"), dict):
            raise UsageError(f"The state file {self.path} is not an exportctl state file (no 'exports' mapping).")
        return data

    def read(self, key: str) -> Watermark:
        """The watermark of `key` (None when it never completed); UsageError for an entry of the wrong shape.

        A wrong entry is not taken for "never ran": that would export everything again, duplicating a warehouse.
        """
        entry = self._load()["exports"].get(key)
        if entry is None:
            return Watermark(key, None)
        watermark = entry.get("watermark") if isinstance(entry, dict) else None
        if not isinstance(watermark, str):
            got = f"a {type(entry).__name__}" if not isinstance(entry, dict) else f"watermark {watermark!r:.60}"
            raise UsageError(
                f"The state file {self.path}: the entry of {key} is not an exportctl state entry ({got}; "
                'expected an object with a "watermark" date-time string).',
                hint="Fix the entry, or remove it to export everything again (or from --since).",
            )
        from exportctl.request.values import INSTANT_RANGE, in_range

        try:
            at = dt.datetime.fromisoformat(watermark.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"The state file {self.path}: watermark of {key} is not a date-time.") from None
        at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
        try:
            inside = in_range(at.astimezone(dt.timezone.utc))
        except OverflowError:
            inside = False
        if not inside:
            raise UsageError(
                f"The state file {self.path}: watermark of {key} ({watermark!r:.40}) is out of range: "
                f"exportctl takes {INSTANT_RANGE}.",
                hint="Fix the entry, or remove it to export everything again (or from --since).",
            )
        return Watermark(key, at)

    def advance(self, key: str, entry: dict[str, Any]) -> None:
        """Set `key`'s entry (with its new `watermark`), replacing the file atomically; other keys are kept."""
        data = self._load()
        data["version"] = STATE_VERSION
        data["exports"][key] = entry
        write_json_atomically(self.path, data)


@contextlib.contextmanager
def rerun_hint(state: Path, start: str | None) -> Iterator[None]:
    """An incremental run that did not save its file: the hint is the same command again, never wait/download.

    `exportctl wait ID && exportctl download ID` would save a file the watermark does not cover: the next
    `--since-last` run would export the same window again (or the window would look done when it is not).
    """
    try:
        yield
    except ExportctlError as error:
        if error.hint is not None and any(word in error.hint for word in ("exportctl wait", "exportctl download")):
            since = f" (from {start})" if start is not None else ""
            error.hint = (
                f"The watermark in {state} did not move: run the same command again to export this window{since}; "
                "it is not done until that run saves its file."
            )
        raise
