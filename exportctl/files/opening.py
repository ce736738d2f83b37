"""Opening files safely where others can write too: never through a symbolic link, never onto a stranger's file.

Everything exportctl creates next to a target or a state file is created with O_EXCL (or opened with
O_NOFOLLOW and checked to be a regular file), so a planted symbolic link cannot redirect the write to a
victim. A character device or a FIFO given as a target is written as it is.

Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from exportctl.errors import OutputError
from exportctl.state.local import keep_owner_and_mode as keep_owner_and_mode  # kept importable from here
from exportctl.state.lock import CLOEXEC, NOFOLLOW, NONBLOCK, NotRegularFile, open_lock_file, still_named, try_flock


def is_stream_target(target: Path) -> bool:
    """A character device (`/dev/null`, a terminal) or a FIFO: written directly, never replaced by a file."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def open_stream_target(target: Path) -> BinaryIO:
    """Open a character device or FIFO for writing as it is: no temporary file, no rename, nothing created."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_NOCTTY | CLOEXEC)
    except OSError as exc:
        raise OutputError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OutputError(f"Cannot write {target}: it was replaced by a regular file while starting.")
    return os.fdopen(fd, "wb")


def create_exclusive(target: Path, suffix: str) -> tuple[BinaryIO, Path]:
    """A new, empty file next to `target` (`.TARGET.RANDOM{suffix}`), created with O_EXCL and ONOFOLLOW."""
    import secrets  # imported here: --dry-run checks targets with this module, and secrets loads hashlib

    for _ in range(100):
        path = target.with_name(f".{target.name}.{secrets.token_hex(6)}{suffix}")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, 0o666)
        except FileExistsError:
            continue
        return os.fdopen(fd, "w+b"), path
    raise FileExistsError(errno.EEXIST, f"no free temporary name next to {target}")


def open_locked(path: Path) -> BinaryIO | None:
    """`path` opened for update (created when missing) and locked with flock; None when another run holds it.

    The one file lock's pieces (state/lock.py): never through a symbolic link (OSError ELOOP), and only a
    regular file (OutputError otherwise).
    """
    import fcntl  # POSIX only; imported here so the module itself imports anywhere

    try:
        fd = open_lock_file(path, 0o666)
    except NotRegularFile:
        raise OutputError(
            f"Cannot write {path}: it exists and is not a regular file.", hint=f"Remove it: rm {path}"
        ) from None
    try:
        # A run that committed just now moved this file into place (or is doing so): it is not ours to write.
        if not try_flock(fd) or not still_named(path, fd):
            os.close(fd)
            return None
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~NONBLOCK)
        return os.fdopen(fd, "r+b")
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


def read_json(path: Path) -> dict[str, Any]:
    """A small JSON object from `path` (not through a symbolic link); {} when missing or not an object."""
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | CLOEXEC | NONBLOCK)
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return {}
            data = json.loads(handle.read(64 * 1024))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_fully(stream: BinaryIO, data: bytes | bytearray | memoryview) -> None:
    """Write all of `data` to a pipe, a device or standard output, or raise BrokenPipeError.

    A buffered write of more than a pipe holds can come back short, without an error, when the reader
    quits in the middle (the kernel reports what it took); the rest was silently dropped. Writing to the
    descriptor until every byte is taken makes the next write fail instead, so a reader that quit early
    is an error, never a quietly truncated export.
    """
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # no descriptor: an in-memory stream takes everything
        stream.write(data)
        return
    stream.flush()
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
