"""Records the order of the durability system calls (fsync, rename, link) a writer makes, by inode.

Wraps `os.fsync`, `os.replace`, `os.rename` and `os.link` (each still does its real work), so that a test can
check that a file's data reach the disk *before* its new name does, and that the directory is synced *after*
the rename (so that the name itself survives a crash). It observes system calls; nothing is faked.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class Call:
    kind: str  # "fsync" or "rename" (os.replace, os.rename and os.link all give a file its final name)
    inode: int  # fsync: the file synced; rename: the file given the new name
    is_dir: bool = False
    size: int = 0  # fsync: the file's size when it was synced
    to: str = ""  # rename: the new name


class SyscallLog:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def assert_durable(self, target: Path) -> None:
        """`target` got its name from a file fsynced whole before that rename, and its directory was fsynced after."""
        renames = [i for i, c in enumerate(self.calls) if c.kind == "rename" and c.to == str(target)]
        assert renames, f"{target} was never renamed or linked into place: {self.calls}"
        at = renames[-1]
        inode = self.calls[at].inode
        size = target.stat().st_size
        assert target.stat().st_ino == inode
        synced = [c for c in self.calls[:at] if c.kind == "fsync" and c.inode == inode]
        assert synced, f"{target}'s data were not fsynced before the rename: {self.calls}"
        assert synced[-1].size == size, "the fsync came before the last bytes were written"
        directory = target.parent.stat().st_ino
        assert any(c.kind == "fsync" and c.is_dir and c.inode == directory for c in self.calls[at + 1 :]), (
            f"the directory of {target} was not fsynced after the rename: {self.calls}"
        )


def record_syscalls(monkeypatch: pytest.MonkeyPatch) -> SyscallLog:
    log = SyscallLog()
    real_fsync, real_replace, real_rename, real_link = os.fsync, os.replace, os.rename, os.link

    def fsync(fd: Any) -> None:
        number = fd if isinstance(fd, int) else fd.fileno()
        info = os.fstat(number)
        log.add(Call("fsync", info.st_ino, stat.S_ISDIR(info.st_mode), info.st_size))
        real_fsync(fd)

    def renaming(real: Any) -> Any:
        def call(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            inode = os.lstat(src).st_ino
            real(src, dst, *args, **kwargs)
            log.add(Call("rename", inode, to=str(Path(os.fsdecode(dst)))))

        return call

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", renaming(real_replace))
    monkeypatch.setattr(os, "rename", renaming(real_rename))
    monkeypatch.setattr(os, "link", renaming(real_link))
    return log
