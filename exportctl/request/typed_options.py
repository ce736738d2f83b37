"""The typed outputs' run options from flags and a file: `--format`, `--into`, `--unparsed` (see `request.into`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exportctl.errors import UsageError
from exportctl.request.configfile import KeyLocator
from exportctl.request.into import CSV, FORMATS, PARQUET, UNPARSED_MODES, check_choice, parse_into
from exportctl.request.model import RequestFlags, RunOptions


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


def check_typed_output(options: RunOptions) -> None:
    """The combinations a typed output cannot run with, refused offline."""
    if options.into is not None and not options.wait:
        raise UsageError(
            "--into loads what it exports; --no-wait cannot be combined with it.",
            hint="Drop --no-wait, or load a saved export later.",
        )
    if options.format != CSV and options.headers == "api":
        raise UsageError(
            f"--headers api shapes a CSV's header row; --format {options.format} always names the columns by "
            "their field names.",
            hint="Drop --headers, or use --format csv.",
        )
    if options.format == PARQUET and options.output is not None and options.output.lower().endswith(".gz"):
        raise UsageError(
            f"--format parquet compresses its own columns (zstd); '{options.output}' would gzip the file again.",
            hint="Give a .parquet name, e.g. -o vouchers.parquet.",
        )
    if options.into is not None and options.format == CSV and (options.output or "").lower().endswith(".gz"):
        raise UsageError(
            f"--into loads the CSV it keeps at -o; '{options.output}' would be gzip-compressed first.",
            hint="Give an uncompressed -o FILE.csv, or leave -o out to keep no CSV.",
        )
