"""The state store: one versioned JSON document per place, read with its version token, written if unchanged.

A document is a JSON object with a format version: `{"version": 1, ...}`. The store is what every piece of
state exportctl keeps goes through (incremental watermarks, split manifests, the poll history; the profile
file uses its lock and writer, its text being YAML). Its interface is three calls, so that a later backend
(object storage, where `write_if_unchanged` is a PUT with `If-Match: ETAG` and `lock` a lease object) can
stand in for the local file without its callers changing:

- `read() -> Snapshot(doc, token)`: the document (None when there is none) and a token naming the version
  that was read;
- `write_if_unchanged(doc, token) -> token`: replace the document if it is still the version `token` names
  (Conflict otherwise; the token `ANY` replaces whatever is there), atomically; the new version's token;
- `lock(wait=..., note_pid=...)`: the exclusive lock of the place, held across a read-modify-write or a
  whole run.

A document that cannot be this store's (a symbolic link or a directory in its place, more than `limit`
bytes, not JSON, not an object, a format version newer than this exportctl reads) is a `StateProblem`
whose `reason` completes a sentence naming the file: the callers say what the file is for.

`LocalJsonStore` is the local-file backend (state/local.py, state/lock.py). Its compare-and-swap compares
the file's device, inode, modification time and size under the store's lock: exact for every writer
that takes the lock, which every writer of exportctl does.
"""

from __future__ import annotations

import errno
import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from exportctl.state.local import MIB, LocalToken, TooLarge, current_token, read_bounded
from exportctl.state.local import replace_atomically as _replace
from exportctl.state.lock import FileLock, NotRegularFile

VERSION_KEY = "version"


class StateProblem(Exception):
    """What is stored cannot be read as the document; `reason` completes "The state file PATH ...".

    `kind`: link, not-regular, size, io, json, shape or version.
    """

    def __init__(self, kind: str, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.detail = detail  # the system's words for an io problem (`Permission denied`)


ANY = object()  # a token that matches whatever is stored: a write that replaces any version (last writer wins)


class Conflict(Exception):
    """The document changed since it was read: `write_if_unchanged` wrote nothing."""


@dataclass(frozen=True)
class Snapshot:
    """A document as read (None: there is none) and the token of that version."""

    doc: dict[str, Any] | None
    token: object


class Lock(Protocol):
    def __enter__(self) -> object: ...
    def __exit__(self, *exc: object) -> None: ...


class StateStore(Protocol):
    """What a backend of the store provides (the local file now; object storage later)."""

    @property
    def where(self) -> str: ...
    def read(self) -> Snapshot: ...
    def write_if_unchanged(self, doc: dict[str, Any], token: object) -> object: ...
    def lock(self, *, wait: float = 0.0, note_pid: bool = False) -> Lock: ...


def decode(data: bytes, newest: int) -> dict[str, Any]:
    """The document in `data`; StateProblem when it is not JSON, not an object, or of a newer format."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        detail = str(exc) if not isinstance(exc, RecursionError) else "nested too deep"
        raise StateProblem("json", f"is not valid JSON ({detail})") from None
    if not isinstance(doc, dict):
        raise StateProblem("shape", f"is not a JSON object (it holds a {type(doc).__name__})")
    version = doc.get(VERSION_KEY, 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StateProblem("shape", f"has no format version exportctl knows ('version': {version!r:.40})")
    if version > newest:
        raise StateProblem(
            "version",
            f"was written by a newer exportctl (format version {version}; this one reads up to {newest})",
        )
    return doc


def encode(doc: dict[str, Any], version: int) -> bytes:
    """The bytes of a document: indented, sorted keys, its format version set."""
    return (json.dumps({**doc, VERSION_KEY: version}, indent=2, sort_keys=True) + "\n").encode("utf-8")


class LocalJsonStore:
    """The store on a local file: `path`, with its lock file beside it (`lock_path`, default `PATH.lock`)."""

    def __init__(
        self,
        path: Path,
        *,
        version: int,
        limit: int = 64 * MIB,
        mode: int | None = None,
        lock_path: Path | None = None,
    ) -> None:
        self.path = path
        self.version = version
        self.limit = limit
        self.mode = mode  # 0o600 for a file that holds secrets; None keeps a replaced file's mode
        self.lock_path = lock_path if lock_path is not None else path.with_name(path.name + ".lock")

    @property
    def where(self) -> str:
        return str(self.path)

    def read(self) -> Snapshot:
        try:
            data, token = read_bounded(self.path, self.limit)
        except OSError as exc:
            raise problem_of(exc) from None
        return Snapshot(None if data is None else decode(data, self.version), token)

    def write_if_unchanged(self, doc: dict[str, Any], token: object) -> LocalToken:
        """Replace the document if the file is still the one `token` names; Conflict otherwise.

        OSError when it cannot be written (the file is left as it was).
        """
        if token is not ANY and current_token(self.path) != token:
            raise Conflict(f"{self.path} changed since it was read")
        return _replace(self.path, encode(doc, self.version), mode=self.mode)

    def lock(self, *, wait: float = 0.0, note_pid: bool = False) -> FileLock:
        return FileLock(self.lock_path, mode=0o600 if self.mode is not None else 0o644, wait=wait, note_pid=note_pid)


def problem_of(exc: OSError) -> StateProblem:
    """The StateProblem of a failed read."""
    from exportctl.profile_reading import file_kind

    if exc.errno == errno.ELOOP:
        return StateProblem("link", "is a symbolic link, which exportctl never reads or writes through")
    if isinstance(exc, NotRegularFile):
        # `Is a directory`: what reading a directory said before the store checked, kept for the messages.
        detail = "Is a directory" if stat.S_ISDIR(exc.mode) else f"it is {file_kind(exc.mode)}"
        return StateProblem("not-regular", f"is {file_kind(exc.mode)}, not a file", detail)
    if isinstance(exc, TooLarge):
        return StateProblem("size", f"is {exc.size} bytes, more than any state file exportctl writes ({exc.limit})")
    detail = str(exc.strerror or exc)
    return StateProblem("io", f"cannot be read: {detail}", detail)
