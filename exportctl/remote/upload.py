"""Upload a complete, verified local file so that the object appears only at the commit, or not at all.

- A file up to `SINGLE_PUT_MAX` goes in ONE PUT with `If-None-Match: *` (obstore's `mode="create"`) unless
  `force`: the object appears when that request completes, and a writer that appeared since the check before
  submitting is caught there (412), its object untouched.
- A larger file goes as a multipart upload (S3 CompleteMultipartUpload, Azure Put Block List, GCS's final
  request): nothing is visible before the last call. obstore sends no precondition with that last call, so
  without `force` the object's absence is checked once more right before the upload starts (a short window).
- The bytes are read, counted and hashed as they are sent; a file that changed under us (size or sha256 not
  what the download verified) raises before the last part, and obstore aborts the upload: no object, no open
  multipart upload. So does any store error, a stop of the session (`check`) and Ctrl-C/SIGTERM, which reach
  this thread as KeyboardInterrupt while it reads the next part.
- A stop that lands after the last request went out (the commit itself) removes the object again, recognised
  by the random `exportctl_upload` token stored on it, so an interrupted run never leaves an object behind.

The object carries `sha256` (the `--json` sha256) and `exportctl_upload` as user metadata.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exportctl.errors import OutputError, UsageError
from exportctl.remote.store import describe, open_store, store_error
from exportctl.remote.urls import RemoteUrl

if TYPE_CHECKING:
    from obstore.store import ObjectStore

# Above this a file is sent in parts; below it in one PUT held in memory (obstore's conditional PUT is a
# single request). 64 MiB: a few seconds of upload, and the memory one request may take.
# EXPORTCTL_UPLOAD_SINGLE_MAX (bytes, 0 to 5 GiB, S3's limit for one PUT) moves it.
SINGLE_PUT_MAX = 64 * 1024 * 1024
ENV_SINGLE_MAX = "EXPORTCTL_UPLOAD_SINGLE_MAX"
SINGLE_PUT_LIMIT = 5 * 1024**3
PART_SIZE = 16 * 1024 * 1024  # S3 takes 5 MiB to 5 GiB per part and 10,000 parts: 16 MiB covers 156 GiB
PARTS_IN_FLIGHT = 8
SHA256_KEY = "sha256"
TOKEN_KEY = "exportctl_upload"  # Azure metadata names are identifiers: no hyphen
CONTENT_TYPES = {
    ".csv": "text/csv",
    ".jsonl": "application/x-ndjson",
    ".parquet": "application/vnd.apache.parquet",
    ".gz": "application/gzip",
}


@dataclass(frozen=True)
class Uploaded:
    """A committed object: where, how many bytes, its ETag, and whether it went in parts."""

    url: RemoteUrl
    bytes: int
    e_tag: str | None
    multipart: bool


def existing(store: ObjectStore, url: RemoteUrl) -> dict[str, Any] | None:
    """The object's metadata (`e_tag`, `size`, ...), or None when there is none; OutputError if unreadable."""
    import obstore
    from obstore.exceptions import BaseError, NotFoundError

    try:
        return dict(obstore.head(store, url.key))
    except (FileNotFoundError, NotFoundError):
        return None
    except BaseError as exc:
        raise store_error(exc, url, "checking whether it exists") from None


def refuse_existing(url: RemoteUrl, force: bool, store: ObjectStore | None = None) -> None:
    """UsageError when `url` exists and not `force`: the check made before an export is submitted."""
    if force:
        return
    if existing(store or open_store(url), url) is not None:
        raise UsageError(f"{url} already exists.", hint="Use --force to overwrite it, or choose another --output.")


