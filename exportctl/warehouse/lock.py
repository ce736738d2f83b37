"""Loads into one database take turns, across processes: an flock on a lock file beside the database.

`.DB.exportctl-lock` (the one file lock of state/lock.py: opened without following a symbolic link, a regular
file only, polled by `wait_for`) is locked for the whole
load and removed, still locked, when it ends: a run that was waiting on the removed file sees that the name
no longer leads to the file it locked (`files.opening.open_locked` compares them) and tries again on a new
one, so two runs never hold two different files. A second
load waits up to `EXPORTCTL_LOCK_WAIT` seconds (default 60), polling, then fails with LockedError (exit 8)
naming the database; Ctrl-C or SIGTERM while it waits stops it at once. Within one process the same
flock serialises threads (`run --parallel`), since each load opens the file anew.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from exportctl.errors import LockedError, OutputError, UsageError
from exportctl.masking import printable

ENV_LOCK_WAIT = "EXPORTCTL_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 60.0
POLL = 0.05


def lock_path(database: Path) -> Path:
    return database.with_name(f".{database.name}.exportctl-lock")


def lock_wait() -> float:
    """Seconds a load waits for another one into the same database (EXPORTCTL_LOCK_WAIT, default 60)."""
    text = os.environ.get(ENV_LOCK_WAIT, "").strip()
    if not text:
        return DEFAULT_LOCK_WAIT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise UsageError(
            f"{ENV_LOCK_WAIT}={printable(text)!r} is not a number of seconds from 0 to 86400.",
            hint=f"For example: {ENV_LOCK_WAIT}=60",
        )
    return seconds


@contextlib.contextmanager
def database_lock(database: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the database's lock file for the block; LockedError after `wait` seconds (lock_wait())."""
    from exportctl.files.opening import open_locked
    from exportctl.state.lock import wait_for

    seconds = lock_wait() if wait is None else wait
    path = lock_path(database)
    try:
        handle = wait_for(lambda: open_locked(path), seconds, poll=POLL)
    except OSError as exc:
        raise OutputError(
            f"Cannot open the lock file {printable(str(path))} of the database: {exc.strerror or exc}.",
            hint="It must be a regular file (not a symbolic link) in a directory you can write.",
        ) from None
    if handle is None:
        raise LockedError(
            f"Another exportctl run is loading into {printable(str(database))}; waited {seconds:g} s, "
            "nothing was loaded.",
            hint=f"Run again once it is done, or wait longer: {ENV_LOCK_WAIT}=SECONDS.",
        )
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still holding it; see the module's docstring
        handle.close()
