"""A small state file on the local disk: read without following links, replaced atomically.

- `read_bounded`: the bytes of a regular file of at most `limit` bytes, opened with O_NOFOLLOW|O_NONBLOCK
  (a planted symbolic link is refused, a FIFO does not hang the read) and checked with fstat before a byte
  is read; with the version token of what was read (device, inode, modification time, size).
- `replace_atomically`: the new bytes go to a temporary file created with O_EXCL|O_NOFOLLOW under a name no
  other run can compute (`.NAME.RANDOM.tmp`, in the same directory), are fsynced, renamed onto the file, and
  the directory is fsynced: a crash leaves the old file or the new one, never a torn one, and nothing is
  written through a link. `mode` gives the file exactly that mode from its first byte (0600 for secrets);
  without it a replaced file keeps its mode and, where allowed, its owner.

Every failure is an OSError (`Unreadable` for what is there but cannot be a state file): the callers say
what the file is for in their own messages.

Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from exportctl.state.lock import CLOEXEC, NOFOLLOW, NONBLOCK, NotRegularFile

# The version token of a local file: (device, inode, modification time in ns, size); None: no file.
LocalToken = tuple[int, int, int, int] | None
MIB = 1024 * 1024


class TooLarge(OSError):
    """The file holds more than the reader's limit: not a state file of exportctl's (or a damaged one)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{path} is {size} bytes, more than {limit}")
        self.path = path
        self.size = size
        self.limit = limit


def token_of(info: os.stat_result) -> LocalToken:
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


def read_bounded(path: Path, limit: int) -> tuple[bytes | None, LocalToken]:
    """(the file's bytes, its token), or (None, None) when there is no file.

    OSError ELOOP for a symbolic link, NotRegularFile for anything but a regular file, TooLarge beyond
    `limit` bytes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | CLOEXEC | NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        # ENXIO: a socket (or a device without its driver) in the file's place.
        if exc.errno == errno.ENXIO:
            raise NotRegularFile(path, os.lstat(path).st_mode) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path, info.st_mode)
        if info.st_size > limit:
            raise TooLarge(path, info.st_size, limit)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise TooLarge(path, size, limit)
        return b"".join(chunks), token_of(info)
    finally:
        os.close(fd)


def current_token(path: Path) -> LocalToken:
    """The token of the file at `path` now (None when there is none); a link is a file of its own here."""
    try:
        return token_of(os.lstat(path))
    except FileNotFoundError:
        return None


def replace_atomically(path: Path, data: bytes, *, mode: int | None = None) -> LocalToken:
    """Put `data` at `path` through an exclusive temporary file, fsync and one rename; the new file's token.

    A failure leaves `path` as it was and removes the temporary file; it is raised as the OSError it was.
    """
    import secrets  # imported here: secrets loads hashlib, which --help and --dry-run never need

    temporary: Path | None = None
    fd = -1
    try:
        for _ in range(100):
            candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | CLOEXEC, mode or 0o666)
            except FileExistsError:
                continue
            temporary = candidate
            break
        else:
            raise FileExistsError(errno.EEXIST, f"no free temporary name next to {path}")
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # exactly this mode, whatever the umask
            else:
                keep_owner_and_mode(handle.fileno(), path)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            token = token_of(os.fstat(handle.fileno()))
        temporary.replace(path)
        temporary = None
        fsync_directory(path.parent)
        return token
    finally:
        if fd >= 0:
            os.close(fd)
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


def keep_owner_and_mode(fd: int, replaced: Path) -> None:
    """Give the file at `fd` the owner (where allowed) and mode of the regular file it is about to replace."""
    try:
        old = replaced.stat()
    except OSError:
        return
    if not stat.S_ISREG(old.st_mode):
        return
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
        with contextlib.suppress(OSError):  # only root may give a file away; the mode is kept either way
            os.fchown(fd, old.st_uid, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))


def fsync_directory(directory: Path) -> None:
    """Make a rename durable; some file systems refuse fsync on a directory, which is no error here."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY | CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
