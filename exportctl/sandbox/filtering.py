"""From `parameters.filters` (and a per-resource endpoint's scope) to one SQL WHERE clause with its parameters.

Compilation reads schema.py (the request was checked against it in validation.py): the filter fields
with their types and the record attribute each one tests.

Filter semantics, by `FilterField.type` (see docs/sandbox.md for the full table):
- values may be an array or a single value; `$in`, `$is`, `$contains`, `$starts_with`, `$ends_with` match
  when any value matches; `$not_in`, `$is_not`, `$not_contain` when none does (a missing value counts
  as "not"); comparisons use the first value;
- dates and times compare as instants (`2024-01-01` means midnight UTC; `$is` with a date matches that
  whole day); numbers as numbers; booleans accept true/false, "true"/"false", 1/0;
- `$has_value` / `$is_unknown`: the attribute is set and not empty / missing or empty;
- `$is_days_ago N` / `$is_days_in_future N`: the UTC calendar day N days before / after today;
  `$more_than_ago N`: before now − N days; `$less_than_ago N`: between now − N days and now;
  `$more_than_future N`: after now + N days; `$less_than_future N`: between now and now + N days;
- `$count`, `$count_less`, `$count_more`: the number of elements of a list attribute
  (`validity_day_of_week`, JSON arrays in metadata), 1 for any other set value, 0 when missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from exportctl import schema
from exportctl.sandbox import tables
from exportctl.sandbox.calendar import calendar_md

JUNCTIONS = ("and", "or")
EQUALITY = ("$in", "$is", "$not_in", "$is_not")
TEXT_MATCH = ("$contains", "$not_contain", "$starts_with", "$ends_with")
COMPARISONS = {
    "$more_than": ">",
    "$less_than": "<",
    "$more_than_equal": ">=",
    "$less_than_equal": "<=",
    "$after": ">",
    "$before": "<",
}
RELATIVE = (
    "$is_days_ago",
    "$is_days_in_future",
    "$more_than_ago",
    "$less_than_ago",
    "$more_than_future",
    "$less_than_future",
)
COUNTS = {"$count": "=", "$count_less": "<", "$count_more": ">"}
PRESENCE = ("$has_value", "$is_unknown")
NEGATIVE = ("$not_in", "$is_not", "$not_contain")


class InvalidExport(Exception):
    """A request the API answers with 400; `key` is the Voucherify error key."""

    def __init__(self, key: str, details: str, message: str | None = None) -> None:
        super().__init__(details)
        self.key = key
        self.details = details
        self.message = message or ("Invalid Export" if key == "invalid_export_fields" else "Invalid payload")


@dataclass(frozen=True)
class Condition:
    """A filter the scope of a per-resource endpoint adds, ANDed with the request's own filters."""

    name: str
    operator: str
    values: tuple[Any, ...]


def _scope_filter_name(obj: schema.ExportObject, attribute: str) -> str:
    return next((f.name for f in obj.filters if f.attribute == attribute), attribute)


# SQL expressions ---------------------------------------------------------------------------------------
def _path_segments(path: str) -> list[str]:
    return path.split(".")


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_path(path: str) -> str:
    return sql_text("$" + "".join('."' + segment.replace('"', '\\"') + '"' for segment in _path_segments(path)))


def _attribute_sql(exported_object: str, attribute: str) -> tuple[str, bool]:
    """The SQL expression reading an attribute, and whether it is a path into a JSON column."""
    column = tables.json_column(attribute)
    if column is None:
        if attribute not in tables.columns(exported_object):
            raise InvalidExport("invalid_payload", f"Unknown attribute {attribute}")
        return f'"{attribute}"', False
    return f'json_extract("{column}", {json_path(attribute[len(column) + 1 :])})', True


# filters -----------------------------------------------------------------------------------------------
@dataclass
class _Target:
    name: str
    expr: str
    type: schema.ValueType
    dynamic: bool  # under a prefix: typed by the values given, not by the schema
    listish: bool
    json_source: str | None = None  # for counting elements of a JSON array
    # A campaign or loyalty transaction endpoint (FilterConditionsDateTime): $more_than/$less_than N on a date
    # mean more/less than N days ago.
    day_counts: bool = False


