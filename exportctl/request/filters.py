"""The filter expression grammar: short, shell-friendly conditions turned into Voucherify `filters`.

One expression is one condition on one filter field::

    FIELD OP VALUES            shorthand, the operator chosen by OP and the field's type
    FIELD:$operator:VALUES     explicit form, any FiltersCondition operator (the `$` may be left out)
    FIELD:$has_value           explicit form of the operators that take no value
    FIELD?   FIELD!?           has a value / has no value

Shorthand operators:

    =   one value: $is; several: $in          !=  one value: $is_not; several: $not_in
    >   numbers: $more_than; dates: $after    <   numbers: $less_than; dates: $before
    >=  $more_than_equal (numbers only)       <=  $less_than_equal (numbers only)
    ~   $contains                             !~  $not_contain
    ^   $starts_with                          $   $ends_with
    #=  $count                                #<  $count_less           #>  $count_more
    ?   $has_value                            !?  $is_unknown

Relative days on date fields: `-30d` is 30 days ago (also written `30d ago`), `+7d` is 7 days ahead:
`created_at=-3d` $is_days_ago, `created_at=+3d` $is_days_in_future, `created_at>-30d` $less_than_ago
(within the last 30 days), `created_at<-30d` $more_than_ago, `created_at>+7d` $more_than_future,
`created_at<+7d` $less_than_future.

Values are separated by commas. Surrounding spaces are dropped. A value in double quotes is taken
literally (`"a, b"`, `""` is the empty string; `\\"` and `\\\\` inside quotes); outside quotes a
backslash takes the next character literally (`a\\,b`).

Values are checked and converted by the field's type in the schema tables:
- integer fields and amounts take whole numbers; amounts are integer cents, so `12.50` is refused
  (write `1250`) rather than guessed;
- number fields take decimals too (`12.5`, `1e3`);
- booleans take `true` or `false` (any case), sent as JSON booleans, as real clients send them;
- date-time fields take `2024-01-01`, `2024-01-01T10:00`, `2024-01-01T10:00:00.5+02:00`...; times without
  a zone are UTC; every value is sent as UTC ISO 8601 with milliseconds, `2024-01-01T00:00:00.000Z`.
  A date without a time in `$is` (`created_at=2024-01-01`) means that whole UTC day and is sent as the
  day's `$after`/`$before` window (`values.WholeDay`); in `$is_not`, `$in`, `$not_in` it is refused;
- date fields take `YYYY-MM-DD`;
- fields with a closed set of values take only those (case-insensitive, sent as the table spells them);
- fields under a prefix such as `metadata.X` have no known type: their values stay strings, except
  where the operator needs a number ($more_than, ...), a date ($after, $before) or a day count.

`$has_value` and `$is_unknown` are sent as `true` (`{"$is_unknown": true}`), as real clients send them;
in the API's filter object `true`, `""`, `[""]` and `[]` are all read as "no value".

Several conditions on one field are combined in that field's `conditions` object (for example a time
window: `created_at>2024-01-01` and `created_at<2024-02-01`). The same operator twice on one field is
an error, since the API object can hold it only once: give several values in one expression instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from exportctl.errors import UsageError, ValidationError
from exportctl.request.model import JUNCTIONS
from exportctl.request.operators import OPTIONAL_VALUE, check_operator, field_operators
from exportctl.request.values import (
    MANY,
    NO_VALUE,
    PASSED_THROUGH,
    FieldSpec,
    WholeDay,
    convert_value,
    instant_text,
    relative_days,
    render_value,
)
from exportctl.schema import ExportObject
from exportctl.suggest import closest

# Characters that end a field name: any of them starts an operator.
_OPERATOR_CHARS = frozenset(":=!<>~^$?#")
# Longest first, so that `!=` is not read as `!` followed by `=`.
_SHORTHAND_TOKENS = ("!=", "!~", "!?", ">=", "<=", "#=", "#<", "#>", "=", ">", "<", "~", "^", "$", "?", ":")


class Condition(NamedTuple):
    """One condition on one filter field: `amount` `$more_than_equal` `(1000,)`; values as the API gets them."""

    field: str
    operator: str
    values: tuple[Any, ...]
    # FilterConditionsDateTime (campaign and loyalty transaction exports): the value is sent alone, not in a list.
    alone: bool = False

    def to_expression(self) -> str:
        """The explicit form of this condition, which `parse_expression` reads back to an equal one."""
        text = f"{self.field}:{self.operator}"
        if self.values:
            text += ":" + ",".join(render_value(value) for value in self.values)
        return text


def operators_for(obj: ExportObject, field_name: str) -> tuple[str, ...]:
    """The operators that apply to a filter field of `obj` (every operator for prefix fields)."""
    spec = resolve_field(obj, field_name, "filter")
    return field_operators(spec)


def parse_expression(expression: str, obj: ExportObject, *, where: str | None = None) -> Condition:
    """Read one filter expression (see the module docstring) into a validated Condition.

    `where` (a config file and line, say) prefixes error messages.
    """
    try:
        expression.encode("utf-8")
    except UnicodeEncodeError:
        # Bytes that are not UTF-8 reach Python as lone surrogates; the API could only garble them.
        shown = expression.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise UsageError(
            f"{where + ': ' if where else ''}Filter '{shown}' is not valid UTF-8 text.",
            hint="Write the value in UTF-8 (check the terminal's or the file's encoding).",
        ) from None
    context = f"{where}: Filter '{expression}'" if where else f"Filter '{expression}'"
    text = expression.strip()
    position = next((i for i, char in enumerate(text) if char in _OPERATOR_CHARS), None)
    if position is None:
        raise UsageError(
            f"{context}: no operator; expected FIELD OP VALUE such as status=PAID or amount>=1000.",
            hint="Run with --help for the filter grammar.",
        )
    field_name = text[:position].strip()
    if not field_name:
        raise UsageError(f"{context}: no field name before the operator; expected FIELD OP VALUE such as status=PAID.")
    token = next(t for t in (*_SHORTHAND_TOKENS, "") if text.startswith(t, position))
    rest = text[position + len(token) :]
    if not token:
        shorthand = " ".join(t for t in _SHORTHAND_TOKENS if t != ":")
        raise UsageError(f"{context}: unknown operator '{text[position]}'; the shorthand operators are {shorthand}.")
    spec = resolve_field(obj, field_name, context)
    if token == ":":
        return _parse_explicit(context, obj, spec, rest)
    if token in ("?", "!?"):
        if rest.strip():
            raise UsageError(f"{context}: '{token}' takes no value; write {field_name}{token} alone.")
        operator = "$has_value" if token == "?" else "$is_unknown"
        return make_condition(context, obj, spec, operator, ())
    raw_values = split_values(rest, context)
    operator, values = _shorthand_operator(context, obj, spec, token, raw_values)
    return make_condition(context, obj, spec, operator, values)


def split_values(text: str, context: str = "Filter") -> list[str]:
    """Split a comma-separated value list, honouring double quotes and backslash escapes."""
    items: list[str] = []
    current: list[tuple[str, bool]] = []  # (character, taken literally)
    quoted = escaped = False
    had_quotes = False

    def finish() -> None:
        start, end = 0, len(current)
        while start < end and current[start][0].isspace() and not current[start][1]:
            start += 1
        while end > start and current[end - 1][0].isspace() and not current[end - 1][1]:
            end -= 1
        value = "".join(char for char, _ in current[start:end])
        if not value and not had_quotes:
            raise UsageError(f'{context}: empty value; write "" for an empty string.')
        items.append(value)

    for char in text:
        if escaped:
            current.append((char, True))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            had_quotes = True
        elif char == "," and not quoted:
            finish()
            current, had_quotes = [], False
        else:
            current.append((char, quoted))
    if escaped:
        raise UsageError(f"{context}: a backslash ends the value; write \\\\ for a backslash.")
    if quoted:
        raise UsageError(f"{context}: a double quote is not closed.")
    finish()
    return items


def build_filters(conditions: Sequence[Condition], junction: str | None = None) -> dict[str, Any]:
    """The API's `filters` object for `conditions`; empty when there are none.

    Conditions on one field share its `conditions` object. The same operator twice on one field is a
    ValidationError: the API object cannot hold it, and silently merging `$is` values would change
    its meaning.
    """
    if not conditions:
        return {}
    result: dict[str, Any] = {"junction": validate_junction(junction) if junction is not None else "and"}
    days: dict[str, WholeDay] = {}
    for condition in conditions:
        entry = result.setdefault(condition.field, {"conditions": {}})
        day = days.get(condition.field)
        if day is not None and condition.operator in ("$is", "$after", "$before"):
            raise _day_conflict(condition.field, day, condition.operator)
        if condition.operator in entry["conditions"]:
            raise ValidationError(
                f"Filter field '{condition.field}' has two {condition.operator} conditions; "
                "give all the values in one filter (for example status=PAID,FULFILLED)."
            )
        if condition.values and isinstance(condition.values[0], WholeDay):
            days[condition.field] = condition.values[0]
            _add_day(entry["conditions"], condition.field, condition.values[0])
            continue
        # Presence operators as real clients send them: {"$is_unknown": true}; a calendar period by month and
        # day without a value likewise.
        values: Any = list(condition.values)
        if condition.operator in NO_VALUE or (condition.operator in OPTIONAL_VALUE and not condition.values):
            values = True
        if condition.alone:
            # FilterConditionsDateTime: {"$after": "..."}, {"$more_than": 30}, {"$has_value": ""}.
            values = condition.values[0] if condition.values else ""
        entry["conditions"][condition.operator] = values
    return result


def _day_conflict(field: str, day: WholeDay, operator: str) -> ValidationError:
    return ValidationError(
        f"Filter field '{field}': {field}={day} means the whole day (sent as $after/$before), which cannot be "
        f"combined with its {operator} condition; give the range with {field}>... and {field}<... instead."
    )


def _add_day(conditions: dict[str, Any], field: str, day: WholeDay) -> None:
    """`FIELD=DAY` as the day's window; refused next to another $after/$before on the field."""
    taken = [op for op in ("$is", "$after", "$before") if op in conditions]
    if taken:
        raise _day_conflict(field, day, taken[0])
    after, before = day.window()
    conditions["$after"] = [after]
    conditions["$before"] = [before]


