"""The stop event of a session: every wait of its clients and jobs ends on it, with KeyboardInterrupt.

KeyboardInterrupt, not a new exception, because every job already turns it into `InterruptedByUser` with
the command that resumes (submit, poll, download), and that is what a stopped thread must say too.
"""

from __future__ import annotations

import threading


class StopEvent(threading.Event):
    """A `threading.Event` whose `sleep` and `check` raise KeyboardInterrupt once it is set."""

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or less: KeyboardInterrupt as soon as the event is set."""
        if self.wait(max(0.0, seconds)):
            raise KeyboardInterrupt

    def check(self) -> None:
        """KeyboardInterrupt when the event is set: called between requests and between download chunks."""
        if self.is_set():
            raise KeyboardInterrupt
