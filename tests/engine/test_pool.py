"""The one worker pool: N at a time, first failure or keep going, a stop that every task sees, grace, signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading

import pytest

from exportctl.client.stop import StopEvent
from exportctl.engine.pool import run_pool


def test_every_task_runs_at_most_n_at_once_and_results_come_back_by_index() -> None:
    guard = threading.Lock()
    running = [0]
    most = [0]
    gate = threading.Barrier(3, timeout=30)  # the first three meet: three really run at once

    def work(index: int) -> int:
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        if index < 3:
            gate.wait()
        with guard:
            running[0] -= 1
        return index * 10

    run = run_pool(range(8), work, workers=3, stop=StopEvent())
    assert run.results == {i: i * 10 for i in range(8)}
    assert most[0] == 3
    assert not run.errors and not run.halted and not run.stopped


def test_the_first_failure_stops_new_tasks_and_is_raised_by_the_caller() -> None:
    def work(index: int) -> int:
        if index == 1:
            raise ValueError("window 1 failed")
        return index

    run = run_pool(range(5), work, workers=1, stop=StopEvent())
    assert run.results == {0: 0}
    assert isinstance(run.first_error(), ValueError)
    assert sorted(run.started) == [0, 1]  # nothing started after the failure
    assert run.halted


def test_keep_going_runs_every_task_and_lists_each_failure() -> None:
    def work(index: int) -> str:
        if index % 2:
            raise ValueError(str(index))
        return "ok"

    run = run_pool(range(6), work, workers=2, stop=StopEvent(), keep_going=True)
    assert sorted(run.results) == [0, 2, 4]
    assert sorted(run.failures) == [1, 3, 5]
    assert not run.halted


def test_a_failed_result_halts_like_an_exception() -> None:
    seen: list[int] = []
    run = run_pool(
        range(4),
        lambda i: "failed" if i == 0 else "done",
        workers=1,
        stop=StopEvent(),
        failed=lambda result: result == "failed",
        on_done=lambda index, result: seen.append(index),
    )
    assert run.results == {0: "failed"} and run.halted and seen == [0]


def test_a_stop_ends_every_waiting_task_and_starts_no_new_one() -> None:
    stop = StopEvent()
    all_waiting = threading.Barrier(3, timeout=30)

    def work(index: int) -> int:
        if index == 0:
            all_waiting.wait()
            stop.set()  # as Session.interrupt() does, from any thread
            return 0
        all_waiting.wait()
        stop.sleep(600)  # every wait of a session's client is this one
        return index

    run = run_pool(range(10), work, workers=3, stop=stop, grace=30)
    assert run.stopped
    assert run.results == {0: 0}
    assert sorted(run.errors) == [1, 2]
    assert all(isinstance(error, KeyboardInterrupt) for error in run.errors.values())
    assert sorted(run.started) == [0, 1, 2]  # the other seven never started


def test_a_task_that_ignores_the_stop_is_left_after_the_grace_and_reported_running() -> None:
    stop = StopEvent()
    release = threading.Event()
    started = threading.Event()

    def work(index: int) -> int:
        started.set()
        release.wait(60)  # a request in flight that does not look at the stop event
        return index

    signals: list[int] = []

    def send_signal() -> None:
        started.wait(30)
        signals.append(signal.SIGTERM)  # as cli/signals.py's handler does

    sender = threading.Thread(target=send_signal)
    sender.start()
    try:
        run = run_pool([0], work, workers=2, stop=stop, signals=signals, grace=0.2)
    finally:
        release.set()
        sender.join()
    assert run.stopped and stop.is_set()
    assert run.running() == [0] and run.results == {}


def test_one_worker_inline_runs_in_the_calling_thread() -> None:
    threads: list[str] = []
    run = run_pool(
        range(2), lambda i: threads.append(threading.current_thread().name), workers=1, stop=StopEvent(), inline=True
    )
    assert threads == [threading.current_thread().name] * 2 and len(run.results) == 2


def test_ctrl_c_inline_stops_the_pool_and_says_so() -> None:
    def work(index: int) -> int:
        raise KeyboardInterrupt

    stop = StopEvent()
    run = run_pool(range(3), work, workers=1, stop=stop, inline=True)
    assert run.stopped and stop.is_set() and sorted(run.started) == [0]
    assert isinstance(run.first_error(), KeyboardInterrupt)


REAL_SIGNAL = """
import json, threading
from exportctl.client.stop import StopEvent
from exportctl.engine.pool import run_pool
stop = StopEvent()
together = threading.Barrier(3)
def work(index):
    if together.wait() == 0:
        print("waiting", flush=True)
    stop.sleep(600)
    return index
run = run_pool(range(5), work, workers=3, stop=stop)
print(json.dumps({"stopped": run.stopped, "interrupted": len(run.errors), "started": len(run.started),
                  "running": len(run.running())}), flush=True)
"""


def test_a_real_ctrl_c_stops_every_worker_within_the_grace() -> None:
    process = subprocess.Popen([sys.executable, "-c", REAL_SIGNAL], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "waiting"
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    # Every worker saw the stop in its wait and ended (none left running); the two never started stay so.
    assert json.loads(out) == {"stopped": True, "interrupted": 3, "started": 3, "running": 0}


EARLY_SIGNAL = """
import json, threading
from exportctl.client.stop import StopEvent
from exportctl.engine.pool import run_pool
stop = StopEvent()
def work(index):
    if index == 0:
        print("first", flush=True)  # while the pool may still be starting the other fifteen
    stop.sleep(600)
    return index
run = run_pool(range(16), work, workers=16, stop=stop)
print(json.dumps({"stopped": run.stopped, "running": len(run.running())}), flush=True)
"""


@pytest.mark.parametrize("attempt", range(3))
def test_a_ctrl_c_while_the_workers_are_starting_still_stops_them_all(attempt: int) -> None:
    process = subprocess.Popen([sys.executable, "-c", EARLY_SIGNAL], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "first"
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0  # not -2: the interrupt did not escape the pool with workers left running
    assert json.loads(out) == {"stopped": True, "running": 0}
