"""Lint a config mapping: every problem `build_request` would find, not only the first (`exportctl validate`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exportctl.errors import UsageError
from exportctl.request.build import build_request, filter_item
from exportctl.request.configfile import KeyLocator, KeyPath, LoadedConfig
from exportctl.request.option_keys import RequestFlags, config_keys, scope_options
from exportctl.schema import ExportObject

# The keys of the time range, split and incremental runs, which the rules between options (request.rules) check
# together: validated as one group. Every other top-level key (an option the table adds too) is validated on its
# own, so that every bad one is reported; the scopes and `parameters` have their own groups.
_TOGETHER = ("since", "until", "split", "parallel", "incremental")


def config_problems(obj: ExportObject, config: Mapping[str, Any]) -> list[UsageError]:
    """Every problem that `build_request` would find in a config mapping, not only the first.

    `build_request` stops at the first problem, which suits a command about to run. For a lint, each part
    is checked on its own by the same code: every unknown key, each independent key, the scope, fields,
    order, each filter, the remaining run options (which depend on each other) together; and then the
    whole mapping, for problems between parts (a junction contradicting the filters' own). So the messages
    are exactly those the export commands print, and a message found twice is reported once.
    """
    path: str | None = getattr(config, "path", None)
    lines: dict[KeyPath, int] = dict(getattr(config, "lines", {}))
    problems: list[UsageError] = []

    def note(error: UsageError) -> None:
        if all(error.message != seen.message for seen in problems):
            problems.append(error)

    def check(part: Mapping[str, Any], whole: bool = False) -> bool:
        try:
            build_request(obj, RequestFlags(), LoadedConfig(part, path, lines), whole=whole)
        except UsageError as error:
            note(error)
            return False
        return True

    scopes = scope_options()
    known = config_keys()
    alone = [key for key in known if key not in (*_TOGETHER, *scopes, "parameters")]
    grouped = (*alone, *scopes, "parameters")
    for key, value in config.items():
        if key not in known or key in alone:
            check({key: value})
    scope = {key: config[key] for key in scopes if key in config}
    if scope and not check(scope):
        scope = {}  # a refused scope would hide every filter's problem behind its own: check them without it
    parameters = config.get("parameters")
    if isinstance(parameters, Mapping):
        for key, value in parameters.items():
            if key != "filters":
                check({"parameters": {key: value}})
            elif isinstance(value, Mapping):
                for name, entry in value.items():
                    # With the scope: a per-resource endpoint may take its own filter forms.
                    check({"parameters": {"filters": {name: entry}}, **scope})
            elif isinstance(value, list):
                at = KeyLocator(path, lines)
                for index, item in enumerate(value):
                    try:
                        filter_item(obj, item, at(("parameters", "filters", index)))
                    except UsageError as error:
                        note(error)
            else:
                check({"parameters": {"filters": value}})
    elif parameters is not None:
        check({"parameters": parameters})
    rest = {key: value for key, value in config.items() if key in known and key not in grouped}
    if rest:
        check(rest)
    check(config, whole=True)
    return problems
