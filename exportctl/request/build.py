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
from exportctl.request.configfile import KeyLocator, KeyPath, check_keys
from exportctl.request.durations import check_timeout, parse_duration
from exportctl.request.filters import Condition, build_filters, merge_conditions, parse_expression, validate_junction
from exportctl.request.model import (
    CONFIG_KEYS,
    HEADER_STYLES,
    INCREMENTAL_KEYS,
    MAX_PARALLEL,
    PARAMETER_KEYS,
    SCOPE_OPTIONS,
    SPLIT_KEYS,
    ExportRequest,
    RequestFlags,
    RunOptions,
)
from exportctl.request.typed_options import check_typed_output, typed_options
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
        raise UsageError(f"{at(())}: expected a mapping of keys ({', '.join(CONFIG_KEYS)}).")
    check_keys(config, tuple(CONFIG_KEYS), (), at)

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
    check_keys(parameters, PARAMETER_KEYS, ("parameters",), at)

    fields = _fields_from_flags(obj, flags.fields) if flags.fields else _fields_from_config(obj, parameters, at)
    order = _order(obj, flags.order, "--order") if flags.order is not None else None
    if order is None and parameters.get("order") is not None:
        order = _order(obj, _text(parameters["order"], at(("parameters", "order"))), at(("parameters", "order")))

    scope, along = _scope(obj, flags, config, at)
    filtered = obj.for_scope(ExportRequest(obj, scope=scope, along=along).scope_entry())  # its filter forms
    file_conditions, file_junction = _filters_from_config(filtered, parameters, config, at)
    flag_conditions = [parse_expression(expression, filtered) for expression in flags.filters]
    conditions = merge_conditions(file_conditions, flag_conditions)
    junction = validate_junction(flags.junction, "--junction") if flags.junction is not None else file_junction
    filters = build_filters(conditions, junction) or None
    windowing = _windowing(obj, flags, config, at, [c.field for c in conditions], filters)
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
    check_typed_output(options)
    request = ExportRequest(obj, fields, order, filters, scope, along)
    if whole:
        request.require_type_field()
    return request, options


def _text(value: Any, where: str) -> str:
    # YAML reads `voucher: 12345` as a number; a scalar is meant as its text.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{where}: expected a string, got {_describe(value)}.")
    return str(value)


def _path_text(value: str | None, where: str) -> str | None:
    """`value` as a file path; UsageError for the NUL byte, which no file system takes."""
    if value is not None and "\0" in value:
        raise UsageError(f"{where}: a path cannot contain a NUL byte (\\0).")
    return value


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


def _scope(
    obj: ExportObject, flags: RequestFlags, config: Mapping[str, Any], at: KeyLocator
) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The scope option and value, and the second option of a two-option endpoint (`--campaign` with `--member`)."""
    from_flags = [(name, getattr(flags, name)) for name in SCOPE_OPTIONS if getattr(flags, name) is not None]
    from_file = [(name, _text(config[name], at((name,)))) for name in SCOPE_OPTIONS if config.get(name) is not None]
    chosen, where = (from_flags, "--") if from_flags else (from_file, "")
    if not chosen:
        return None, None
    options = tuple(dict.fromkeys(scope.option for scope in obj.scopes))
    for name, value in chosen:
        label = f"--{name}" if where else at((name,))
        if name not in options:
            raise ValidationError(
                f"{label}: {obj.command} exports cannot be narrowed to one {name}.",
                valid=tuple(f"{where}{option}" for option in options),
            )
        if not value.strip():
            raise UsageError(f"{label}: the {name} is empty.")
    if len(chosen) == 1:
        return chosen[0], None
    names = {name for name, _ in chosen}
    pair = next((s for s in obj.scopes if s.along is not None and names == {s.option, s.along}), None)
    if pair is None or len(chosen) > 2:
        combined = [f"{where}{s.along} with {where}{s.option}" for s in obj.scopes if s.along is not None]
        named = " and ".join(f"{where}{name}" for name, _ in chosen)
        raise UsageError(
            f"give one of {named}, not both: an export has one scope"
            + (f" (except {', '.join(combined)})." if combined else ".")
        )
    values: dict[str, str] = dict(chosen)
    along = str(pair.along)
    return (pair.option, values[pair.option]), (along, values[along])


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
    if key is not None and state is None:
        raise UsageError("--state-key names an export in a state file; give the file with --since-last STATE.")
    if state is not None and not state.strip():
        raise UsageError("--since-last: the state file path is empty.")
    state = _path_text(state, at(("incremental",)) if flags.since_last is None else "--since-last")

    parallel, parallel_where = flags.parallel, "--parallel"
    if parallel is None and config.get("parallel") is not None:
        value, parallel_where = config["parallel"], at(("parallel",))
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{parallel_where}: expected a whole number, got {_describe(value)}.")
        parallel = value
    if parallel is not None and not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(f"{parallel_where}: {parallel} is out of range; give 1 to {MAX_PARALLEL}.")
    if parallel is not None and parallel > 1 and split_by is None:
        fix = "give --split-by day|week|month too" if parallel_where == "--parallel" else "add 'split: day|week|month'"
        raise UsageError(f"{parallel_where} runs the windows of a split export; {fix}.")

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
