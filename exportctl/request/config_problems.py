"""`exportctl OBJECT -c FILE`: a refused config file names every problem `exportctl validate` would, at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exportctl.errors import ConfigError, ConfigProblemsError, UsageError
from exportctl.request.configfile import LoadedConfig
from exportctl.request.option_keys import RequestFlags, flag_options
from exportctl.request.runfile import is_multi, single_problems
from exportctl.schema import ExportObject


def every_problem(obj: ExportObject, flags: RequestFlags, config: Mapping[str, Any], error: UsageError) -> UsageError:
    """The error to raise when `build_request` refused `config` (with `flags`) by `error`.

    When `error` is a problem of the file, every problem of the file (by validate's checker, leaving out the
    keys a flag replaces): a `ConfigProblemsError`. A problem of the command line is raised as it is.
    """
    if isinstance(error, ConfigError) or not isinstance(config, LoadedConfig) or config.path is None:
        return error
    if is_multi(config):  # a multi-export file: the one answer is `exportctl run FILE`
        return error
    label = config.path
    problems = single_problems(label, obj, _without_replaced(config, flags))
    if all(problem.message != error.message for problem in problems):
        return error
    hint = (
        error.hint if len(problems) == 1 else f"Fix them and run again; check the file with: exportctl validate {label}"
    )
    return ConfigProblemsError(label, [(problem.line, problem.message) for problem in problems], hint=hint)


def _without_replaced(config: LoadedConfig, flags: RequestFlags) -> LoadedConfig:
    """The config without the keys that a given flag replaces (its problems do not stop this run).

    A flag that adds to the file's value (`--filter`, a record with `adds`) leaves the file's value to be checked.
    """
    data: dict[str, Any] = dict(config)
    parameters = data.get("parameters")
    parameters = dict(parameters) if isinstance(parameters, Mapping) else parameters
    given_flags = flags.given()
    for option in flag_options():
        if option.key is None or option.adds or option.name not in given_flags:
            continue
        top, _, sub = option.key.partition(".")
        if not sub:
            data.pop(top, None)
        elif top == "parameters" and isinstance(parameters, dict):
            parameters.pop(sub, None)
    if isinstance(parameters, dict):
        data["parameters"] = parameters
    return LoadedConfig(data, config.path, config.lines)