def merge_conditions(base: Sequence[Condition], override: Sequence[Condition]) -> list[Condition]:
    """`base` plus `override`, where a condition of `override` replaces one of `base` on the same field and operator."""
    replaced = {(c.field, c.operator) for c in override}
    return [c for c in base if (c.field, c.operator) not in replaced] + list(override)


def validate_junction(value: object, where: str = "junction") -> str:
    """`and` or `or`; a ValidationError naming both otherwise."""
    if isinstance(value, str) and value in JUNCTIONS:
        return value
    text = str(value)
    if text.lower() in JUNCTIONS:
        return text.lower()
    raise ValidationError(f"{where}: '{text}' is not a junction.", valid=JUNCTIONS, suggestion=closest(text, JUNCTIONS))


# --- fields and operators -------------------------------------------------------------------------


def resolve_field(obj: ExportObject, name: str, context: str) -> FieldSpec:
    known = obj.get_filter(name)
    bad_chars = sorted(set(name) & _OPERATOR_CHARS)
    if known is None or bad_chars or name != name.strip() or not name:
        prefixes = [f"{prefix}X" for prefix in obj.filter_prefixes]
        valid = (*obj.filter_names, *prefixes)
        if not valid:
            raise ValidationError(f"{context}: {obj.command} exports take no filters.")
        raise ValidationError(
            f"{context}: unknown filter field '{name}' for {obj.command}.",
            valid=valid,
            suggestion=closest(name, obj.filter_names),
        )
    return FieldSpec(known, typed=name in obj.filter_names)


