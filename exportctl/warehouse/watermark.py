"""An incremental run's watermark, kept in the database it loads into (PostgreSQL), in the load's transaction.

`jobs.plan` runs an incremental window inside `pending_watermark(into, key, instant)`: a load into PostgreSQL made
in it writes `instant` into `_exportctl_watermarks` (per table and state key) in the same transaction as the
rows, so the rows and the watermark move together or not at all. The next run starts from the database's
watermark when it has one (`stored`), whatever the state file says: a run killed between the
commit and the state file's write exports its window once, not twice. File engines keep the state file's
watermark alone (their loads and the state file's write are one step apart, as before).

Standard library only: the engine is imported when a database is asked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime

from exportctl.request.into import Into

_PENDING: ContextVar[tuple[str, str] | None] = ContextVar("exportctl_pending_watermark", default=None)


@contextlib.contextmanager
def pending_watermark(into: Into | None, key: str, instant: datetime) -> Iterator[None]:
    """Loads into `into` (a server) made in the block write `instant` as `key`'s watermark with their rows."""
    if into is None or not into.server:
        yield
        return
    from exportctl.request.values import iso_ms

    token = _PENDING.set((key, iso_ms(instant)))
    try:
        yield
    finally:
        _PENDING.reset(token)


def pending() -> tuple[str, str] | None:
    """The (state key, ISO instant) a load made now writes with its rows, or None."""
    return _PENDING.get()


def stored(into: Into | None, key: str, state_file: datetime | None) -> datetime | None:
    """Where `key`'s next window starts: the target database's watermark when it keeps one (a server),
    else the state file's (`state_file`)."""
    if into is None or not into.server:
        return state_file
    from exportctl.warehouse.postgres_engine import read_watermark

    found = read_watermark(into, key)
    if found is None:
        return state_file
    return datetime.fromisoformat(found.replace("Z", "+00:00"))
