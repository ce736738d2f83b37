"""`--format jsonl` on several CPUs: the CSV cut into byte ranges, the ranges typed at once, the file written once.

For a regular-file target and a CSV of at least `EXPORTCTL_PARALLEL_MIN_MB` (32 MB) on a machine where
this process may use more than one CPU (`workers.py`: `EXPORTCTL_WORKERS=1` turns it off), the CSV is cut
into N ranges at record boundaries (`csv_ranges.split_points`; N the CPUs, at most 8 unless
`EXPORTCTL_WORKERS` says otherwise, each range at least half the threshold). This process types the first range
itself, straight into the atomic writer (`written.write_chunks`: one sha256 over every byte, fsync, rename,
no-clobber), while N-1 worker processes (`jsonl_part.py`) each write the JSON Lines of their range into a
temporary part beside the target (created with O_EXCL under a random name, `.TARGET.RANDOM.jsonl-part`);
then the parts are appended in order. Every range is typed by the same code (`jsonl.jsonl_of`) with the
same kinds: the inferred ones guessed once from the file's first records, and every range checks them
(`speculate.Guesses`). The counts are the ranges' sums.

If anything at all goes wrong in any range (a kind that changes, a value `--unparsed fail` refuses, a
record the range cannot read, a worker that fails to start or dies) or in the writer, the attempt is
discarded (the writer's temporary file removed) and `convert_csv` writes the file in one pass, as it always
did: the same file, the same messages and record numbers. So the file is byte for byte the one-pass file.
One writer error is not retried: a target that appeared meanwhile without `--force`, which the one pass
would meet again at its own rename; it is the writer's UsageError as it always was, the data kept as it
keeps it.

The workers are started with `subprocess` (fork and exec: safe while other threads run, which rules out
`fork` alone), not `multiprocessing`: its `spawn` and `forkserver` methods run the caller's `__main__`
again in every worker, which a library must not do to a script without a `__main__` guard, and which
would load the CLI in each. The worker gets the parent's `sys.path` and `-I` (no current directory, no
`PYTHON*` variables), so a `csv.py` in the current directory is never imported. Ctrl-C, SIGTERM or an
error in this process kills the workers and removes the parts before the exception goes on; a worker
whose parent was killed outright removes its part and stops.

Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from exportctl.errors import UsageError
from exportctl.files.opening import create_exclusive
from exportctl.formats.csv_ranges import BLOCK, range_records, split_points
from exportctl.formats.jsonl import Counts, jsonl_of
from exportctl.formats.jsonl_part import PartJob
from exportctl.formats.speculate import Guesses
from exportctl.formats.types import Column
from exportctl.formats.workers import parallel_min_bytes, workers_wanted
from exportctl.formats.written import Written, write_chunks

PART_SUFFIX = ".jsonl-part"
# The first range, typed here, is this much of a worker's: this process also finds the cuts, hashes every
# byte and appends the parts (per MB of CSV, measured: typing 32.5 ms, sha256 of its JSON Lines 2.25 ms,
# appending a part 0.5 ms), so that it and the workers end at about the same time.
FIRST_SHARE = 0.85
_WORKER_CODE = "import sys; sys.path[:] = sys.argv[1:]; from exportctl.formats.jsonl_part import main; main()"


class _Discarded(Exception):
    """A range could not be written as the one pass would write it: the attempt is thrown away."""


def ranges_wanted(size: int) -> int:
    """How many ranges a CSV of `size` bytes is cut into: 1 (no split) below the threshold or on one CPU;
    else the workers wanted, each range at least half the threshold."""
    threshold = parallel_min_bytes()
    if size < max(1, threshold):
        return 1
    return min(workers_wanted(), max(2, size // max(1, threshold // 2)))


def jsonl_in_parts(
    path: Path, target: Path, columns: Sequence[Column], guesses: Guesses, *, fail: str | None, force: bool
) -> Written | None:
    """The CSV at `path` written as JSON Lines at `target` on several CPUs; None when it is not split (too
    small, one CPU) or the attempt was discarded: the caller then writes it in one pass."""
    size = path.stat().st_size
    count = ranges_wanted(size)
    if count < 2 or os.name != "posix" or not sys.executable:  # pass_fds is POSIX's; an embedded Python has none
        return None
    parts: list[tuple[IO[bytes], Path]] = []
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with _signals_held():
            for _ in range(count - 1):
                parts.append(create_exclusive(target, PART_SUFFIX))
                workers.append(_start_worker(parts[-1][0]))
        bounds = [0, *split_points(path, count, first=FIRST_SHARE)]
        bounds += [size] * (count + 1 - len(bounds))  # fewer cuts than ranges: the last workers get nothing
        for n, (worker, (handle, name)) in enumerate(zip(workers, parts, strict=True), start=1):
            job = PartJob(path, bounds[n], bounds[n + 1], columns, guesses, fail, handle.fileno(), name, os.getpid())
            _send(worker, job)
        counts = Counts()
        chunks = _chunks(path, bounds[1], columns, guesses, fail, counts, workers, parts)
        try:
            hashed = write_chunks(target, _discarding(chunks), force=force)
        except UsageError:
            raise  # the target appeared meanwhile (no --force): the one pass would say so too, after a pass
        except Exception:  # any other failure: the one pass writes the file, or says what went wrong
            return None
        return Written(counts.rows, counts.unparsed_rows, hashed.bytes, hashed.digest.hexdigest())
    except OSError:
        return None  # no room for a part, a worker that cannot start: the one pass
    finally:
        with _signals_held():
            _stop(workers, parts)


def _chunks(
    path: Path,
    end: int,
    columns: Sequence[Column],
    guesses: Guesses,
    fail: str | None,
    counts: Counts,
    workers: Sequence[subprocess.Popen[bytes]],
    parts: Sequence[tuple[IO[bytes], Path]],
) -> Iterator[bytes]:
    """The first range's lines, typed here, then each worker's part once it is done; `counts` summed."""
    rows = range_records(path, 0, end, None)
    next(rows, None)  # the header row
    yield from jsonl_of(rows, columns, counts, fail=fail, watch=guesses.watch())
    for worker, (handle, _name) in zip(workers, parts, strict=True):
        rows_done, unparsed_done = _answer(worker)
        counts.rows += rows_done
        counts.unparsed_rows += unparsed_done
        handle.seek(0)
        while block := handle.read(BLOCK):
            yield block


def _discarding(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks`, any failure in them (a range's, a worker's) turned into _Discarded."""
    try:
        yield from chunks
    except Exception as exc:
        raise _Discarded() from exc


