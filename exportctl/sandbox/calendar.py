"""The calendar periods by month and day (`$today_md` ... `$next_month_md`) as the sandbox reads them.

The API lists these nine operators without documenting them; the sandbox gives them the meaning their names
suggest, the one anniversaries and birthdays need: the value's month and day (its year ignored) fall on
today, tomorrow, yesterday, a day of this, last or next week (Monday to Sunday, UTC), or in this, last or
next month. Any value (true, "", a date) is accepted and ignored. Dates and date-times both work, since
both are stored as ISO 8601 text that starts `YYYY-MM-DD`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

_DAYS = {"$today_md": 0, "$tomorrow_md": 1, "$yesterday_md": -1}
_WEEKS = {"$this_week_md": 0, "$last_week_md": -1, "$next_week_md": 1}
_MONTHS = {"$this_month_md": 0, "$last_month_md": -1, "$next_month_md": 1}


def _month_day(day: date) -> str:
    return f"{day.month:02d}-{day.day:02d}"


def calendar_md(expr: str, operator: str, today: date | None = None) -> tuple[str, list[Any]]:
    """The SQL clause (on the ISO text `expr`) and its parameters for one of the nine operators."""
    today = today or datetime.now(timezone.utc).date()
    month_day = f"substr(CAST({expr} AS TEXT), 6, 5)"
    if operator in _DAYS:
        return f"{month_day} = ?", [_month_day(today + timedelta(days=_DAYS[operator]))]
    if operator in _WEEKS:
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=_WEEKS[operator])
        days = [_month_day(monday + timedelta(days=offset)) for offset in range(7)]
        return f"{month_day} IN ({', '.join('?' * len(days))})", days
    index = today.year * 12 + today.month - 1 + _MONTHS[operator]
    return f"substr(CAST({expr} AS TEXT), 6, 2) = ?", [f"{index % 12 + 1:02d}"]
