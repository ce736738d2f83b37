"""`pytest --clock INSTANT`: run the suite as if the wall clock said INSTANT, subprocesses included.

The suite must pass on any day (the sandbox's data ends at its `as_of`, today by default); this is how
that is checked without waiting for the calendar: `.ci/run` runs the suite once more at another date.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.clock.travel import OFFSET_VARIABLE, parse_instant, start_travel

SHIM_DIR = Path(__file__).resolve().parent
REPO_ROOT = SHIM_DIR.parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        help="run with the wall clock at this instant (ISO 8601, UTC unless a zone is given), subprocesses too",
    )


def pytest_configure(config: pytest.Config) -> None:
    clock = config.getoption("--clock")
    if not clock:
        return
    inherited = os.environ.get(OFFSET_VARIABLE)
    if inherited:
        # A pytest-xdist worker: it inherited the offset, and sitecustomize already moved its clock, so
        # time.time() is the suite's clock now; computing the offset again would give about zero.
        return
    try:
        offset = parse_instant(clock).timestamp() - time.time()
    except ValueError:
        raise pytest.UsageError(f"--clock {clock!r} is not an ISO 8601 instant like 2030-11-30T23:50:00Z") from None
    # The processes the tests start import sitecustomize from the shim directory and keep the same offset.
    os.environ[OFFSET_VARIABLE] = repr(offset)
    paths = [str(SHIM_DIR), str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    start_travel(offset)
