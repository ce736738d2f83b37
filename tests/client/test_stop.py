"""The session's stop event: its sleep and check raise KeyboardInterrupt once set, from any thread."""

from __future__ import annotations

import threading

import pytest

from exportctl.client.stop import StopEvent


def test_stop_event_sleeps_until_set() -> None:
    stop = StopEvent()
    stop.sleep(0)  # not set: returns
    stop.sleep(-1)  # a negative wait is none
    stop.check()
    stop.set()
    with pytest.raises(KeyboardInterrupt):
        stop.sleep(600)
    with pytest.raises(KeyboardInterrupt):
        stop.check()


def test_a_stop_from_another_thread_ends_a_long_sleep() -> None:
    stop = StopEvent()
    ended: list[str] = []

    def sleeper() -> None:
        try:
            stop.sleep(600)
        except KeyboardInterrupt:
            ended.append("stopped")

    thread = threading.Thread(target=sleeper, daemon=True)
    thread.start()
    stop.set()
    thread.join(60)  # generous: the sleep was ten minutes
    assert ended == ["stopped"]
