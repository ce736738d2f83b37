"""The generated data of `exportctl --sandbox`, kept between runs in the user's cache directory.

`exportctl --sandbox COMMAND` serves the data of `exportctl sandbox`'s defaults (seed 42, scale 1, history
ending today), so the ids the README shows exist under both. Generating it takes a second or two, so the
database is kept in `$XDG_CACHE_HOME/exportctl/sandbox/` (`~/.cache/exportctl/sandbox/` by default) under a
name made of the generator version, seed, scale and as-of day, and each run serves a copy of it. A new entry
is written to a temporary file (O_EXCL, a name no other run can compute) and renamed into place, so two runs
never see half a file; an entry whose meta row does not say what its name says is generated again. When the
cache cannot be used (a read-only home, a full disk), the data is generated for the run alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from exportctl.sandbox import dbfile, records
from exportctl.sandbox.store import GENERATOR_VERSION, Store

ENTRY_PREFIX = "sandbox-"
ENTRY_SUFFIX = ".sqlite3"
TEMP_PREFIX = ".sandbox-"
# A temporary file this old is left over from a run that was killed while generating.
STALE_TEMP_SECONDS = 3600.0


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/exportctl/sandbox`, or `~/.cache/exportctl/sandbox` (a relative XDG value is ignored)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or ""
    root = Path(base) if Path(base).is_absolute() else Path.home() / ".cache"
    return root / "exportctl" / "sandbox"


def entry_name(seed: int, scale: float, as_of: date | datetime) -> str:
    """The file name of one cache entry: generator version, seed, scale and as-of, in safe characters only."""
    key = f"v{GENERATOR_VERSION}-seed{seed}-scale{float(scale)!r}-{records.as_of_text(as_of)}"
    return ENTRY_PREFIX + re.sub(r"[^A-Za-z0-9.-]", "_", key) + ENTRY_SUFFIX


def _wanted(seed: int, scale: float, as_of: date | datetime) -> dict[str, str]:
    return {
        "seed": str(seed),
        "scale": repr(float(scale)),
        "as_of": records.as_of_text(as_of),
        "version": GENERATOR_VERSION,
    }


def _holds(path: Path, wanted: dict[str, str]) -> bool:
    try:
        return path.is_file() and not path.is_symlink() and dbfile.inspect(path).meta == wanted
    except (OSError, dbfile.SandboxDatabaseError):
        return False


def cached_database(
    seed: int, scale: float, as_of: date | datetime, environ: Mapping[str, str] | None = None
) -> Path | None:
    """A cache entry holding this data (generated now when missing); None when the cache cannot be used."""
    directory = cache_dir(environ)
    entry = directory / entry_name(seed, scale, as_of)
    wanted = _wanted(seed, scale, as_of)
    if _holds(entry, wanted):
        return entry
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
    except OSError:
        return None
    os.close(handle)
    temp = Path(name)
    try:
        Store(temp, seed=seed, scale=scale, as_of=as_of).open()
        _journal_mode(temp, "DELETE")  # an entry is only read: no -wal or -shm file next to it
        temp.replace(entry)
    except (OSError, dbfile.SandboxDatabaseError):
        return None
    finally:
        for leftover in (temp, *(temp.with_name(temp.name + end) for end in ("-wal", "-shm", "-journal"))):
            with contextlib.suppress(OSError):
                leftover.unlink()
    _prune(directory, keep=entry.name)
    return entry if _holds(entry, wanted) else None


def _journal_mode(path: Path, mode: str) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA journal_mode = {mode}")
    finally:
        conn.close()


def _prune(directory: Path, keep: str) -> None:
    """Remove the other entries (an earlier day's, an older generator's) and temporary files left by killed runs."""
    now = time.time()
    with contextlib.suppress(OSError):
        for path in directory.iterdir():
            name = path.name
            old_entry = name.startswith(ENTRY_PREFIX) and not name.startswith(keep)
            with contextlib.suppress(OSError):
                stale_temp = name.startswith(TEMP_PREFIX) and now - path.lstat().st_mtime > STALE_TEMP_SECONDS
                if old_entry or stale_temp:
                    path.unlink()


def embedded_database(directory: Path, seed: int, scale: float, as_of: date | datetime) -> Path:
    """A database file in `directory` for one run's sandbox: a copy of the cache entry when there is one.

    When there is none, the path is returned all the same, and the sandbox generates the data into it.
    """
    target = directory / "sandbox.sqlite3"
    cached = cached_database(seed, scale, as_of)
    if cached is not None:
        try:
            shutil.copyfile(cached, target)
            _journal_mode(target, "WAL")  # as the sandbox makes its own files: readers never wait for a writer
        except (OSError, sqlite3.Error):  # removed or replaced meanwhile: generate this run's own
            with contextlib.suppress(OSError):
                target.unlink()
    return target
