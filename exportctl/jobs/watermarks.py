"""Incremental exports: the state file of watermarks, and the lock that keeps overlapping runs apart.

The state file is JSON, one entry per export::

    {"version": 1, "exports": {"order:3f0c9a1be2d4c5f6": {"watermark": "2024-05-01T02:00:00.000Z", ...}}}

An export's key is its subcommand and a digest of its endpoint and request body (fields, order, filters,
scope) before the time window is added, so changing any parameter starts a new watermark; an explicit
name (`--state-key`) keeps one watermark across parameter changes. The watermark is the start time of
the last run whose file was completely saved; the next run exports [watermark, its own start).

The state file is a document of the state store (state/store.py): read without following a link, and
replaced atomically (temporary file, fsync, rename), so a crash leaves the old watermark or the new one,
never a torn file; one written by a newer exportctl (a higher "version") is refused, not misread.
`STATE.lock` is held with `flock` (state/lock.py) for the whole run: a second run on the same state file
fails at once with LockedError (exit 8), and the kernel releases the lock when a process dies, so there
are no stale locks to clean up.

`--since-last s3://BUCKET/state.json` (gs://, az://) keeps the same document in an object (remote/state.py):
replaced by compare-and-swap on its ETag, locked by `state.json.lock`, an object created with
`If-None-Match: *` that carries an expiry, so a crashed run's lock is taken over once it expired. Unlike the
local lock, two entries of one `run --parallel` on one bucket state do not take turns: the second exits 8.

Standard library only (obstore, for a state in a bucket, through remote/).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from exportctl.errors import ExportctlError, LockedError, OutputError, UsageError
from exportctl.remote.urls import RemoteUrl, is_remote, parse_url
from exportctl.request.model import ExportRequest, RunOptions
from exportctl.state.lock import FileLock, LockBusy, NotRegularFile
from exportctl.state.store import Conflict, LocalJsonStore, StateProblem

if TYPE_CHECKING:
    from exportctl.remote.state import BucketJsonStore, BucketLock

STATE_VERSION = 1
LOCK_SUFFIX = ".lock"


def state_key(request: ExportRequest, explicit: str | None = None) -> str:
    """`explicit`, or `COMMAND:DIGEST` of the endpoint and body (before any time window is added)."""
    if explicit:
        return explicit
    return f"{request.obj.command}:{request.fingerprint()[:16]}"


def run_key(request: ExportRequest, options: RunOptions) -> str:
    """The state key of an incremental run: `state_key`, with `@updated_at` when it follows that cursor.

    A created_at run keeps the key it always had (older state files read as before); a run on another
    cursor never reads the watermark of a created_at run, and the reverse.
    """
    from exportctl.request.cursor import keyed

    return keyed(state_key(request, options.incremental_key), options.cursor)


def state_place(text: str) -> Path | RemoteUrl:
    """Where `--since-last` keeps its state: a local file, or an object in a bucket (`s3://.../state.json`)."""
    return parse_url(text, what="--since-last") if is_remote(text) else Path(text).expanduser()


def lock_path(state: Path) -> Path:
    """The lock file of a state file: `STATE.lock`."""
    return state.with_name(state.name + LOCK_SUFFIX)


class StateLock:
    """An exclusive, non-blocking lock on `STATE.lock` (state/lock.py's FileLock), held while the export runs."""

    def __init__(self, state: Path | RemoteUrl) -> None:
        self.path: Path | RemoteUrl = state
        self._bucket: BucketLock | None = None
        self._lock: FileLock | None = None
        if isinstance(state, RemoteUrl):  # a lock object with an expiry (remote/state.py); the same exit 8
            from exportctl.remote.state import BucketJsonStore

            self._bucket = BucketJsonStore(state, version=STATE_VERSION).lock()
            return
        self.path = lock_path(state)
        self._lock = FileLock(self.path, mode=0o644, wait=0.0, note_pid=True)

    def acquire(self) -> None:
        """Take the lock, or raise LockedError naming the lock file (and the holder's pid when known).

        Exports of one process that share a state file (`run --parallel`) take turns (FileLock's threads
        do); a second run fails at once.
        """
        if self._bucket is not None:
            self._bucket.__enter__()
            return
        path, lock = self.path, self._lock
        assert isinstance(path, Path) and lock is not None
        try:
            lock.acquire()
        except LockBusy as busy:
            by = f" (process {busy.holder})" if busy.holder else ""
            raise LockedError(
                f"Another run of this incremental export holds the lock {path}{by}; not starting a second one.",
                hint="It ends by itself; the lock is released when that process exits, even if it crashes.",
            ) from None
        except NotRegularFile:
            raise UsageError(f"The lock file {path} exists and is not a regular file.") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UsageError(
                    f"The lock file {path} is a symbolic link, which exportctl never writes through.",
                    hint=f"Remove it: rm {path}",
                ) from None
            if exc.errno == errno.ENOENT and not path.parent.is_dir():
                raise UsageError(
                    f"The directory of the state file, {path.parent}, does not exist.",
                    hint=f"Create it with: mkdir -p {path.parent}",
                ) from None
            raise OutputError(f"Cannot open the lock file {path}: {exc.strerror or exc}.") from None

    def release(self) -> None:
        """Let go of the lock; the file stays (removing it would race with a run that just opened it)."""
        if self._bucket is not None:
            self._bucket.__exit__(None, None, None)  # the object goes, while it is still this run's
        elif self._lock is not None:
            self._lock.release()

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


@dataclass(frozen=True)
class Watermark:
    """Where the last complete run of one export ended."""

    key: str
    at: dt.datetime | None  # None: no complete run yet


class WatermarkStore:
    """The JSON state file: read a watermark, move it after a complete run."""

    def __init__(self, path: Path | RemoteUrl) -> None:
        self.path = path
        self._store: LocalJsonStore | BucketJsonStore
        if isinstance(path, RemoteUrl):  # compare-and-swap on the object's ETag (remote/state.py)
            from exportctl.remote.state import BucketJsonStore

            self._store = BucketJsonStore(path, version=STATE_VERSION)
        else:
            self._store = LocalJsonStore(path, version=STATE_VERSION, lock_path=lock_path(path))

    def _load(self) -> dict[str, Any]:
        try:
            data = self._store.read().doc
        except StateProblem as problem:
            raise self._problem(problem) from None
        if data is None:
            return {"version": STATE_VERSION, "exports": {}}
        if not isinstance(data.get("exports"), dict):
            raise UsageError(f"The state file {self.path} is not an exportctl state file (no 'exports' mapping).")
        return data

    def _problem(self, problem: StateProblem) -> UsageError:
        if problem.kind == "json":
            return UsageError(
                f"The state file {self.path} {problem.reason}.",
                hint="Fix or remove it; without it the next run exports everything again (or from --since).",
            )
        if problem.kind == "shape":
            return UsageError(f"The state file {self.path} is not an exportctl state file (no 'exports' mapping).")
        if problem.kind in ("io", "not-regular"):
            return UsageError(f"Cannot read the state file {self.path}: {problem.detail}.")
        if problem.kind == "version":
            return UsageError(
                f"The state file {self.path} {problem.reason}.",
                hint="Run that newer exportctl, or give another state file to --since-last.",
            )
        return UsageError(
            f"The state file {self.path} {problem.reason}.",
            hint="Remove it, or give another state file to --since-last.",
        )

    def read(self, key: str, cursor: str = "created_at") -> Watermark:
        """The watermark of `key` (None when it never completed); UsageError for an entry of the wrong shape.

        A wrong entry is not taken for "never ran": that would export everything again, duplicating a warehouse.
        An entry written for another cursor (`"cursor"`; none: created_at, as every entry before it was kept)
        is refused: a created_at watermark says nothing of the changes made since.
        """
        entry = self._load()["exports"].get(key)
        if entry is None:
            return Watermark(key, None)
        written = entry.get("cursor", "created_at") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and written != cursor:
            from exportctl.masking import printable

            raise UsageError(
                f"The state file {self.path}: the entry of {key} follows "
                f"{printable(str(written))[:40]}, not {cursor}; its watermark does not apply to this run.",
                hint="Give this run another --state-key, or another state file to --since-last.",
            )
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
        try:
            snapshot = self._store.read()
        except StateProblem as problem:
            raise self._problem(problem) from None
        data = snapshot.doc if snapshot.doc is not None else {"exports": {}}
        if not isinstance(data.get("exports"), dict):
            raise UsageError(f"The state file {self.path} is not an exportctl state file (no 'exports' mapping).")
        data["exports"][key] = entry
        try:
            # The run holds the state's lock: nobody else writes it between the read and this write.
            self._store.write_if_unchanged(data, snapshot.token)
        except Conflict:
            raise LockedError(
                f"The state file {self.path} was changed by someone else during this run; the watermark did not move.",
                hint="Run the same command again.",
            ) from None
        except OSError as exc:
            raise OutputError(f"Cannot write {self.path}: {exc.strerror or exc}.") from None


@contextlib.contextmanager
def rerun_hint(state: Path | RemoteUrl, start: str | None) -> Iterator[None]:
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
