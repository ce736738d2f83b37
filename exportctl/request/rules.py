"""The rules between options, as one table (condition, message, hint), checked in one place.

`request.build.build_request` checks them for every door (flags, a YAML file, a run file's entries, the
library's keywords) once the options are resolved; `jobs.plan` checks the same table for RunOptions made
without it. A message names each option where it was given: the flag, or the file's `file:line: key`.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from exportctl.errors import UsageError
from exportctl.request.into import CSV, PARQUET
from exportctl.request.model import RunOptions

# Where an option was given, by its RunOptions name: `--parallel`, or `nightly.yaml:4: parallel`.
Where = Callable[[str], str]
FLAGS: Mapping[str, str] = {
    "incremental": "--since-last",
    "incremental_key": "--state-key",
    "cursor": "--cursor",
    "lookback": "--lookback",
    "split_by": "--split-by",
    "output_dir": "--output-dir",
}


def flag(name: str) -> str:
    """The flag of a RunOptions name: where an option was given when no file says otherwise."""
    return FLAGS.get(name, f"--{name.replace('_', '-')}")


def _gz(path: str | None) -> bool:
    return (path or "").lower().endswith(".gz")


def _windowed(options: RunOptions) -> str:
    return "--since-last" if options.incremental is not None else "--split-by"


class Rule(NamedTuple):
    """One rule: when `broken(options)`, the message (and hint) says why and what to do."""

    name: str
    broken: Callable[[RunOptions], bool]
    message: Callable[[RunOptions, Where], str]
    hint: Callable[[RunOptions], str] | None = None


def _parallel_message(options: RunOptions, where: Where) -> str:
    given = where("parallel")
    fix = "give --split-by day|week|month too" if given == "--parallel" else "add 'split: day|week|month'"
    return f"{given} runs the windows of a split export; {fix}."


# In the order they are checked: the first broken rule is the error.
RULES: tuple[Rule, ...] = (
    Rule(
        "state_key_needs_since_last",
        lambda o: o.incremental_key is not None and o.incremental is None,
        lambda o, w: "--state-key names an export in a state file; give the file with --since-last STATE.",
    ),
    Rule(
        "cursor_needs_since_last",
        lambda o: o.incremental is None and (o.cursor != "created_at" or o.lookback is not None),
        lambda o, w: (
            f"{w('cursor') if o.cursor != 'created_at' else w('lookback')} shapes the windows of an incremental "
            "export; give the state file with --since-last STATE."
        ),
        lambda o: "For example: --since-last state.json --cursor updated_at --lookback 10m",
    ),
    Rule(
        "updated_cursor_not_split",
        lambda o: o.cursor != "created_at" and o.split_by is not None,
        lambda o, w: f"--split-by cuts created_at windows; {w('cursor')} {o.cursor} cannot be combined with it.",
        lambda o: "Drop --split-by: each run of --cursor updated_at exports the changes since the last one.",
    ),
    Rule("parallel_needs_split", lambda o: o.parallel > 1 and o.split_by is None, _parallel_message),
    Rule(
        "split_needs_since",
        lambda o: o.split_by is not None and o.since is None,
        lambda o, w: "--split-by needs --since: the start of the range to cut into windows.",
        lambda o: f"For example: --split-by {o.split_by} --since 2024-01-01 [--until 2024-07-01]",
    ),
    Rule(
        "since_last_no_until",
        lambda o: o.incremental is not None and o.until is not None,
        lambda o, w: "--since-last ends every run at its start time; --until cannot be combined with it.",
    ),
    Rule(
        "windows_need_wait",
        lambda o: (o.split_by is not None or o.incremental is not None) and not o.wait,
        lambda o, w: f"{_windowed(o)} downloads what it exports; --no-wait cannot be combined with it.",
    ),
    Rule(
        "into_needs_wait",
        lambda o: o.into is not None and not o.wait,
        lambda o, w: "--into loads what it exports; --no-wait cannot be combined with it.",
        lambda o: "Drop --no-wait, or load a saved export later.",
    ),
    Rule(
        "typed_has_no_api_headers",
        lambda o: o.format != CSV and o.headers == "api",
        lambda o, w: (
            f"--headers api shapes a CSV's header row; --format {o.format} always names the columns by "
            "their field names."
        ),
        lambda o: "Drop --headers, or use --format csv.",
    ),
    Rule(
        "parquet_not_gzipped",
        lambda o: o.format == PARQUET and _gz(o.output),
        lambda o, w: f"--format parquet compresses its own columns (zstd); '{o.output}' would gzip the file again.",
        lambda o: "Give a .parquet name, e.g. -o vouchers.parquet.",
    ),
    Rule(
        "into_keeps_plain_csv",
        lambda o: o.into is not None and o.format == CSV and _gz(o.output),
        lambda o, w: f"--into loads the CSV it keeps at -o; '{o.output}' would be gzip-compressed first.",
        lambda o: "Give an uncompressed -o FILE.csv, or leave -o out to keep no CSV.",
    ),
)


def error(name: str, options: RunOptions, where: Where = flag) -> UsageError:
    """The error of the rule `name` for `options` (for a check that knows more than RunOptions, as a plan does)."""
    rule = next(rule for rule in RULES if rule.name == name)
    return UsageError(rule.message(options, where), hint=rule.hint(options) if rule.hint else None)


def check(options: RunOptions, where: Where = flag) -> None:
    """UsageError for the first rule that `options` break."""
    for rule in RULES:
        if rule.broken(options):
            raise error(rule.name, options, where)
