"""ExportRequest: the export parameters built from a YAML file and flags, validated offline, turned into the API body.

The YAML file mirrors the API's request body and adds the CLI's own keys::

    exported_object: order          # optional; must be the subcommand's object
    parameters:
      fields: [id, status, amount]  # or "id,status,amount"
      order: -created_at
      filters:                      # the API's own object ...
        junction: and
        status: {conditions: {$in: [PAID, FULFILLED]}}
      # ... or a list of filter expressions:  filters: ["status=PAID,FULFILLED", "amount>=1000"]
    junction: and                   # how the filters combine, for the list form
    output: orders-{date}.csv
    timeout: 15m

Flags override the file: `--fields` and `--order` replace the file's; `--filter` conditions are added to
the file's, and one on the same field with the same operator replaces the file's (so a file can hold
the standing filters and a cron job add a time window); `--junction`, the scope and the run options
replace the file's. Every name is checked against the schema tables, with a "did you mean".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from exportctl.errors import ConfigError, UsageError, ValidationError
from exportctl.request.durations import parse_duration
from exportctl.request.filters import (
    Condition,
    api_junction,
    build_filters,
    merge_conditions,
    parse_expression,
    validate_api_filters,
    validate_junction,
)
from exportctl.schema import ExportObject
from exportctl.suggest import closest

# The one table of the YAML file's top-level keys: the API body's two, then the CLI's own.
CONFIG_KEYS: dict[str, str] = {
    "exported_object": "The API's exported_object; must match the subcommand (voucher_transactions for card kinds).",
    "parameters": "The API's parameters: fields, order, filters.",
    "junction": "How the filters combine: and | or (default and).",
    "voucher": "Scope transactions to one card: its code or ID.",
    "campaign": "Scope transactions or points expirations to one campaign: its ID or name.",
    "output": "Target path or template ({object} {id} {date} {time}); - for stdout.",
    "output_dir": "Directory for the target.",
    "force": "Overwrite an existing target: true | false.",
    "wait": "Wait for the export and download it: true | false.",
    "timeout": "Give up waiting after this long: 90s, 15m, 2h.",
    "headers": "CSV header row: api (the API's titles) | fields (the field names).",
    "incremental": "Incremental export: the state file (a path), or {state: FILE, key: NAME}; see --since-last.",
    "since": "Only records created at or after this: 2024-01-01 or an ISO 8601 date-time (UTC unless a zone).",
    "until": "Only records created before this (exclusive); default for split and incremental: the run's start.",
    "split": "Cut into created_at windows and join them: day | week | month, or {by: ..., since: ..., until: ...}.",
    "parallel": "How many split windows run at once, sharing the rate budget: 1 to 16 (default 1).",
}
PARAMETER_KEYS = ("fields", "order", "filters")
SPLIT_KEYS = ("by", "since", "until")
INCREMENTAL_KEYS = ("state", "key")
MAX_PARALLEL = 16
HEADER_STYLES = ("api", "fields")

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class ExportRequest:
    """What to export, validated: turned into the exact API request body and endpoint."""

    obj: ExportObject
    fields: tuple[str, ...] | None = None  # None: omitted, the API applies its defaults
    order: str | None = None
    filters: dict[str, Any] | None = None  # the API's form
    scope: tuple[str, str] | None = None  # ("voucher", "GIFT-1") or ("campaign", "camp_x")

    def body(self) -> dict[str, Any]:
        """The JSON body: `exported_object` and `parameters` for /v1/exports; only `parameters` for a scope."""
        parameters: dict[str, Any] = {}
        if self.fields is not None:
            parameters["fields"] = list(self.fields)
        if self.order is not None:
            parameters["order"] = self.order
        if self.filters:
            parameters["filters"] = self.filters
        # The per-resource endpoints name the object by their path; their schemas have `parameters` only.
        body: dict[str, Any] = {} if self.scope else {"exported_object": self.obj.exported_object}
        if parameters:
            body["parameters"] = parameters
        return body

    def endpoint(self) -> str:
        """`/v1/exports`, or the scope's per-resource path with its value URL-quoted."""
        if self.scope is None:
            return "/v1/exports"
        option, value = self.scope
        for scope in self.obj.scopes:
            if scope.option == option:
                return scope.path.format(value=quote(value, safe=""))
        raise ValidationError(
            f"{self.obj.command} exports cannot be scoped by {option}.",
            valid=tuple(s.option for s in self.obj.scopes),
        )


