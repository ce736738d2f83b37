"""The clock the suite runs at is the clock the processes it starts run at."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.clock.travel import parse_instant


def test_a_started_process_sees_the_same_clock() -> None:
    code = "from datetime import datetime, timezone; print(datetime.now(timezone.utc).isoformat())"
    before = datetime.now(timezone.utc)
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    after = datetime.now(timezone.utc)
    # The child's clock runs on from the suite's, whenever the child starts: between the two readings here.
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(shown) <= after + timedelta(seconds=1)


def test_the_clock_option_moves_this_process(pytestconfig: pytest.Config) -> None:
    clock = pytestconfig.getoption("--clock")
    if not clock:
        pytest.skip("runs under --clock only")
    assert os.environ["EXPORTCTL_TEST_CLOCK_OFFSET"]
    assert abs((datetime.now(timezone.utc) - parse_instant(clock)).total_seconds()) < 24 * 3600