def _parse_explicit(context: str, obj: ExportObject, spec: FieldSpec, rest: str) -> Condition:
    name, separator, values_text = rest.partition(":")
    operator = name.strip()
    if not operator.startswith("$"):
        operator = f"${operator}"
    check_operator(context, operator)
    if operator in OPTIONAL_VALUE and not separator:
        return make_condition(context, obj, spec, operator, ())
    if operator in NO_VALUE:
        # `true` is the value the API documents for the calendar periods and real clients send for presence.
        if values_text.strip() not in ("", "true"):
            raise UsageError(f"{context}: {operator} takes no value; write {spec.filter.name}:{operator}.")
        return make_condition(context, obj, spec, operator, ())
    if not separator:
        raise UsageError(f"{context}: {operator} needs a value; write {spec.filter.name}:{operator}:VALUE.")
    return make_condition(context, obj, spec, operator, tuple(split_values(values_text, context)))


def _shorthand_operator(
    context: str, obj: ExportObject, spec: FieldSpec, token: str, values: list[str]
) -> tuple[str, tuple[str, ...]]:
    """The operator a shorthand token means for this field, and the (still textual) values."""
    field_type = spec.filter.type
    temporal = spec.typed and field_type.is_temporal
    relative = [relative_days(value) for value in values]
    if token in ("#=", "#<", "#>"):
        return {"#=": "$count", "#<": "$count_less", "#>": "$count_more"}[token], tuple(values)
    if token in ("~", "!~", "^", "$"):
        names = {"~": "$contains", "!~": "$not_contain", "^": "$starts_with", "$": "$ends_with"}
        return names[token], tuple(values)
    if token in (">", "<") and spec.filter.day_counts and len(values) == 1 and relative[0] is not None:
        in_past, count = relative[0]
        if in_past:  # FilterConditionsDateTime: $more_than/$less_than N are N days ago
            return ("$less_than" if token == ">" else "$more_than"), (str(count),)
    if token in ("=", "!="):
        if len(values) == 1 and relative[0] is not None and temporal:
            if token == "!=":
                raise UsageError(f"{context}: there is no 'is not N days ago' operator; use < or > with -Nd.")
            in_past, count = relative[0]
            return ("$is_days_ago" if in_past else "$is_days_in_future"), (str(count),)
        if len(values) > 1:
            return ("$in" if token == "=" else "$not_in"), tuple(values)
        single, listed = ("$is", "$in") if token == "=" else ("$is_not", "$not_in")
        # A filter documented with $in only (api_log channel, redemption related_object): one value in a list.
        documented = spec.filter.operators
        if documented and single not in documented and listed in documented:
            return listed, tuple(values)
        return single, tuple(values)
    # > < >= <=: compare numbers, dates or day counts.
    if len(values) != 1:
        raise UsageError(f"{context}: '{token}' takes one value, got {len(values)}.")
    value, offset = values[0], relative[0]
    # A prefix field has no type: a value that reads as a date makes the comparison a date one.
    wants_time = temporal or (not spec.typed and instant_text(value) is not None)
    if offset is not None and (temporal or not spec.typed):
        if token in (">=", "<="):
            raise UsageError(f"{context}: '{token}' does not apply to relative days; use > or <.")
        past, days = offset
        later = token == ">"
        if past:
            operator = "$less_than_ago" if later else "$more_than_ago"
        else:
            operator = "$more_than_future" if later else "$less_than_future"
        return operator, (str(days),)
    if wants_time:
        if token in (">=", "<="):
            raise ValidationError(
                f"{context}: '{token}' does not apply to dates; use > ($after) or < ($before).",
                valid=field_operators(spec),
            )
        return ("$after" if token == ">" else "$before"), (value,)
    # On a field that is neither a number nor a date, make_condition names the operators it takes.
    names = {">": "$more_than", "<": "$less_than", ">=": "$more_than_equal", "<=": "$less_than_equal"}
    return names[token], (value,)


