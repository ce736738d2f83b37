"""The typed outputs' run options from flags and a file: `--format`, `--into`, `--unparsed` (see `request.into`).

The combinations they cannot run with are rules of `request.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exportctl.errors import UsageError
from exportctl.request.configfile import KeyLocator
from exportctl.request.into import FORMATS, UNPARSED_MODES, check_choice, parse_into
from exportctl.request.option_keys import RequestFlags


def typed_options(command: str, flags: RequestFlags, config: Mapping[str, Any], at: KeyLocator) -> dict[str, Any]:
    """RunOptions' `format`, `into` and `unparsed` from the flags (which win) or the file's keys, checked."""
    chosen: dict[str, Any] = {}
    for name in ("format", "into", "unparsed"):
        flag = getattr(flags, name)
        value, where = (flag, f"--{name}") if flag is not None else (config.get(name), at((name,)))
        if value is None:
            continue
        if not isinstance(value, str):
            raise UsageError(f"{where}: expected a string, got {type(value).__name__} {value!r}.")
        if name == "into":
            chosen[name] = parse_into(value, command, where)
        else:
            choices, what = (FORMATS, "an output format") if name == "format" else (UNPARSED_MODES, "keep or fail")
            chosen[name] = check_choice(value, choices, what, where)
    return chosen