def compile_filters(obj: schema.ExportObject, filters: Any, scope: tuple[Condition, ...] = ()) -> tuple[str, list[Any]]:
    """The WHERE clause (without WHERE) and its parameters; '1' when nothing filters."""
    if not isinstance(filters, dict):
        raise InvalidExport("invalid_payload", "Property .parameters.filters should be an object")
    junction = filters.get("junction", "and")
    if not isinstance(junction, str) or junction.lower() not in JUNCTIONS:
        raise InvalidExport(
            "invalid_payload",
            "Property .parameters.filters.junction should be equal to one of the allowed values [ and, or ]",
        )
    clauses: list[str] = []
    params: list[Any] = []
    for name, spec in filters.items():
        if name == "junction":
            continue
        target = _target(obj, name, day_counts=bool(scope) and obj.exported_object == "voucher_transactions")
        if not isinstance(spec, dict) or not isinstance(spec.get("conditions"), dict):
            details = f"Property .parameters.filters.{name} should have an object conditions"
            if isinstance(spec, dict) and spec and all(str(key).startswith("$") for key in spec):
                # The official Python SDK's transaction filter models leave this level out.
                details += f' ({{"{name}": {{"conditions": {{"{next(iter(spec))}": ...}}}}}})'
            raise InvalidExport("invalid_payload", details)
        conditions = spec["conditions"]
        if not conditions:
            raise InvalidExport(
                "invalid_payload", f"Property .parameters.filters.{name}.conditions should not be empty"
            )
        parts = []
        for operator, raw in conditions.items():
            sql, values = _condition(target, operator, raw)
            parts.append(sql)
            params.extend(values)
        clauses.append("(" + " AND ".join(parts) + ")")
    where = f" {junction.upper()} ".join(clauses) if clauses else "1"
    scope_parts = []
    scope_params: list[Any] = []
    for condition in scope:
        target = _target(obj, _scope_filter_name(obj, condition.name), scope=True)
        sql, values = _condition(target, condition.operator, list(condition.values))
        scope_parts.append(sql)
        scope_params.extend(values)
    if scope_parts:
        # A scope narrows the export whatever the junction of the request's own filters says.
        return " AND ".join(scope_parts) + f" AND ({where})", scope_params + params
    return where, params


def _target(obj: schema.ExportObject, name: str, *, scope: bool = False, day_counts: bool = False) -> _Target:
    flt = obj.get_filter(name)
    if flt is None and scope:
        flt = schema.FilterField(name, schema.ValueType.STRING, name)
    if flt is None:
        allowed = ", ".join([*obj.filter_names, *(f"{p}X" for p in obj.filter_prefixes)])
        raise InvalidExport("invalid_payload", f"Unsupported filter {name}. Allowed filters: {allowed}")
    dynamic = flt not in obj.filters and not scope
    expr, in_json = _attribute_sql(obj.exported_object, flt.attribute)
    json_source = None
    if in_json:
        column = tables.json_column(flt.attribute) or ""
        json_source = f'"{column}", {json_path(flt.attribute[len(column) + 1 :])}'
    listish = flt.attribute in tables.LIST_ATTRIBUTES
    return _Target(name, expr, flt.type, dynamic, listish, json_source, day_counts and flt.type.is_temporal)


def _values(target: _Target, operator: str, raw: Any) -> list[Any]:
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} needs a value")
    return values


def _condition(target: _Target, operator: str, raw: Any) -> tuple[str, list[Any]]:
    if operator in schema.CALENDAR_MD_OPERATORS:
        if not (target.type.is_temporal or target.dynamic):
            raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} applies to dates only")
        return calendar_md(target.expr, operator)
    if target.day_counts and operator in ("$more_than", "$less_than"):
        days = _integer(target, operator, _values(target, operator, raw)[0])
        return _relative(target, "$more_than_ago" if operator == "$more_than" else "$less_than_ago", days)
    if operator not in schema.OPERATORS:
        raise InvalidExport(
            "invalid_payload",
            f"Filter {target.name}: unknown operator {operator}. Allowed operators: {', '.join(schema.OPERATORS)}",
        )
    e = target.expr
    if operator in PRESENCE:
        present = f"({e} IS NOT NULL AND {e} != '')"
        return (present if operator == "$has_value" else f"NOT {present}"), []
    values = _values(target, operator, raw)
    if operator in COUNTS:
        count = _integer(target, operator, values[0])
        return f"{_count_sql(target)} {COUNTS[operator]} ?", [count]
    if operator in RELATIVE:
        return _relative(target, operator, _integer(target, operator, values[0]))
    if operator in COMPARISONS:
        if operator in ("$after", "$before") and not (target.type.is_temporal or target.dynamic):
            raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} applies to dates only")
        value = _coerce(target, operator, values[0])
        return f"{e} {COMPARISONS[operator]} ?", [value]
    if operator in TEXT_MATCH:
        texts = [_text(target, operator, v) for v in values]
        return _text_match(target, operator, texts)
    return _equality(target, operator, values)


def _integer(target: _Target, operator: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} needs a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} needs a whole number") from None
    if number < 0 or (isinstance(value, float) and not value.is_integer()):
        raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} needs a whole number of 0 or more")
    return number


