"""Which SQLite files the sandbox may fill or rebuild: only new ones and its own.

`exportctl sandbox --db FILE` is pointed at paths people type, so a typo can name an application's
database. The sandbox marks its files (`PRAGMA application_id` and its `meta` table) and refuses,
before it changes anything, a file it did not make.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from exportctl.sandbox import tables

# "exSB" in ASCII: what `PRAGMA application_id` holds in every file the sandbox made.
APPLICATION_ID = 0x65785342
_SQLITE_HEADER = b"SQLite format 3\x00"
# Files from before the marker existed: every sandbox table, and a meta table with exactly these keys.
_LEGACY_META_KEYS = {"seed", "scale", "version"}


class SandboxDatabaseError(Exception):
    """The file given as the sandbox's database is not one it may use; nothing in it was changed."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Inspection:
    """What a database file holds, as far as the sandbox cares."""

    empty: bool
    meta: dict[str, str]


def inspect(path: Path) -> Inspection:
    """Read a file without writing to it; raises SandboxDatabaseError for a file the sandbox must not touch."""
    if path.is_dir():
        raise SandboxDatabaseError(path, "is a directory, not an SQLite file")
    if not path.exists() or path.stat().st_size == 0:
        return Inspection(empty=True, meta={})
    with path.open("rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if header != _SQLITE_HEADER:
        raise SandboxDatabaseError(path, "is not an SQLite database; give a new file or one the sandbox made")
    # Read-only, so that inspecting a stranger's file cannot even create a journal next to it.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        meta = _meta(conn) if "meta" in names else {}
    except sqlite3.DatabaseError as error:
        raise SandboxDatabaseError(path, f"cannot be read as an SQLite database ({error})") from None
    finally:
        conn.close()
    if application_id == APPLICATION_ID:
        return Inspection(empty=False, meta=meta)
    if not names:
        return Inspection(empty=True, meta={})
    ours = {*tables.TABLE_NAMES.values(), *tables.INTERNAL_TABLES}
    if application_id == 0 and meta.keys() == _LEGACY_META_KEYS and names == ours:
        return Inspection(empty=False, meta=meta)
    shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
    raise SandboxDatabaseError(
        path,
        f"holds tables the sandbox did not make ({shown}); it was left untouched. "
        "Give a new file, or one an earlier `exportctl sandbox --db` made",
    )


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    try:
        return {str(key): str(value) for key, value in conn.execute("SELECT key, value FROM meta")}
    except sqlite3.DatabaseError:
        return {}


def rebuild_reason(found: dict[str, str], wanted: dict[str, str]) -> str:
    """Why a sandbox file made with other settings is regenerated, for the person who gave it."""
    names = {"seed": "seed", "scale": "scale", "as_of": "as-of", "version": "generator version"}
    changes = [
        f"{label} {found.get(key, 'unknown')} (now {wanted[key]})"
        for key, label in names.items()
        if key in wanted and found.get(key) != wanted[key]
    ]
    return "it held data made with " + ", ".join(changes) if changes else "its data was incomplete"
