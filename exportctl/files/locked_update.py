"""Read-modify-write of a small private file (the profile file), safe against other runs and planted links.

- A symbolic link at the path is followed to its target, which is rewritten in its own directory: the link
  stays a link (dotfiles). A link to nothing, or a loop of links, is refused by name.
- The whole read-modify-write holds the one file lock (state/lock.py: `flock` on `.NAME.lock` beside the
  target, opened without following a link), so two `exportctl login` runs at once both land instead of
  one overwriting the other. A lock held longer than LOCK_WAIT seconds (a stopped process) ends in
  LockedError rather than a hang.
- The new text goes through the state store's writer (state/local.py): a temporary file created with
  O_EXCL|O_NOFOLLOW under an unguessable name in the target's directory, mode 0600 from its creation,
  fsynced and renamed onto the target; the directory is fsynced too. A crash leaves the old file or the
  new one; nothing is ever written through a link.

Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from exportctl.errors import ConfigError, LockedError, OutputError
from exportctl.profile_reading import file_kind, read_profile_text
from exportctl.state.local import replace_atomically
from exportctl.state.lock import FileLock, LockBusy, NotRegularFile

OWNER_ONLY = 0o600
LOCK_WAIT = 30.0  # seconds; a login holds the lock for milliseconds


def link_target(path: Path) -> Path:
    """`path`, or the file a symbolic link at `path` finally points at; ConfigError for a dangling link or a loop."""
    if not path.is_symlink():
        return path
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        raise ConfigError(
            f"a symbolic link to {path.readlink()}, which does not exist; nothing was written. "
            "Point the link at your profile file (or create the file it names), or remove the link",
            path=str(path),
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(
                "a loop of symbolic links; nothing was written. Point the link at your profile file, or remove it",
                path=str(path),
            ) from None
        raise ConfigError(f"cannot follow the symbolic link: {exc.strerror or exc}", path=str(path)) from None


def update_owner_only(path: Path, change: Callable[[str | None], str], *, wait: float = LOCK_WAIT) -> Path:
    """Replace the file at `path` (its target, when a link) with `change(its text or None)`; the path written.

    The text is read with the profile file's bounds (regular file, bounded size): `change` sees what is
    there now, under the lock, so no other update made meanwhile is lost.
    """
    target = link_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise OutputError(f"Cannot create {target.parent}: {exc.strerror or exc}.") from None
    with _locked(target, wait):
        text = change(read_profile_text(target))
        _replace(target, text)
    return target


@contextlib.contextmanager
def _locked(target: Path, wait: float) -> Iterator[None]:
    lock = target.with_name(f".{target.name}.lock")
    try:
        with FileLock(lock, mode=OWNER_ONLY, wait=wait):
            yield
    except LockBusy:
        raise LockedError(
            f"Another exportctl run has been updating {target} for over {wait:g} s; nothing was saved.",
            hint="Wait for it to finish (or stop it), then run the command again.",
        ) from None
    except NotRegularFile as exc:
        raise OutputError(
            f"Cannot write {target}: its lock file {lock} is {file_kind(exc.mode)}.", hint=f"Remove it: rm {lock}"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(
                f"Cannot write {target}: its lock file {lock} is a symbolic link, which exportctl never opens.",
                hint=f"Remove it: rm {lock}",
            ) from None
        raise OutputError(f"Cannot write {target}: cannot open its lock file {lock}: {exc.strerror or exc}.") from None


def _replace(target: Path, text: str) -> None:
    try:
        replace_atomically(target, text.encode("utf-8"), mode=OWNER_ONLY)
    except OSError as exc:
        raise OutputError(f"Cannot write {target}: {exc.strerror or exc}. It was left as it was.") from None
