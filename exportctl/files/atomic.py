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
import json
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from exportctl.errors import ExportctlError, OutputError, UsageError
from exportctl.files.opening import (
    create_exclusive,
    is_stream_target,
    keep_owner_and_mode,
    open_locked,
    open_stream_target,
    read_json,
)
from exportctl.files.writeback import WRITEBACK_STEP, start_writeback
from exportctl.state.local import fsync_directory, replace_atomically

PART_SUFFIX = ".part"
PART_INFO_SUFFIX = ".part.json"
# zlib's own default: close to the best ratio a CSV gets, at several times the speed of level 9.
GZIP_LEVEL = 6
COPY_CHUNK = 1024 * 1024
# Out of space, out of quota, or past the file-size limit (ulimit -f): more room lets the download continue.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
# What link() says on a file system without hard links.
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EXDEV})


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
    """Writes `TARGET.part`, then puts it at `TARGET` in `commit()`; an unfinished `.part` stays for resuming.

    `key` names what is being written (the export id). A `.part` is continued only by a writer with the same
    key, so a second export saved under the same name never appends to the first one's data. The `.part` is
    held with `flock` while a run writes it: a second run writing the same target at the same time writes
    its own temporary file (created exclusively, removed when that run does not commit it) instead, so two
    runs never mix their data. Nothing is opened through a symbolic link. With `compress`, the `.part` holds
    the data as received and is gzip-compressed into place on commit, so that a resumed download can append
    to it (a truncated gzip stream cannot be continued).
    """

    def __init__(self, target: Path, *, key: str | None = None, force: bool = False, compress: bool | None = None):
        self.target = target
        self.part = part_path(target)
        self.info = target.with_name(target.name + PART_INFO_SUFFIX)
        self.key = key
        self.force = force
        self.compress = is_compressed_target(target) if compress is None else compress
        self.bytes_written = 0
        self._written_back = 0  # the write-back of the bytes before this offset has been started
        self.private = False  # True when another run holds `TARGET.part` and this one writes its own file
        self._file: BinaryIO | None = None

    def resumable_size(self) -> int:
        """How many bytes of an earlier attempt at the same key are in `.part` (0 when none can be reused)."""
        self._claim()
        if self.key is None or self.private or self._file is None:
            return 0
        if read_json(self.info).get("key") != self.key:
            return 0
        return os.fstat(self._file.fileno()).st_size

    def open(self, offset: int = 0) -> None:
        """Start writing: continue the `.part` after its first `offset` bytes, or from nothing when 0."""
        self._claim()
        handle = self._file
        assert handle is not None
        try:
            handle.flush()
            handle.truncate(offset)
            handle.seek(offset)
            if offset == 0 and not self.private:
                self._remove(self.info)
                if self.key is not None:
                    write_json_atomically(self.info, {"key": self.key, "target": self.target.name})
        except OSError as exc:
            raise self._write_error(exc) from None
        self.bytes_written = self._written_back = offset

    def write(self, data: bytes | bytearray) -> None:
        """Append `data` to the `.part` file; every few megabytes, start writing the new ones to disk."""
        handle = self._file
        if handle is None:
            raise RuntimeError("AtomicWriter.write before open")
        try:
            handle.write(data)
        except OSError as exc:
            raise self._write_error(exc) from None
        self.bytes_written += len(data)
        if self.bytes_written - self._written_back >= WRITEBACK_STEP:
            self._write_back(handle)

    def _write_back(self, handle: BinaryIO) -> None:
        """Start the write-back of the bytes written since the last time, so that `commit`'s fsync waits less."""
        try:
            handle.flush()
        except OSError as exc:
            raise self._write_error(exc) from None
        start_writeback(handle.fileno(), self._written_back, self.bytes_written - self._written_back)
        self._written_back = self.bytes_written

    def commit(self) -> None:
        """Make the data durable and put it at the target in one step; the target never holds part of it.

        Without `force` the file is linked to the target name, which fails if anything is there by then (a
        check followed by a rename would replace a file that appeared in between). A replaced target's mode
        (and owner, where allowed) is kept.
        """
        handle = self._file
        if handle is None:
            raise RuntimeError("AtomicWriter.commit before open")
        try:
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as exc:
            self.close()
            raise self._write_error(exc) from None
        source, source_fd = self.part, handle.fileno()
        packed: BinaryIO | None = None
        try:
            if self.compress:
                packed, source = create_exclusive(self.target, ".gz-tmp")
                source_fd = packed.fileno()
                handle.seek(0)
                self._gzip(handle, packed)
            keep_owner_and_mode(source_fd, self.target)
            self._put_in_place(source)
        except ExportctlError:
            if packed is not None:
                packed.close()
                self._remove(source)
            self._close_file(keep_private=True)
            raise
        except OSError as exc:
            if packed is not None:
                packed.close()
                self._remove(source)
            self.close()
            raise self._write_error(exc) from None
        if packed is not None:
            packed.close()
            self._remove(self.part)
        if not self.private:
            self._remove(self.info)
        self._close_file(keep_private=True)
        fsync_directory(self.target.parent)

    def close(self) -> None:
        """Stop without committing; the `.part` stays for a later resume (a private or empty one is removed)."""
        handle = self._file
        if handle is not None and not self.private:
            with contextlib.suppress(OSError, ValueError):
                handle.flush()
                if os.fstat(handle.fileno()).st_size == 0:  # nothing to resume; we hold its lock
                    self._remove(self.part)
                    self._remove(self.info)
        self._close_file(keep_private=False)

    def discard(self) -> None:
        """Stop without committing and remove the `.part`."""
        if self._file is not None and not self.private:
            self._remove(self.part)
            self._remove(self.info)
        self._close_file(keep_private=False)

    def kept(self) -> str:
        """Where the bytes of an unfinished run are, for the message: `kept in TARGET.part`, or not kept."""
        if self.private:
            return f"not kept (another run was writing {part_path(self.target)})"
        return f"kept in {self.part}"

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _claim(self) -> None:
        """Open and lock `TARGET.part`, or create a private temporary file when another run holds it."""
        if self._file is not None:
            return
        try:
            shared = open_locked(self.part)
            if shared is not None:
                self._file, self.private = shared, False
                return
            self._file, self.part = create_exclusive(self.target, PART_SUFFIX)
            self.private = True
        except OSError as exc:
            raise self._write_error(exc) from None

    def _put_in_place(self, source: Path) -> None:
        if self.force:
            source.replace(self.target)
            return
        try:
            os.link(source, self.target, follow_symlinks=False)
        except FileExistsError:
            raise UsageError(
                f"{self.target} appeared while downloading; it was left untouched and the data kept in {self.part}.",
                hint="Use --force to overwrite it, or choose another --output.",
            ) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            # A file system without hard links (FAT, some network shares): the old way, with its small window.
            if os.path.lexists(self.target):
                raise FileExistsError(errno.EEXIST, "it appeared while downloading") from None
            source.replace(self.target)
            return
        source.unlink()

    def _gzip(self, raw: BinaryIO, packed_file: BinaryIO) -> None:
        import gzip  # imported here: --dry-run checks targets with this module and compresses nothing
        import shutil

        # mtime=0 keeps the compressed bytes a function of the data alone, as a reproducible build would.
        with gzip.GzipFile(filename="", mode="wb", fileobj=packed_file, compresslevel=GZIP_LEVEL, mtime=0) as packed:
            shutil.copyfileobj(raw, packed, COPY_CHUNK)
        packed_file.flush()
        os.fsync(packed_file.fileno())

    def _close_file(self, *, keep_private: bool) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
            if self.private and not keep_private:
                self._remove(self.part)

    def _write_error(self, exc: OSError) -> OutputError:
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ELOOP:
            return OutputError(
                f"Cannot write {self.target}: {self.part} is a symbolic link, which exportctl never writes "
                f"through. {self.target} was left untouched.",
                hint=f"Remove it (rm {self.part}) and run again.",
            )
        if exc.errno in _NO_ROOM:
            room = "the disk is full" if exc.errno == errno.ENOSPC else f"no room ({reason})"
            return OutputError(
                f"Cannot write {self.target}: {room}. {self.target} was left untouched; "
                f"the data so far is {self.kept()}.",
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
    if is_stream_target(target):
        written = 0
        with open_stream_target(target) as stream:
            for chunk in chunks:
                stream.write(chunk)
                written += len(chunk)
        return written
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


def write_json_atomically(path: Path, data: Any) -> None:
    """Write `data` as JSON through a temporary file, fsync and one rename: old or new, never torn.

    The state store's writer (state/local.py `replace_atomically`): the temporary file is created
    exclusively (never through a symbolic link), and a replaced file's mode and owner are kept.
    """
    try:
        replace_atomically(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