@dataclass(frozen=True)
class RunOptions:
    """How to run the export, from the CLI's own keys (YAML and flags)."""

    output: str | None = None
    output_dir: str | None = None
    force: bool = False
    wait: bool = True
    timeout: float | None = None  # seconds; None waits as long as it takes
    headers: str | None = None  # "api" | "fields"; None: as the API writes them
    incremental: str | None = None  # the state file of an incremental export
    incremental_key: str | None = None  # its explicit key in the state file; None: derived from the request
    since: datetime | None = None  # created_at >= since (UTC, milliseconds)
    until: datetime | None = None  # created_at < until
    split_by: str | None = None  # "day" | "week" | "month"
    parallel: int = 1  # split windows at once


@dataclass
class RequestFlags:
    """What the CLI parsed; None or empty means the flag was not given."""

    fields: list[str] = field(default_factory=list)  # each item may itself be "a,b,c"
    order: str | None = None
    filters: list[str] = field(default_factory=list)
    junction: str | None = None
    voucher: str | None = None
    campaign: str | None = None
    output: str | None = None
    output_dir: str | None = None
    force: bool | None = None
    wait: bool | None = None
    timeout: str | None = None
    headers: str | None = None
    incremental: str | None = None
    state_key: str | None = None
    since: str | None = None
    until: str | None = None
    split_by: str | None = None
    parallel: int | None = None


class LoadedConfig(dict[str, Any]):
    """A YAML config's mapping, remembering its file and the line of every key for error messages."""

    def __init__(self, data: Mapping[str, Any], path: str | None, lines: dict[KeyPath, int]) -> None:
        super().__init__(data)
        self.path = path
        self.lines = lines


def load_config(path: Path | str) -> dict[str, Any]:
    """Read a YAML config file into a mapping; ConfigError with file, line and column when it is not one."""
    import yaml  # start-up and --help must not pay for yaml

    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file.", path=label) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text.", path=label) from None
    except OSError as error:
        raise ConfigError(f"cannot read it: {error.strerror or error}.", path=label) from None
    try:
        # The reader checks every character as the loader is made, so that raises syntax errors too.
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = chr(error.character) if isinstance(error.character, int) else error.character
        message = f"YAML syntax error: {error.reason} ({character!r})."
        raise ConfigError(message, path=label, line=line, column=column) from None
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is not None:
            _record_lines(node, (), lines, label)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        if problem.startswith("but ") and error.context:
            problem = f"{error.context}, {problem}"
        raise ConfigError(
            f"YAML syntax error: {problem}.",
            path=label,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    # The YAML constructors raise plain Python errors on some inputs (a timestamp such as 2024-13-45,
    # nesting deeper than the interpreter's stack), so these are syntax errors of the file too.
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError, TypeError) as error:
        raise ConfigError(f"YAML error: {error}.", path=label) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(
            f"expected a mapping of keys ({', '.join(CONFIG_KEYS)}), but the file is {kind}.",
            path=label,
            line=node.start_mark.line + 1 if node is not None else None,
        )
    return LoadedConfig(data, label, lines)


