"""The shape of a split manifest's `windows`, checked before a saved window is reused.

A manifest is ours, but it sits on disk where anyone (or a half-finished edit) can change it: a value of the
wrong type must be a clear message, not a traceback in the middle of a run.
"""

from __future__ import annotations

from typing import Any


def manifest_problem(windows: Any, *, saved: str) -> str | None:
    """What is wrong with a manifest's `windows` (each `saved` one with its counts and sha256), or None."""
    if not isinstance(windows, list):
        return f"'windows' is {_shown(windows)}, expected a list"
    for index, entry in enumerate(windows):
        if not isinstance(entry, dict):
            return f"windows[{index}] is {_shown(entry)}, expected an object"
        if entry.get("status") != saved:
            continue
        for name in ("bytes", "rows"):
            value = entry.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return f"windows[{index}].{name} is {_shown(value)}, expected a whole number"
        if not isinstance(entry.get("sha256"), str):
            return f"windows[{index}].sha256 is {_shown(entry.get('sha256'))}, expected a string"
        if not isinstance(entry.get("export_id"), str | None):
            return f"windows[{index}].export_id is {_shown(entry.get('export_id'))}, expected a string"
    return None


def _shown(value: Any) -> str:
    """A manifest value for a message: its JSON type and a short repr."""
    return f"{type(value).__name__} {value!r:.40}"
