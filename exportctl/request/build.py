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

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from exportctl.errors import UsageError, ValidationError
from exportctl.request.api_filters import api_junction, validate_api_filters
from exportctl.request.config_values import boolean as _boolean
from exportctl.request.config_values import describe as _describe
from exportctl.request.config_values import path_text as _path_text
from exportctl.request.config_values import text as _text
from exportctl.request.configfile import KeyLocator, KeyPath, check_keys
from exportctl.request.durations import check_timeout, parse_duration
from exportctl.request.filters import Condition, build_filters, merge_conditions, parse_expression, validate_junction
from exportctl.request.model import ExportRequest, RunOptions
from exportctl.request.narrowing import body_parameters_of, scope_of
from exportctl.request.option_keys import INCREMENTAL_KEYS, SPLIT_KEYS, RequestFlags, config_keys, parameter_keys
from exportctl.request.option_record import HEADER_STYLES, MAX_PARALLEL
from exportctl.request.rules import check as check_rules
from exportctl.request.rules import flag as flag_of
from exportctl.request.typed_options import typed_options
from exportctl.schema import ExportObject
from exportctl.suggest import closest, closest_order


def build_request(
    obj: ExportObject,
    flags: RequestFlags,
    config: Mapping[str, Any] | None = None,
    *,
    config_path: str | None = None,
    whole: bool = True,
) -> tuple[ExportRequest, RunOptions]:
    """Merge a config mapping (from `load_config`) and flags (which win), validate all of it offline.

    `whole=False` (the lint, checking one part of a file at a time) leaves out the checks between the scope
    and the fields, which a part without the scope would fail for nothing.
    """
    config = config if config is not None else {}
    at = KeyLocator(config_path or getattr(config, "path", None), getattr(config, "lines", {}))
    if not isinstance(config, Mapping):
        raise UsageError(f"{at(())}: expected a mapping of keys ({', '.join(config_keys())}).")
    check_keys(config, tuple(config_keys()), (), at)

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
        raise UsageError(f"{at(('parameters',))}: expected a mapping with {', '.join(parameter_keys())}.")
    check_keys(parameters, parameter_keys(), ("parameters",), at)

    fields = _fields_from_flags(obj, flags.fields) if flags.fields else _fields_from_config(obj, parameters, at)
    order = _order(obj, flags.order, "--order") if flags.order is not None else None
    if order is None and parameters.get("order") is not None:
        order = _order(obj, _text(parameters["order"], at(("parameters", "order"))), at(("parameters", "order")))

    scope, along = scope_of(obj, flags, config, at)
    filtered = obj.for_scope(ExportRequest(obj, scope=scope, along=along).scope_entry())  # its filter forms
    file_conditions, file_junction = _filters_from_config(filtered, parameters, config, at)
    flag_conditions = [parse_expression(expression, filtered) for expression in flags.filters]
    conditions = merge_conditions(file_conditions, flag_conditions)
    junction = validate_junction(flags.junction, "--junction") if flags.junction is not None else file_junction
    filters = build_filters(conditions, junction) or None
    extra = body_parameters_of(obj, flags, parameters, at)
    windowing = _windowing(flags, config, at)
    options = RunOptions(
        output=_path_text(_pick(flags.output, config, "output", at, _text), at(("output",))),
        output_dir=_path_text(_pick(flags.output_dir, config, "output_dir", at, _text), at(("output_dir",))),
        force=_pick(flags.force, config, "force", at, _boolean) or False,
        wait=_first_bool(flags.wait, config, "wait", at, default=True),
        timeout=_timeout(flags.timeout, config, at),
        headers=_headers(flags.headers, config, at),
        **typed_options(obj.command, flags, config, at),
        **windowing,
    )
    # The rules between options, for every door; a value from the file is named where the file gives it.
    check_rules(options, lambda name: flag_of(name) if getattr(flags, name, None) is not None else at((name,)))
    windowed = (options.incremental, options.split_by, options.since, options.until)
    if any(value is not None for value in windowed):
        from exportctl.request.cursor import window_filter
        from exportctl.request.windows import check_no_conflict

        what = "--since-last" if options.incremental else "--split-by" if options.split_by else "--since/--until"
        field = window_filter(obj, options, what)
        check_no_conflict(obj, [c.field for c in conditions], (filters or {}).get("junction"), what, field)
    request = ExportRequest(obj, fields, order, filters, scope, along, extra)
    if whole:
        request.require_type_field()
    return request, options


def _pick(flag: Any, config: Mapping[str, Any], key: str, at: KeyLocator, convert: Callable[[Any, str], Any]) -> Any:
    if flag is not None:
        return flag
    if config.get(key) is None:
        return None
    return convert(config[key], at((key,)))