def _record_lines(node: Any, path: KeyPath, lines: dict[KeyPath, int], label: str) -> None:
    """Note the line of every key and list item under `node`; refuse a key given twice."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(
                    f"key '{key}' is given twice (first on line {seen[key]}).",
                    path=label,
                    line=line,
                    column=key_node.start_mark.column + 1,
                )
            seen[key] = line
            lines.setdefault((*path, key), line)
            _record_lines(value_node, (*path, key), lines, label)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _record_lines(item, (*path, index), lines, label)


class KeyLocator:
    """Turns a key path of the config into the prefix of an error message: `orders.yaml:7: parameters.order`."""

    def __init__(self, path: str | None, lines: Mapping[KeyPath, int]) -> None:
        self.path = path
        self.lines = lines

    def __call__(self, keys: KeyPath) -> str:
        dotted = "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if i else k) for i, k in enumerate(keys))
        line = next((self.lines[keys[:n]] for n in range(len(keys), 0, -1) if keys[:n] in self.lines), None)
        where = self.path or ""
        if where and line is not None:
            where += f":{line}"
        return f"{where}: {dotted}" if where and dotted else (where or dotted or "config")


def build_request(
    obj: ExportObject,
    flags: RequestFlags,
    config: Mapping[str, Any] | None = None,
    *,
    config_path: str | None = None,
) -> tuple[ExportRequest, RunOptions]:
    """Merge a config mapping (from `load_config`) and flags (which win), validate all of it offline."""
    config = config if config is not None else {}
    at = KeyLocator(config_path or getattr(config, "path", None), getattr(config, "lines", {}))
    if not isinstance(config, Mapping):
        raise UsageError(f"{at(())}: expected a mapping of keys ({', '.join(CONFIG_KEYS)}).")
    _check_keys(config, tuple(CONFIG_KEYS), (), at)

    if "exported_object" in config:
        named = config["exported_object"]
        if named != obj.exported_object:
            raise ValidationError(
                f"{at(('exported_object',))}: '{named}' does not match the {obj.command} command, "
                f"which exports {obj.exported_object}.",
                valid=(obj.exported_object,),
            )

    parameters = config.get("parameters")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise UsageError(f"{at(('parameters',))}: expected a mapping with {', '.join(PARAMETER_KEYS)}.")
    _check_keys(parameters, PARAMETER_KEYS, ("parameters",), at)

    fields = _fields_from_flags(obj, flags.fields) if flags.fields else _fields_from_config(obj, parameters, at)
    order = _order(obj, flags.order, "--order") if flags.order is not None else None
    if order is None and parameters.get("order") is not None:
        order = _order(obj, _text(parameters["order"], at(("parameters", "order"))), at(("parameters", "order")))

    file_conditions, file_junction = _filters_from_config(obj, parameters, config, at)
    flag_conditions = [parse_expression(expression, obj) for expression in flags.filters]
    conditions = merge_conditions(file_conditions, flag_conditions)
    junction = validate_junction(flags.junction, "--junction") if flags.junction is not None else file_junction
    filters = build_filters(conditions, junction) or None

    scope = _scope(obj, flags, config, at)
    windowing = _windowing(obj, flags, config, at, [c.field for c in conditions], filters)
    options = RunOptions(
        output=_pick(flags.output, config, "output", at, _text),
        output_dir=_pick(flags.output_dir, config, "output_dir", at, _text),
        force=_pick(flags.force, config, "force", at, _boolean) or False,
        wait=_first_bool(flags.wait, config, "wait", at, default=True),
        timeout=_timeout(flags.timeout, config, at),
        headers=_headers(flags.headers, config, at),
        **windowing,
    )
    return ExportRequest(obj, fields, order, filters, scope), options


# Keys whose checks depend on no other key: each is validated on its own, so every bad one is reported.
_INDEPENDENT_KEYS = ("exported_object", "junction", "output", "output_dir", "force", "wait", "timeout", "headers")
_SCOPE_KEYS = ("voucher", "campaign")


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

    def check(part: Mapping[str, Any]) -> None:
        try:
            build_request(obj, RequestFlags(), LoadedConfig(part, path, lines))
        except UsageError as error:
            note(error)

    grouped = (*_INDEPENDENT_KEYS, *_SCOPE_KEYS, "parameters")
    for key, value in config.items():
        if key not in CONFIG_KEYS or key in _INDEPENDENT_KEYS:
            check({key: value})
    scope = {key: config[key] for key in _SCOPE_KEYS if key in config}
    if scope:
        check(scope)
    parameters = config.get("parameters")
    if isinstance(parameters, Mapping):
        for key, value in parameters.items():
            if key != "filters":
                check({"parameters": {key: value}})
            elif isinstance(value, Mapping):
                for name, entry in value.items():
                    check({"parameters": {"filters": {name: entry}}})
            elif isinstance(value, list):
                at = KeyLocator(path, lines)
                for index, item in enumerate(value):
                    try:
                        _filter_item(obj, item, at(("parameters", "filters", index)))
                    except UsageError as error:
                        note(error)
            else:
                check({"parameters": {"filters": value}})
    elif parameters is not None:
        check({"parameters": parameters})
    rest = {key: value for key, value in config.items() if key in CONFIG_KEYS and key not in grouped}
    if rest:
        check(rest)
    check(config)
    return problems


def _check_keys(mapping: Mapping[Any, Any], names: tuple[str, ...], parent: KeyPath, at: KeyLocator) -> None:
    for key in mapping:
        name = str(key)
        if name in names:
            continue
        where = "'parameters'" if not parent and name in PARAMETER_KEYS else None
        placed = f" It belongs under {where}." if where else ""
        if parent == ("parameters",) and name in CONFIG_KEYS:
            placed = " It is a top-level key, not a parameter."
        raise ValidationError(
            f"{at((*parent, name))}: unknown key '{name}'.{placed}",
            valid=names,
            suggestion=None if placed else closest(name, names),
        )


def _text(value: Any, where: str) -> str:
    # YAML reads `voucher: 12345` as a number; a scalar is meant as its text.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{where}: expected a string, got {_describe(value)}.")
    return str(value)


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{where}: expected true or false, got {_describe(value)}.", valid=("true", "false"))
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _pick(flag: Any, config: Mapping[str, Any], key: str, at: KeyLocator, convert: Callable[[Any, str], Any]) -> Any:
    if flag is not None:
        return flag
    if config.get(key) is None:
        return None
    return convert(config[key], at((key,)))


def _first_bool(flag: bool | None, config: Mapping[str, Any], key: str, at: KeyLocator, *, default: bool) -> bool:
    chosen = _pick(flag, config, key, at, _boolean)
    return default if chosen is None else bool(chosen)


def _timeout(flag: str | None, config: Mapping[str, Any], at: KeyLocator) -> float | None:
    if flag is not None:
        return parse_duration(flag, "--timeout")
    value = config.get("timeout")
    if value is None:
        return None
    return parse_duration(_text(value, at(("timeout",))), at(("timeout",)))


def _headers(flag: str | None, config: Mapping[str, Any], at: KeyLocator) -> str | None:
    where = "--headers" if flag is not None else at(("headers",))
    value: str | None = _pick(flag, config, "headers", at, _text)
    if value is None or value in HEADER_STYLES:
        return value
    raise ValidationError(
        f"{where}: '{value}' is not a header style.", valid=HEADER_STYLES, suggestion=closest(value, HEADER_STYLES)
    )


def _split_fields(items: list[str]) -> list[str]:
    return [name.strip() for item in items for name in item.split(",") if name.strip()]


def _fields_from_flags(obj: ExportObject, items: list[str]) -> tuple[str, ...]:
    return _validate_fields(obj, [(name, "--fields") for name in _split_fields(items)], "--fields")


def _fields_from_config(obj: ExportObject, parameters: Mapping[str, Any], at: KeyLocator) -> tuple[str, ...] | None:
    raw = parameters.get("fields")
    if raw is None:
        return None
    where = at(("parameters", "fields"))
    if isinstance(raw, str):
        named = [(name, where) for name in _split_fields([raw])]
    elif isinstance(raw, list):
        named = []
        for index, item in enumerate(raw):
            item_where = at(("parameters", "fields", index))
            named += [(name, item_where) for name in _split_fields([_text(item, item_where)])]
    else:
        raise UsageError(f"{where}: expected a list of field names or a comma-separated string, got {_describe(raw)}.")
    return _validate_fields(obj, named, where)


def _validate_fields(obj: ExportObject, named: list[tuple[str, str]], where: str) -> tuple[str, ...]:
    if not named:
        raise UsageError(
            f"{where}: no fields given; leave fields out for the defaults ({', '.join(obj.default_fields)})."
        )
    seen: set[str] = set()
    for name, name_where in named:
        if obj.get_field(name) is None:
            prefixes = tuple(f"{prefix}X" for prefix in obj.field_prefixes)
            raise ValidationError(
                f"{name_where}: unknown field '{name}' for {obj.command}.",
                valid=(*obj.field_names, *prefixes),
                suggestion=closest(name, obj.field_names),
            )
        if name in seen:
            raise ValidationError(f"{name_where}: field '{name}' is given twice.")
        seen.add(name)
    return tuple(name for name, _ in named)


def _order(obj: ExportObject, value: str, where: str) -> str:
    if value in obj.orders:
        return value
    raise ValidationError(
        f"{where}: unknown order '{value}' for {obj.command}.", valid=obj.orders, suggestion=closest(value, obj.orders)
    )


def _filters_from_config(
    obj: ExportObject, parameters: Mapping[str, Any], config: Mapping[str, Any], at: KeyLocator
) -> tuple[list[Condition], str | None]:
    junction = None
    if config.get("junction") is not None:
        junction = validate_junction(config["junction"], at(("junction",)))
    raw = parameters.get("filters")
    if raw is None:
        return [], junction
    where = at(("parameters", "filters"))
    if isinstance(raw, Mapping):
        conditions = validate_api_filters(
            raw, obj, where=where, locate=lambda keys: at(("parameters", "filters", *keys))
        )
        inner = api_junction(raw, where=where)
        if inner is not None and junction is not None and inner != junction:
            raise UsageError(
                f"{where}: junction '{inner}' contradicts the top-level junction '{junction}'; give only one."
            )
        return conditions, inner or junction
    if isinstance(raw, list):
        conditions = []
        for index, item in enumerate(raw):
            conditions.append(_filter_item(obj, item, at(("parameters", "filters", index))))
        return conditions, junction
    raise UsageError(
        f"{where}: expected the API's filters object or a list of filter expressions, got {_describe(raw)}."
    )


def _filter_item(obj: ExportObject, item: Any, where: str) -> Condition:
    """One filter expression of the list form, validated."""
    return parse_expression(_text(item, where), obj, where=where)


def _scope(obj: ExportObject, flags: RequestFlags, config: Mapping[str, Any], at: KeyLocator) -> tuple[str, str] | None:
    from_flags = [
        (name, value) for name, value in (("voucher", flags.voucher), ("campaign", flags.campaign)) if value is not None
    ]
    from_file = [
        (name, _text(config[name], at((name,)))) for name in ("voucher", "campaign") if config.get(name) is not None
    ]
    chosen, where = (from_flags, "--") if from_flags else (from_file, "")
    if not chosen:
        return None
    if len(chosen) > 1:
        raise UsageError(f"give one of {where}voucher and {where}campaign, not both: an export has one scope.")
    name, value = chosen[0]
    label = f"--{name}" if where else at((name,))
    options = tuple(scope.option for scope in obj.scopes)
    if name not in options:
        raise ValidationError(
            f"{label}: {obj.command} exports cannot be narrowed to one {name}.",
            valid=tuple(f"{where}{option}" for option in options),
        )
    if not value.strip():
        raise UsageError(f"{label}: the {name} is empty.")
    return name, value


def _windowing(
    obj: ExportObject,
    flags: RequestFlags,
    config: Mapping[str, Any],
    at: KeyLocator,
    filter_fields: list[str],
    filters: dict[str, Any] | None,
) -> dict[str, Any]:
    """The incremental, split and time-range options, each checked against the object and the filters."""
    from exportctl.request.windows import check_no_conflict, check_range, check_split_unit, parse_instant

    split = config.get("split")
    split_map: Mapping[str, Any] = {}
    if isinstance(split, Mapping):
        _check_keys(split, SPLIT_KEYS, ("split",), at)
        split_map = split
    elif split is not None:
        split_map = {"by": _text(split, at(("split",)))}

    def instant(flag: str | None, name: str) -> datetime | None:
        if flag is not None:
            return parse_instant(flag, f"--{name}")
        inner, outer = split_map.get(name), config.get(name)
        if inner is not None and outer is not None:
            raise UsageError(f"{at(('split', name))}: {name} is also given at the top level; give it once.")
        key: KeyPath = ("split", name) if inner is not None else (name,)
        value = inner if inner is not None else outer
        if value is None:
            return None
        # YAML reads an unquoted 2024-01-01 as a date; the filter grammar's reader takes its text.
        text = value.isoformat() if hasattr(value, "isoformat") else _text(value, at(key))
        return parse_instant(text, at(key))

    since, until = instant(flags.since, "since"), instant(flags.until, "until")
    split_by = None
    if flags.split_by is not None:
        split_by = check_split_unit(flags.split_by, "--split-by")
    elif split_map.get("by") is not None:
        where = at(("split", "by")) if isinstance(split, Mapping) else at(("split",))
        split_by = check_split_unit(_text(split_map["by"], where), where)
    elif split_map:
        raise UsageError(f"{at(('split',))}: 'by' is missing: day, week or month.")

    state, key = flags.incremental, flags.state_key
    raw = config.get("incremental")
    if isinstance(raw, Mapping):
        _check_keys(raw, INCREMENTAL_KEYS, ("incremental",), at)
        if state is None and raw.get("state") is not None:
            state = _text(raw["state"], at(("incremental", "state")))
        if key is None and raw.get("key") is not None:
            key = _text(raw["key"], at(("incremental", "key")))
        if state is None:
            raise UsageError(f"{at(('incremental',))}: 'state' is missing: the path of the state file.")
    elif raw is not None and state is None:
        state = _text(raw, at(("incremental",)))
    if key is not None and state is None:
        raise UsageError("--state-key names an export in a state file; give the file with --since-last STATE.")
    if state is not None and not state.strip():
        raise UsageError("--since-last: the state file path is empty.")

    parallel, parallel_where = flags.parallel, "--parallel"
    if parallel is None and config.get("parallel") is not None:
        value, parallel_where = config["parallel"], at(("parallel",))
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{parallel_where}: expected a whole number, got {_describe(value)}.")
        parallel = value
    if parallel is not None and not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(f"{parallel_where}: {parallel} is out of range; give 1 to {MAX_PARALLEL}.")
    if parallel is not None and parallel > 1 and split_by is None:
        raise UsageError("--parallel runs the windows of a split export; give --split-by day|week|month too.")

    # Also with --since-last: the first run's range must have a start to be cut into windows.
    if split_by is not None and since is None:
        raise UsageError(
            "--split-by needs --since: the start of the range to cut into windows.",
            hint=f"For example: --split-by {split_by} --since 2024-01-01 [--until 2024-07-01]",
        )
    if state is not None and until is not None:
        raise UsageError("--since-last ends every run at its start time; --until cannot be combined with it.")
    if since is not None and until is not None:
        check_range(since, until)
    what = "--since-last" if state is not None else "--split-by" if split_by else "--since/--until"
    if state is not None or split_by is not None or since is not None or until is not None:
        check_no_conflict(obj, filter_fields, (filters or {}).get("junction"), what)
    return {
        "incremental": state,
        "incremental_key": key,
        "since": since,
        "until": until,
        "split_by": split_by,
        "parallel": parallel or 1,
    }
