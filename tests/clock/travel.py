"""Move this process's wall clock to an instant and let it run on from there."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_instant(text: str) -> datetime:
    """`2030-11-30T23:50:00Z` (or without zone: UTC) as an aware datetime; ValueError otherwise."""
    instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=timezone.utc)


def start_travel(text: str) -> None:
    import time_machine

    time_machine.travel(parse_instant(text), tick=True).start()
