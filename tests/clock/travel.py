"""Move this process's wall clock to an instant and let it run on from there."""

from __future__ import annotations

import time
from datetime import datetime, timezone

# What the processes the tests start read: how far the suite's clock is from the real one, in seconds.
OFFSET_VARIABLE = "EXPORTCTL_TEST_CLOCK_OFFSET"


def parse_instant(text: str) -> datetime:
    """`2030-11-30T23:50:00Z` (or without zone: UTC) as an aware datetime; ValueError otherwise."""
    instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=timezone.utc)


def start_travel(offset_seconds: float) -> None:
    """Run this process's wall clock `offset_seconds` away from the real one, ticking on."""
    import time_machine

    destination = datetime.fromtimestamp(time.time() + offset_seconds, tz=timezone.utc)
    time_machine.travel(destination, tick=True).start()
