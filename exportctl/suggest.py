"""'Did you mean' suggestions for unknown names: fields, orders, operators, config keys."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# The shortest beginning of a choice that is suggested as an abbreviation of it.
MIN_PREFIX = 3


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The choice most like `value`, or None when nothing is close enough to be worth suggesting."""
    options = list(dict.fromkeys(choices))
    if not value or not options:
        return None
    folded = value.casefold()
    # A difference of case alone is the likeliest slip, and difflib scores it as a poor match.
    for option in options:
        if option.casefold() == folded:
            return option
    by_folded = {option.casefold(): option for option in reversed(options)}
    matches = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.6)
    if matches:
        return by_folded[matches[0]]
    # An abbreviation (`prod` for `production`) scores low with difflib: the one choice it begins is meant.
    if len(folded) >= MIN_PREFIX:
        starting = [option for key, option in by_folded.items() if key.startswith(folded)]
        if len(starting) == 1:
            return starting[0]
    return None


def closest_order(value: str, orders: Iterable[str]) -> str | None:
    """Like `closest`, but SQL's `created_at desc` / `created_at asc` mean the API's -created_at / created_at."""
    options = list(orders)
    words = value.split()
    if len(words) == 2 and words[1].lower() in ("desc", "asc"):
        meant = f"-{words[0]}" if words[1].lower() == "desc" else words[0]
        if meant in options:
            return meant
    return closest(value, options)