def upload_file(
    path: Path,
    url: RemoteUrl,
    *,
    sha256: str | None,
    force: bool = False,
    check: Callable[[], None] | None = None,
    store: ObjectStore | None = None,
) -> Uploaded:
    """Put the file at `path` at `url`, complete or not at all (see the module's text).

    `sha256` is stored on the object; when it describes the file itself (not a `.gz` target's CSV), the
    bytes sent are checked against it. `check` is called before each part (a session's stop).
    """
    import obstore
    from obstore.exceptions import AlreadyExistsError, BaseError, NotFoundError, PreconditionError

    store = store or open_store(url)
    size = path.stat().st_size
    multipart = size > single_put_max()
    if multipart:
        refuse_existing(url, force, store)  # obstore cannot make the multipart commit conditional
    token = secrets.token_hex(16)
    attributes: dict[str, str] = {TOKEN_KEY: token}
    if sha256 is not None:
        attributes[SHA256_KEY] = sha256
    content_type = CONTENT_TYPES.get(path.suffix.lower())
    if content_type is not None:
        attributes["Content-Type"] = content_type
    expected = None if path.suffix.lower() == ".gz" else sha256
    parts = _read_parts(path, size, expected, check)
    try:
        result = obstore.put(
            store,
            url.key,
            parts,
            attributes=attributes,
            mode="overwrite" if force or multipart else "create",
            use_multipart=multipart,
            chunk_size=PART_SIZE,
            max_concurrency=PARTS_IN_FLIGHT,
        )
    except KeyboardInterrupt:
        _remove_if_ours(store, url, token)
        raise
    except (AlreadyExistsError, PreconditionError, FileExistsError):
        raise UsageError(
            f"{url} already exists (it appeared after the check, or its name waited for the export id); it was "
            "left untouched and nothing of this run was written there.",
            hint="Use --force to overwrite it, or choose another --output.",
        ) from None
    except (FileNotFoundError, NotFoundError) as exc:
        _remove_if_ours(store, url, token)
        kind = "container" if url.scheme == "az" else "bucket"
        raise OutputError(
            f"Cannot write {url}: {describe(exc)} Does the {kind} {url.bucket} exist, and can these credentials "
            "see it? Nothing was written.",
        ) from None
    except BaseError as exc:
        _remove_if_ours(store, url, token)
        raise store_error(exc, url, "uploading") from None
    return Uploaded(url, size, result.get("e_tag"), multipart)


def single_put_max() -> int:
    """The largest file sent in one conditional PUT: EXPORTCTL_UPLOAD_SINGLE_MAX, else 64 MiB."""
    raw = os.environ.get(ENV_SINGLE_MAX, "").strip()
    if not raw:
        return SINGLE_PUT_MAX
    if not raw.isdigit() or int(raw) > SINGLE_PUT_LIMIT:
        raise UsageError(
            f"{ENV_SINGLE_MAX} is {raw[:40]!r}; give a number of bytes from 0 to {SINGLE_PUT_LIMIT} (5 GiB)."
        )
    return int(raw)


def _read_parts(path: Path, size: int, sha256: str | None, check: Callable[[], None] | None) -> Iterator[bytes]:
    """The file's bytes in parts; raises (which aborts the upload) if it is not the file that was verified.

    Each part is handed over only once the next one was read, so the last part goes out only after the size
    and sha256 matched: a mismatch never reaches the commit.
    """
    digest = hashlib.sha256()
    sent = 0
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    held: bytes | None = None
    with os.fdopen(os.open(path, flags), "rb") as handle:
        while True:
            if check is not None:
                check()
            data = handle.read(PART_SIZE)
            if not data:
                break
            sent += len(data)
            digest.update(data)
            if held is not None:
                yield held
            held = data
    if sent != size:
        raise OutputError(f"{path} changed while uploading ({sent} bytes read, {size} expected); nothing was written.")
    if sha256 is not None and digest.hexdigest() != sha256:
        raise OutputError(
            f"{path} is not the file that was downloaded (sha256 {digest.hexdigest()}, expected {sha256}); "
            "nothing was written."
        )
    yield held if held is not None else b""


def _remove_if_ours(store: ObjectStore, url: RemoteUrl, token: str) -> None:
    """Delete the object at `url` if this upload created it (its token), e.g. when a stop came at the commit."""
    import obstore

    with contextlib.suppress(Exception):
        got = obstore.get(store, url.key, options={"head": True})
        if got.attributes.get(TOKEN_KEY) == token:
            obstore.delete(store, url.key)


def probe_write(prefix: RemoteUrl) -> str:
    """Create, read back and delete a small object under `prefix` (doctor): what was checked, or OutputError."""
    import obstore
    from obstore.exceptions import BaseError

    url = prefix.child(f".exportctl-doctor-{secrets.token_hex(8)}")
    store = open_store(url)
    token = secrets.token_hex(8)
    try:
        obstore.put(store, url.key, b"exportctl doctor\n", mode="create", attributes={TOKEN_KEY: token})
        got = obstore.get(store, url.key, options={"head": True})
        if got.attributes.get(TOKEN_KEY) != token:
            raise OutputError(f"{url} was written but reads back without its metadata.")
        obstore.delete(store, url.key)
    except (BaseError, OSError) as exc:
        _remove_if_ours(store, url, token)
        raise store_error(exc, url, "writing a probe object") from None
    return f"created, read back and deleted {url} (conditional PUT with metadata)"
