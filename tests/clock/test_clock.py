"""The clock the suite runs at is the clock the processes it starts run at."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from tests.clock.travel import parse_instant


def test_a_started_process_sees_the_same_day() -> None:
    code = "from datetime import datetime, timezone; print(datetime.now(timezone.utc).date().isoformat())"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    here = datetime.now(timezone.utc).date()
    # At most a day apart, for a run that crosses midnight between the two readings.
    assert abs((date.fromisoformat(shown) - here).days) <= 1


def test_the_clock_option_moves_this_process(pytestconfig: pytest.Config) -> None:
    clock = pytestconfig.getoption("--clock")
    if not clock:
        pytest.skip("runs under --clock only")
    assert os.environ["EXPORTCTL_TEST_CLOCK"] == clock
    assert abs((datetime.now(timezone.utc) - parse_instant(clock)).total_seconds()) < 24 * 3600
