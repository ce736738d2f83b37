"""A typed file written once: atomically at its target or to standard output, with its size and sha256."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from exportctl.files.atomic import write_atomically
from exportctl.files.opening import write_fully
from exportctl.files.targets import STDOUT, Target


@dataclass(frozen=True)
class Written:
    """A typed file: its records, how many have `_unparsed` values, its size and sha256."""

    rows: int
    unparsed_rows: int
    bytes: int
    sha256: str


class _Hashed:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.bytes = 0

    def through(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.digest.update(chunk)
            self.bytes += len(chunk)
            yield chunk


def write_chunks(target: Target, chunks: Iterable[bytes], *, force: bool, stdout: BinaryIO | None = None) -> _Hashed:
    """Write `chunks` at `target` atomically, or to standard output; their size and sha256."""
    hashed = _Hashed()
    if target == STDOUT:
        stream = stdout if stdout is not None else sys.stdout.buffer
        for chunk in hashed.through(chunks):
            write_fully(stream, chunk)
    else:
        write_atomically(target, hashed.through(chunks), force=force)
    return hashed
