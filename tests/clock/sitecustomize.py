"""Starts a Python process with its wall clock at EXPORTCTL_TEST_CLOCK, running from there.

Put on PYTHONPATH by `pytest --clock` (tests/clock/plugin.py), so that the CLI and sandbox processes the
tests start see the same day as the tests themselves. Only the wall clock moves: `time.monotonic` and
sleeps stay real, which is why this uses time-machine and not libfaketime (whose 0.9.10 in Debian
hangs Python's `threading.Event.wait`, and with monotonic left alone makes `time.sleep` fail with EINVAL).
"""

import os

_CLOCK = os.environ.get("EXPORTCTL_TEST_CLOCK")
if _CLOCK:
    from tests.clock.travel import start_travel

    start_travel(_CLOCK)
