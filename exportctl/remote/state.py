"""A JSON state document in a bucket (the watermarks of `--since-last s3://.../state.json`), shared by workers.

The object-storage backend of the state store (`exportctl/state/store.py`'s `StateStore`: `read` -> a
Snapshot of the document and its version token; `write_if_unchanged`; `lock`), beside its local file.

- `read` returns the document and its ETag (None when there is no object yet); a document that cannot be the
  store's is a `StateProblem`, as for the local file.
- `write_if_unchanged` replaces it only if its ETag is still the one read (`If-Match`; `If-None-Match: *` for
  the first write): a writer that came in between is a `StateConflict`, never overwritten.
- `lock` creates `KEY.lock` with `If-None-Match: *`, holding an owner token and an expiry: a second run gets
  LockedError (exit 8) naming the holder and the expiry; a lock past its expiry (a crashed run) is taken over
  by a compare-and-swap on its ETag, so two runs that both find it stale cannot both take it. The lock is
  removed on release only while it is still this run's.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from exportctl.errors import LockedError, OutputError
from exportctl.remote.store import describe, open_store, store_error
from exportctl.remote.urls import RemoteUrl
from exportctl.state.store import ANY, Conflict, Snapshot, StateProblem, decode, encode

if TYPE_CHECKING:
    from obstore.store import ObjectStore

MAX_STATE_BYTES = 1024 * 1024  # a watermark file is a few KiB; a huge object is not ours
DEFAULT_LOCK_SECONDS = 6 * 3600  # longer than any export; a crashed run's lock is taken over after it
LOCK_SUFFIX = ".lock"


class StateConflict(Conflict):
    """The object changed since it was read: another run wrote it in between (the store's Conflict)."""


class BucketJsonStore:
    """One versioned JSON document at `url`, replaced only by compare-and-swap on its ETag."""

    def __init__(self, url: RemoteUrl, *, version: int, store: ObjectStore | None = None) -> None:
        self.url = url
        self.version = version
        self.store = store or open_store(url)

    @property
    def where(self) -> str:
        return str(self.url)

    def read(self) -> Snapshot:
        data, token = _get(self.store, self.url)
        return Snapshot(None if data is None else decode(data, self.version), token)

    def write_if_unchanged(self, doc: dict[str, Any], token: object) -> str | None:
        """Replace the document if it is still the version `token` read (`ANY`: whatever is there); its new
        ETag. StateConflict (a Conflict) if another writer came in between: nothing is overwritten."""
        body = encode(doc, self.version)
        if token is ANY:
            return _put(self.store, self.url, body, "overwrite", what="the state")
        return _put_conditional(self.store, self.url, body, token if isinstance(token, str) else None, what="the state")

    def lock(
        self,
        *,
        wait: float = 0.0,
        note_pid: bool = False,
        seconds: float = DEFAULT_LOCK_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> BucketLock:
        """`KEY.lock`: never waited for (a run that finds it held exits 8), expiring after `seconds`."""
        return BucketLock(self.store, self.url._replace(key=self.url.key + LOCK_SUFFIX), seconds, clock)


class BucketLock:
    """`KEY.lock`, created with If-None-Match: *; stale ones (past `expires_at`) taken over by ETag CAS."""

    def __init__(self, store: ObjectStore, url: RemoteUrl, seconds: float, clock: Callable[[], float]) -> None:
        self.store, self.url, self.seconds, self.clock = store, url, seconds, clock
        self.owner = secrets.token_hex(16)

    def _body(self) -> bytes:
        expires = self.clock() + self.seconds
        return json.dumps({"owner": self.owner, "expires_at": expires}).encode()

    def __enter__(self) -> BucketLock:
        try:
            _put_conditional(self.store, self.url, self._body(), None, what="the lock")
            return self
        except StateConflict:
            pass
        data, token = _get(self.store, self.url)
        held = _lock_fields(data)
        expires = held.get("expires_at")
        if data is not None and isinstance(expires, (int, float)) and expires > self.clock():
            left = expires - self.clock()
            raise LockedError(
                f"Another run holds {self.url} (for {left:.0f} s more, unless it finishes first).",
                hint="Wait for it to finish; a crashed run's lock expires on its own.",
            )
        try:  # missing (released in between), stale or unreadable: take it over, if nobody else did first
            _put_conditional(self.store, self.url, self._body(), token, what="the lock")
        except StateConflict:
            raise LockedError(f"Another run took {self.url} at the same moment.", hint="Try again later.") from None
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        import obstore

        data, _token = _get(self.store, self.url)
        if _lock_fields(data).get("owner") == self.owner:
            try:
                obstore.delete(self.store, self.url.key)
            except Exception as error:  # the lock expires on its own; the run's own outcome matters more
                if exc is None:
                    raise OutputError(f"Cannot remove {self.url}: {describe(error)}") from None


def _lock_fields(data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        fields = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return fields if isinstance(fields, dict) else {}


def _get(store: ObjectStore, url: RemoteUrl) -> tuple[bytes | None, str | None]:
    """The object's bytes and ETag, or (None, None) when there is none; bounded in size."""
    import obstore
    from obstore.exceptions import BaseError, NotFoundError

    try:
        got = obstore.get(store, url.key)
        meta = got.meta
        if meta["size"] > MAX_STATE_BYTES:
            raise StateProblem("size", f"is {meta['size']} bytes, more than any state file exportctl writes")
        return bytes(got.bytes()), meta.get("e_tag")
    except (FileNotFoundError, NotFoundError):
        return None, None
    except BaseError as exc:
        raise store_error(exc, url, "reading it") from None


def _put_conditional(store: ObjectStore, url: RemoteUrl, body: bytes, token: str | None, *, what: str) -> str | None:
    """PUT `body` if the object is still at ETag `token` (None: if there is no object); its new ETag."""
    return _put(store, url, body, "create" if token is None else {"e_tag": token}, what=what)


def _put(store: ObjectStore, url: RemoteUrl, body: bytes, mode: Any, *, what: str) -> str | None:
    import obstore
    from obstore.exceptions import AlreadyExistsError, BaseError, PreconditionError

    try:
        result = obstore.put(store, url.key, body, mode=mode, use_multipart=False)
    except (AlreadyExistsError, PreconditionError, FileExistsError):
        raise StateConflict(f"{url} changed since it was read: another run wrote {what} in between.") from None
    except BaseError as exc:
        raise store_error(exc, url, f"writing {what}") from None
    return result.get("e_tag")