def make_condition(
    context: str, obj: ExportObject, spec: FieldSpec, operator: str, texts: tuple[str, ...]
) -> Condition:
    """Check the operator applies to the field and the value count; convert each value by type."""
    check_operator(context, operator)
    allowed = field_operators(spec)
    field_type = spec.filter.type
    if operator not in allowed:
        kind = field_type.value if spec.typed else "untyped"
        day_scopes = [f"--{s.option}" for s in obj.scopes if s.filters is not None]
        days = operator in ("$more_than", "$less_than") and field_type.is_temporal and bool(day_scopes)
        raise ValidationError(
            f"{context}: operator {operator} does not apply to the {kind} field '{spec.filter.name}'.",
            valid=allowed,
            hint=f"With {' or '.join(dict.fromkeys(day_scopes))} it takes whole days ago." if days else None,
        )
    alone = spec.filter.day_counts
    if operator in NO_VALUE:
        return Condition(spec.filter.name, operator, (), alone)
    if operator in OPTIONAL_VALUE:
        # Undocumented value forms: none (sent as true; "" is none, as the API form reads it), or the values.
        return Condition(spec.filter.name, operator, () if all(not text for text in texts) else texts)
    if alone and operator in ("$more_than", "$less_than"):
        if len(texts) != 1:
            raise UsageError(f"{context}: {operator} takes one value, got {len(texts)}.")
        return Condition(spec.filter.name, operator, (_days_ago(context, spec, operator, texts[0]),), True)
    if alone and len(texts) != 1:
        raise UsageError(f"{context}: {operator} takes one value here, got {len(texts)}.")
    if not texts:
        raise UsageError(f"{context}: {operator} needs a value.")
    if operator not in MANY and operator not in PASSED_THROUGH and len(texts) != 1:
        raise UsageError(f"{context}: {operator} takes one value, got {len(texts)}; use $in for several.")
    values = tuple(convert_value(context, spec, operator, text) for text in texts)
    return Condition(spec.filter.name, operator, values, alone)


def _days_ago(context: str, spec: FieldSpec, operator: str, text: str) -> int:
    """A whole number of days ago, as FilterConditionsDateTime's $more_than/$less_than take it."""
    stripped = text.strip()
    relative = relative_days(stripped)
    if relative is not None and relative[0]:
        return relative[1]
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 9:
        return int(stripped)
    raise UsageError(
        f"{context}: '{text}' is not valid for '{spec.filter.name}': here {operator} takes whole days ago "
        f"(FilterConditionsDateTime), e.g. {spec.filter.name}:{operator}:30 or {spec.filter.name}>-30d."
    )


# --- values -----------------------------------------------------------------------------------------
