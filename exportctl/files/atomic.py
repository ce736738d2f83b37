"""The one atomic writer: a file target is never written in place, so nobody sees it half-written.

Data goes to `TARGET.part`, which is flushed, fsynced and renamed onto `TARGET` only once it is complete,
and the directory is fsynced so the rename survives a crash. An incomplete `.part` is kept next to a small
`TARGET.part.json` that records which export it belongs to, so that the next download of the *same* export
can continue it and a download of another export to the same name starts over instead of appending.
State files and split manifests go through `write_json_atomically`, the same way.

Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from exportctl.errors import OutputError, UsageError

PART_SUFFIX = ".part"
PART_INFO_SUFFIX = ".part.json"
# zlib's own default: close to the best ratio a CSV gets, at several times the speed of level 9.
GZIP_LEVEL = 6
COPY_CHUNK = 1024 * 1024
# Out of space, out of quota, or past the file-size limit (ulimit -f): more room lets the download continue.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def part_path(target: Path) -> Path:
    """Where an unfinished download of `target` lives: `TARGET.part`."""
    return target.with_name(target.name + PART_SUFFIX)


def is_compressed_target(target: Path) -> bool:
    """A `.gz` target is written gzip-compressed."""
    return target.suffix.lower() == ".gz"


def compressed_size(target: Path | str) -> int | None:
    """The size on disk of a saved `.gz` target (beside its CSV size, which is what was downloaded); else None."""
    path = Path(target)
    if str(target) == "-" or not is_compressed_target(path):
        return None
    try:
        return path.stat().st_size
    except OSError:
        return None


class AtomicWriter:
    """Writes `TARGET.part`, then renames it onto `TARGET` in `commit()`; an unfinished `.part` stays for resuming.

    `key` names what is being written (the export id). A `.part` is continued only by a writer with the same
    key, so a second export saved under the same name never appends to the first one's data. With
    `compress`, the `.part` holds the data as received and is gzip-compressed into place on commit, so that a
    resumed download can append to it (a truncated gzip stream cannot be continued).
    """

    def __init__(self, target: Path, *, key: str | None = None, force: bool = False, compress: bool | None = None):
        self.target = target
        self.part = part_path(target)
        self.info = target.with_name(target.name + PART_INFO_SUFFIX)
        self.key = key
        self.force = force
        self.compress = is_compressed_target(target) if compress is None else compress
        self.bytes_written = 0
        self._file: BinaryIO | None = None

    def resumable_size(self) -> int:
        """How many bytes of an earlier attempt at the same key are in `.part` (0 when none can be reused)."""
        if self.key is None or not self.part.is_file():
            return 0
        try:
            info = json.loads(self.info.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0
        if not isinstance(info, dict) or info.get("key") != self.key:
            return 0
        return self.part.stat().st_size

    def open(self, offset: int = 0) -> None:
        """Start writing: continue the `.part` after its first `offset` bytes, or from nothing when 0."""
        self._close_file()
        try:
            handle: BinaryIO
            if offset > 0:
                handle = self.part.open("r+b")
                handle.truncate(offset)
                handle.seek(offset)
            else:
                self._remove(self.info)
                handle = self.part.open("wb")
            self._file = handle
            if self.key is not None and offset == 0:
                self.info.write_text(json.dumps({"key": self.key, "target": self.target.name}), encoding="utf-8")
        except OSError as exc:
            self._close_file()
            raise self._write_error(exc) from None
        self.bytes_written = offset

    def write(self, data: bytes | bytearray) -> None:
        """Append `data` to the `.part` file."""
        if self._file is None:
            raise RuntimeError("AtomicWriter.write before open")
        try:
            self._file.write(data)
        except OSError as exc:
            raise self._write_error(exc) from None
        self.bytes_written += len(data)

    def commit(self) -> None:
        """Make the data durable and put it at the target in one rename; the target never holds part of it."""
        if self._file is None:
            raise RuntimeError("AtomicWriter.commit before open")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise self._write_error(exc) from None
        finally:
            self._close_file()
        # Checked again at the last moment: the file may have appeared while the export ran.
        if self.target.exists() and not self.force:
            raise UsageError(
                f"{self.target} appeared while downloading; it was left untouched and the data kept in {self.part}.",
                hint="Use --force to overwrite it, or choose another --output.",
            )
        source = self.part
        if self.compress:
            source = self.target.with_name(self.target.name + ".gz-tmp")
            try:
                self._gzip(self.part, source)
            except OSError as exc:
                self._remove(source)
                raise self._write_error(exc) from None
        try:
            source.replace(self.target)
        except OSError as exc:
            raise self._write_error(exc) from None
        if self.compress:
            self._remove(self.part)
        self._remove(self.info)
        _fsync_directory(self.target.parent)

    def close(self) -> None:
        """Stop without committing; the `.part` stays for a later resume."""
        self._close_file()

    def discard(self) -> None:
        """Stop without committing and remove the `.part`."""
        self._close_file()
        self._remove(self.part)
        self._remove(self.info)

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _gzip(self, source: Path, destination: Path) -> None:
        with source.open("rb") as raw, destination.open("wb") as packed_file:
            # mtime=0 keeps the compressed bytes a function of the data alone, as a reproducible build would.
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=packed_file, compresslevel=GZIP_LEVEL, mtime=0
            ) as packed:
                shutil.copyfileobj(raw, packed, COPY_CHUNK)
            packed_file.flush()
            os.fsync(packed_file.fileno())

    def _close_file(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()

    def _write_error(self, exc: OSError) -> OutputError:
        reason = exc.strerror or str(exc)
        if exc.errno in _NO_ROOM:
            room = "the disk is full" if exc.errno == errno.ENOSPC else f"no room ({reason})"
            return OutputError(
                f"Cannot write {self.target}: {room}. {self.target} was left untouched; "
                f"the data so far is kept in {self.part}.",
                hint="Free some space, then download again to continue.",
            )
        return OutputError(f"Cannot write {self.target}: {reason}. {self.target} was left untouched.")

    @staticmethod
    def _remove(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def write_atomically(
    target: Path, chunks: Iterable[bytes], *, force: bool = False, compress: bool | None = None
) -> int:
    """Write every chunk to `target` through `TARGET.part` and one rename; the number of bytes written.

    On any failure the target is untouched and the `.part` is removed: without a key there is nothing to resume.
    """
    writer = AtomicWriter(target, force=force, compress=compress)
    writer.open()
    try:
        for chunk in chunks:
            writer.write(chunk)
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    return writer.bytes_written


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; a crash right after it must not bring the old name back."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the data itself is already synced
    finally:
        os.close(fd)


def write_json_atomically(path: Path, data: Any) -> None:
    """Write `data` as JSON through a temporary file, fsync and one rename: old or new, never torn."""
    # Unique per process and thread: split runs write their manifest from several threads.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
        _fsync_directory(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
