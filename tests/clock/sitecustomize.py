"""Starts a Python process with its wall clock as far from the real one as the test suite's.

Put on PYTHONPATH by `pytest --clock` (tests/clock/plugin.py), so that the CLI and sandbox processes the
tests start see the same instant as the tests themselves: an offset rather than a fixed instant, so that a
process started two minutes into the suite is two minutes later too. Only the wall clock moves:
`time.monotonic` and sleeps stay real, which is why this uses time-machine and not libfaketime (whose
0.9.10 in Debian hangs Python's `threading.Event.wait`, and with monotonic left alone makes `time.sleep`
fail with EINVAL).
"""

import os

_OFFSET = os.environ.get("EXPORTCTL_TEST_CLOCK_OFFSET")
if _OFFSET:
    from tests.clock.travel import start_travel

    start_travel(float(_OFFSET))