def _first_bool(flag: bool | None, config: Mapping[str, Any], key: str, at: KeyLocator, *, default: bool) -> bool:
    chosen = _pick(flag, config, key, at, _boolean)
    return default if chosen is None else bool(chosen)


def _timeout(flag: str | float | None, config: Mapping[str, Any], at: KeyLocator) -> float | None:
    if isinstance(flag, bool):
        raise UsageError(f"--timeout: expected a duration, got {_describe(flag)}.")
    if isinstance(flag, int | float):
        if flag < 0:
            raise UsageError(f"--timeout: {flag} seconds is negative.")
        return check_timeout(float(flag), "--timeout")
    if flag is not None:
        return check_timeout(parse_duration(flag, "--timeout"), "--timeout")
    value = config.get("timeout")
    if value is None:
        return None
    where = at(("timeout",))
    return check_timeout(parse_duration(_text(value, where), where), where)


def _headers(flag: str | None, config: Mapping[str, Any], at: KeyLocator) -> str | None:
    where = "--headers" if flag is not None else at(("headers",))
    value: str | None = _pick(flag, config, "headers", at, _text)
    if value is None or value in HEADER_STYLES:
        return value
    raise ValidationError(
        f"{where}: '{value}' is not a header style.", valid=HEADER_STYLES, suggestion=closest(value, HEADER_STYLES)
    )


def _split_fields(items: Sequence[str]) -> list[str]:
    return [name.strip() for item in items for name in item.split(",") if name.strip()]


def _fields_from_flags(obj: ExportObject, items: Sequence[str]) -> tuple[str, ...]:
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
                valid=(*obj.accepted_field_names, *prefixes),
                suggestion=closest(name, obj.accepted_field_names),
            )
        if name in seen:
            raise ValidationError(f"{name_where}: field '{name}' is given twice.")
        seen.add(name)
    return tuple(name for name, _ in named)


def _order(obj: ExportObject, value: str, where: str) -> str:
    if value in obj.orders:
        return value
    hint = closest_order(value, obj.orders)
    raise ValidationError(f"{where}: unknown order '{value}' for {obj.command}.", valid=obj.orders, suggestion=hint)


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
            conditions.append(filter_item(obj, item, at(("parameters", "filters", index))))
        return conditions, junction
    raise UsageError(
        f"{where}: expected the API's filters object or a list of filter expressions, got {_describe(raw)}."
    )


def filter_item(obj: ExportObject, item: Any, where: str) -> Condition:
    """One filter expression of the list form, validated."""
    return parse_expression(_text(item, where), obj, where=where)


def _windowing(flags: RequestFlags, config: Mapping[str, Any], at: KeyLocator) -> dict[str, Any]:
    """The incremental, split and time-range options, each read and checked on its own (`request.rules`: together)."""
    from exportctl.request.windows import check_range, check_split_unit, parse_instant

    split = config.get("split")
    split_map: Mapping[str, Any] = {}
    if isinstance(split, Mapping):
        check_keys(split, SPLIT_KEYS, ("split",), at)
        split_map = split
    elif split is not None:
        split_map = {"by": _text(split, at(("split",)))}

    def instant(flag: str | date | None, name: str) -> datetime | None:
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

    state, key = flags.since_last, flags.state_key
    raw = config.get("incremental")
    if isinstance(raw, Mapping):
        check_keys(raw, INCREMENTAL_KEYS, ("incremental",), at)
        if state is None and raw.get("state") is not None:
            state = _text(raw["state"], at(("incremental", "state")))
        if key is None and raw.get("key") is not None:
            key = _text(raw["key"], at(("incremental", "key")))
        if state is None:
            raise UsageError(f"{at(('incremental',))}: 'state' is missing: the path of the state file.")
    elif raw is not None and state is None:
        state = _text(raw, at(("incremental",)))
    if state is not None and not state.strip():
        raise UsageError("--since-last: the state file path is empty.")
    state = _path_text(state, at(("incremental",)) if flags.since_last is None else "--since-last")

    from exportctl.request.cursor import read_cursor

    cursor = read_cursor(flags.cursor, flags.lookback, raw, at)
    parallel, parallel_where = flags.parallel, "--parallel"
    if parallel is None and config.get("parallel") is not None:
        value, parallel_where = config["parallel"], at(("parallel",))
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{parallel_where}: expected a whole number, got {_describe(value)}.")
        parallel = value
    if parallel is not None and not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(f"{parallel_where}: {parallel} is out of range; give 1 to {MAX_PARALLEL}.")
    if since is not None and until is not None:
        check_range(since, until)
    return {
        "incremental": state,
        "incremental_key": key,
        **cursor,
        "since": since,
        "until": until,
        "split_by": split_by,
        "parallel": parallel or 1,
    }