def _start_worker(part: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-I", "-c", _WORKER_CODE, *sys.path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(part.fileno(),),
    )


def _send(worker: subprocess.Popen[bytes], job: PartJob) -> None:
    stdin, worker.stdin = worker.stdin, None  # closed here: `communicate` reads the answer later
    assert stdin is not None
    try:
        stdin.write(pickle.dumps(job))
    finally:
        stdin.close()


def _answer(worker: subprocess.Popen[bytes]) -> tuple[int, int]:
    """A worker's counts once it has ended; _Discarded when it failed."""
    out, _err = worker.communicate()
    try:
        answer = json.loads(out.decode("utf-8")) if worker.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "failed" in answer:
        raise _Discarded()
    rows, unparsed = answer.get("rows"), answer.get("unparsed_rows")
    if not isinstance(rows, int) or not isinstance(unparsed, int):
        raise _Discarded()
    return rows, unparsed


def _stop(workers: Sequence[subprocess.Popen[bytes]], parts: Sequence[tuple[IO[bytes], Path]]) -> None:
    """Kill the workers still running, wait for them all, close and remove the parts."""
    for worker in workers:
        if worker.poll() is None:
            with contextlib.suppress(OSError):
                worker.kill()
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.wait()
        for pipe in (worker.stdin, worker.stdout, worker.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
    for handle, name in parts:
        with contextlib.suppress(OSError):
            handle.close()
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back in the block (the main thread's), so that Ctrl-C cannot land between a
    worker's start and its being recorded, or halfway through the cleanup; they are delivered after it."""
    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    held = block(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, held)