def _text(target: _Target, operator: str, value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} needs text values")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _coerce(target: _Target, operator: str, value: Any) -> Any:
    """A filter value as the stored value it is compared with."""
    bad = InvalidExport(
        "invalid_payload", f"Filter {target.name}: {operator} value {value!r} is not a valid {target.type.value}"
    )
    if isinstance(value, (dict, list)) or value is None:
        raise bad
    if target.dynamic:
        return int(value) if isinstance(value, bool) else value
    kind = target.type
    if kind.is_numeric:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, (int, float)):
            return value
        try:
            number = float(str(value))
        except ValueError:
            raise bad from None
        return int(number) if number.is_integer() else number
    if kind is schema.ValueType.BOOLEAN:
        if isinstance(value, bool):
            return int(value)
        text = str(value).lower()
        if text in ("true", "1"):
            return 1
        if text in ("false", "0"):
            return 0
        raise bad
    if kind is schema.ValueType.DATETIME:
        instant = _instant(value)
        if instant is None:
            raise bad
        return _iso(instant)
    if kind is schema.ValueType.DATE:
        instant = _instant(value)
        if instant is None:
            raise bad
        return instant.date().isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def _day_range(target: _Target, value: Any) -> tuple[str, list[Any]] | None:
    """For a date-only value on a timestamp attribute: the clause matching that whole UTC day."""
    if target.type is not schema.ValueType.DATETIME or target.dynamic:
        return None
    if not (isinstance(value, str) and _DATE_ONLY.match(value.strip())):
        return None
    start = _instant(value)
    if start is None:
        return None
    return f"({target.expr} >= ? AND {target.expr} < ?)", [_iso(start), _iso(start + timedelta(days=1))]


def _equality(target: _Target, operator: str, values: list[Any]) -> tuple[str, list[Any]]:
    e = target.expr
    parts: list[str] = []
    params: list[Any] = []
    for value in values:
        day = _day_range(target, value)
        if day is not None:
            parts.append(day[0])
            params.extend(day[1])
        elif target.listish:
            parts.append(
                f"instr(',' || {e} || ',', ',' || ? || ',') > 0" if operator in ("$in", "$not_in") else f"{e} = ?"
            )
            params.append(_text(target, operator, value))
        else:
            parts.append(f"{e} = ?")
            params.append(_coerce(target, operator, value))
    if operator in ("$is", "$is_not") and len(values) > 1:
        raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} takes one value; use $in or $not_in")
    matched = "(" + " OR ".join(parts) + ")"
    if operator in NEGATIVE:
        return f"({e} IS NULL OR NOT {matched})", params
    return matched, params


def _text_match(target: _Target, operator: str, texts: list[str]) -> tuple[str, list[Any]]:
    e = f"CAST({target.expr} AS TEXT)"
    parts = []
    params: list[Any] = []
    for text in texts:
        if operator in ("$contains", "$not_contain"):
            if target.listish:
                parts.append(f"instr(',' || {e} || ',', ',' || ? || ',') > 0")
            else:
                parts.append(f"instr({e}, ?) > 0")
            params.append(text)
        elif operator == "$starts_with":
            parts.append(f"substr({e}, 1, length(?)) = ?")
            params.extend((text, text))
        else:
            parts.append(f"(length({e}) >= length(?) AND substr({e}, -length(?)) = ?)")
            params.extend((text, text, text))
    matched = "(" + " OR ".join(parts) + ")"
    if operator == "$not_contain":
        return f"({target.expr} IS NULL OR NOT {matched})", params
    return matched, params


def _count_sql(target: _Target) -> str:
    e = target.expr
    if target.listish:
        return f"(CASE WHEN {e} IS NULL OR {e} = '' THEN 0 ELSE length({e}) - length(replace({e}, ',', '')) + 1 END)"
    if target.json_source is not None:
        src = target.json_source
        return (
            f"(CASE json_type({src}) WHEN 'array' THEN json_array_length({src}) WHEN 'null' THEN 0 "
            f"ELSE CASE WHEN json_type({src}) IS NULL THEN 0 ELSE 1 END END)"
        )
    return f"(CASE WHEN {e} IS NULL OR {e} = '' THEN 0 ELSE 1 END)"


def _relative(target: _Target, operator: str, days: int) -> tuple[str, list[Any]]:
    if not (target.type.is_temporal or target.dynamic):
        raise InvalidExport("invalid_payload", f"Filter {target.name}: {operator} applies to dates only")
    e = target.expr
    now = datetime.now(timezone.utc)
    dates_only = target.type is schema.ValueType.DATE

    def shifted(delta_days: int) -> str:
        moment = now + timedelta(days=delta_days)
        return moment.date().isoformat() if dates_only else _iso(moment)

    if operator in ("$is_days_ago", "$is_days_in_future"):
        delta = -days if operator == "$is_days_ago" else days
        if dates_only:
            return f"{e} = ?", [shifted(delta)]
        day = datetime.combine(now.date(), datetime.min.time(), tzinfo=timezone.utc) + timedelta(days=delta)
        return f"({e} >= ? AND {e} < ?)", [_iso(day), _iso(day + timedelta(days=1))]
    if operator == "$more_than_ago":
        return f"{e} < ?", [shifted(-days)]
    if operator == "$less_than_ago":
        return f"({e} >= ? AND {e} <= ?)", [shifted(-days), shifted(0)]
    if operator == "$more_than_future":
        return f"{e} > ?", [shifted(days)]
    return f"({e} >= ? AND {e} <= ?)", [shifted(0), shifted(days)]
