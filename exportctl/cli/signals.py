"""Stop signals during `exportctl run`: recorded, never raised, so that the summary always gets printed.

Elsewhere a stop signal becomes a KeyboardInterrupt in the main thread (cli/app.py), which each command
turns into its resume hint. `run` cannot take that: a KeyboardInterrupt raised at an arbitrary moment (the
second of two SIGINTs a millisecond apart, one that lands while the summary is written) ends the command
before its table or `--json` document is out. While `run` works, SIGINT, SIGTERM and SIGHUP only append
their number to the list cli/app.py keeps (for the exit status, 128 + the first); the run's loop looks at
that list between its waits (jobs/batch.py `signals`), stops the exports and prints the summary.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# ctx.meta key of the list of stop signals received (cli/app.py fills and reads it).
RECEIVED_KEY = "exportctl.signals_received"
RECORDED = ("SIGINT", "SIGTERM", "SIGHUP")

# Set by the console entry point: the process is exportctl's own. After `run`, its stop signals are then
# ignored until the process ends, since there is nothing left to stop: Python's finalization would put
# back the default action (end the process) for signals with a Python handler, but leaves ignored ones be.
process_owned = False


@contextmanager
def recording_signals(received: list[int]) -> Iterator[list[int]]:
    """Within the block, SIGINT, SIGTERM and SIGHUP append to `received` and nothing else happens."""
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def record(signum: int, frame: Any) -> None:
        received.append(signum)  # one append: no lock a signal could meet half-taken

    previous: dict[int, Any] = {}
    for name in RECORDED:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, record)
    try:
        yield received
    finally:
        # The summary is out of Python's buffer before anything else can happen to the process.
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_IGN if process_owned else handler)
