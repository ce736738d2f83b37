"""A worker process of `--format jsonl`: the JSON Lines of one byte range of the CSV, into the file it is given.

Started by jsonl_parallel.py as `python -I -c ...` with the parent's `sys.path`, so it imports only the
standard library and exportctl.formats (and what they import); it reads its job (a pickle of `PartJob`, from
the parent that started it) on standard input, writes the range's lines to the inherited descriptor
`job.fd` (a temporary file the parent created and removes), and answers one line of JSON on standard
output: `{"rows": N, "unparsed_rows": M}`, or `{"failed": "..."}` for anything at all that went wrong
(a kind that changed, `--unparsed fail`, a record the range cannot read): the parent then writes the file
in one pass, which gives the exact message. Ctrl-C is the parent's to handle (it stops the workers); a
worker whose parent is gone removes its file and stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from exportctl.formats.csv_ranges import range_records
from exportctl.formats.jsonl import Counts, jsonl_of
from exportctl.formats.speculate import Guesses
from exportctl.formats.types import Column


@dataclass(frozen=True)
class PartJob:
    """What one worker writes: bytes `start` to `end` of the CSV at `path`, typed by `columns`."""

    path: Path
    start: int
    end: int
    columns: Sequence[Column]
    guesses: Guesses
    fail: str | None
    fd: int  # the open temporary file, inherited
    part: Path  # its name, removed if the parent dies
    parent: int  # the parent's process id


def write_part(job: PartJob) -> Counts:
    """Write the part; its counts. Raises whatever the range's reading or typing raises."""
    counts = Counts()
    rows = range_records(job.path, job.start, job.end, len(job.columns))
    for chunk in jsonl_of(rows, job.columns, counts, fail=job.fail, watch=job.guesses.watch()):
        view = memoryview(chunk)
        while view:
            view = view[os.write(job.fd, view) :]
        if os.getppid() != job.parent:  # the parent was killed outright: nobody will read or remove the file
            _orphaned(job)
    return counts


def _orphaned(job: PartJob) -> None:
    with contextlib.suppress(OSError):
        job.part.unlink()
    os._exit(3)


def main() -> None:
    """The worker's entry point (see the module's docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # the parent held these back while it started the workers
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    job = pickle.load(sys.stdin.buffer)  # from the parent that started this process, through a pipe
    if not isinstance(job, PartJob):
        raise SystemExit(2)
    try:
        counts = write_part(job)
        answer: dict[str, object] = {"rows": counts.rows, "unparsed_rows": counts.unparsed_rows}
    except Exception as exc:  # every failure is answered: the parent writes the file in one pass instead
        answer = {"failed": type(exc).__name__}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
