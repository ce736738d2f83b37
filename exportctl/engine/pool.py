"""The one worker pool: the windows of a split export and the entries of `exportctl run`, N at a time.

`run_pool(indices, work, workers=N, stop=session.stop)` calls `work(index)` for every index, on at most N
daemon threads, and returns a `PoolRun`: the results and errors by index, which ones started, whether a
failure halted it and whether it was stopped. What it decides, in one place for both callers:

- **first failure or keep going**: a task fails when it raises, or when `failed(result)` says so (a run
  entry that returned a failed result). Without `keep_going` no task starts after a failure; those already
  running finish. With it, every task runs.
- **the shared budget**: the pool adds no clients of its own; each task takes one of the session's
  (`Session.client()` or `engine.session.sibling()`), so every thread spends the session's one RateBudget.
- **grace on interrupt**: Ctrl-C or a stop signal (KeyboardInterrupt in the calling thread, or a signal
  handler appending to `signals`, cli/signals.py) sets the session's stop event. Every wait, poll, request
  and download chunk of the session's clients ends on it, so the running tasks unwind; they get `grace`
  seconds (STOP_GRACE), then the pool returns what is known by then. A second signal (or Ctrl-C) cuts the
  grace short. The threads are daemons: one stuck in a silent request cannot hold the process after that.
  What a caller reports after a stop is read from `PoolRun` (or, for a split, from its frozen manifest),
  never from threads still running.

`inline=True` with one worker runs the tasks in the calling thread (a split without `--parallel`): Ctrl-C
then reaches the task itself, which turns it into the resume hint it knows best.

Standard library only; the tasks bring their own imports.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from exportctl.engine.session import STOP_GRACE

T = TypeVar("T")
_JOIN_TICK = 0.1  # a timed join lets the calling thread receive Ctrl-C and see signals


@dataclass
class PoolRun(Generic[T]):
    """What became of the tasks of one pool, as known when it returned."""

    results: dict[int, T] = field(default_factory=dict)
    errors: dict[int, BaseException] = field(default_factory=dict)
    started: dict[int, float] = field(default_factory=dict)  # index -> time.monotonic() when it started
    failures: list[int] = field(default_factory=list)  # indices of failed tasks, in the order they failed
    halted: bool = False  # a failure stopped new tasks from starting
    stopped: bool = False  # the stop event was set (Ctrl-C, a stop signal, `Session.interrupt()`)

    def first_error(self) -> BaseException | None:
        """The exception of the first task that raised, or None."""
        for index in self.failures:
            if index in self.errors:
                return self.errors[index]
        return None

    def running(self) -> list[int]:
        """Tasks that started and had not ended when the pool returned (only after a stop)."""
        return [i for i in self.started if i not in self.results and i not in self.errors]


def run_pool(
    indices: Sequence[int],
    work: Callable[[int], T],
    *,
    workers: int,
    stop: threading.Event,
    keep_going: bool = False,
    failed: Callable[[T], bool] = lambda result: False,
    on_done: Callable[[int, T], None] = lambda index, result: None,
    signals: Sequence[int] | None = None,
    grace: float = STOP_GRACE,
    inline: bool = False,
    name: str = "exportctl-worker",
) -> PoolRun[T]:
    """Run `work(index)` for each of `indices` (in that order of starting) on at most `workers` threads."""
    pool = _Pool(indices, work, stop, keep_going, failed, on_done)
    if inline and workers <= 1:
        pool.worker(catch_interrupt=True)
        return pool.snapshot()
    count = max(1, min(workers, len(indices)))
    pool.active = count
    threads = [threading.Thread(target=pool.worker, name=f"{name}-{n}", daemon=True) for n in range(count)]

    def signalled() -> int:
        return 0 if signals is None else len(signals)

    # Waiting on the pool's own event, not Thread.join: a KeyboardInterrupt inside join() can leave the
    # interrupted thread looking finished (CPython), and the grace would then skip it.
    try:
        _start(threads)
        while not pool.idle.wait(_JOIN_TICK) and not signalled():
            pass
    except KeyboardInterrupt:
        stop.set()
    if signalled():
        stop.set()
    if stop.is_set():
        deadline = time.monotonic() + grace
        try:
            while signalled() < 2 and (left := deadline - time.monotonic()) > 0:
                if pool.idle.wait(min(_JOIN_TICK, left)):
                    break
        except KeyboardInterrupt:
            pass  # a second Ctrl-C cuts the grace short; what is known so far must still be returned
    return pool.snapshot()


def _start(threads: Sequence[threading.Thread]) -> None:
    """Start every thread with SIGINT and SIGTERM held back in this thread.

    A Ctrl-C that lands inside `Thread.start()` would otherwise escape the pool with some workers started and
    none told to stop; held, it is delivered when the mask is restored, inside the caller's `try`. The workers
    inherit the mask, so the main thread alone takes the signals, as Python's handlers run there anyway.
    """
    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        for thread in threads:
            thread.start()
        return
    held = block(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        for thread in threads:
            thread.start()
    finally:
        block(signal.SIG_SETMASK, held)


class _Pool(Generic[T]):
    """The tasks' shared state, guarded by one lock."""

    def __init__(
        self,
        indices: Sequence[int],
        work: Callable[[int], T],
        stop: threading.Event,
        keep_going: bool,
        failed: Callable[[T], bool],
        on_done: Callable[[int, T], None],
    ) -> None:
        self.lock = threading.Lock()
        self.pending = list(reversed(indices))
        self.work = work
        self.stop = stop
        self.keep_going = keep_going
        self.failed = failed
        self.on_done = on_done
        self.run: PoolRun[T] = PoolRun()
        self.active = 0  # worker threads not yet ended
        self.idle = threading.Event()  # set when the last worker thread ends

    def _next(self) -> int | None:
        with self.lock:
            if self.stop.is_set() or self.run.halted or not self.pending:
                return None
            index = self.pending.pop()
            self.run.started[index] = time.monotonic()
            return index

    def worker(self, catch_interrupt: bool = False) -> None:
        try:
            self._work(catch_interrupt)
        finally:
            with self.lock:
                self.active -= 1
                if self.active <= 0:
                    self.idle.set()

    def _work(self, catch_interrupt: bool) -> None:
        while (index := self._next()) is not None:
            try:
                result = self.work(index)
            except BaseException as exc:  # handed to the caller through PoolRun
                if isinstance(exc, KeyboardInterrupt) and catch_interrupt:
                    self.stop.set()  # Ctrl-C reached the calling thread outside what the task catches
                self._fail(index, exc)
                if not isinstance(exc, Exception):
                    return
                continue
            with self.lock:
                self.run.results[index] = result
                bad = self.failed(result)
                if bad:
                    self.run.failures.append(index)
                    self.run.halted = self.run.halted or not self.keep_going
            self.on_done(index, result)

    def _fail(self, index: int, exc: BaseException) -> None:
        with self.lock:
            self.run.errors[index] = exc
            self.run.failures.append(index)
            self.run.halted = self.run.halted or not self.keep_going

    def snapshot(self) -> PoolRun[T]:
        """A copy made under the lock: threads still finishing after the grace change nothing the caller reads."""
        with self.lock:
            run = self.run
            return PoolRun(
                results=dict(run.results),
                errors=dict(run.errors),
                started=dict(run.started),
                failures=list(run.failures),
                halted=run.halted,
                stopped=self.stop.is_set(),
            )
