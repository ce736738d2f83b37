"""The options that narrow an export: a scope (`--voucher`, `--campaign`, `--member`: a per-resource endpoint)
and the API parameters the option table sends as given (`voucher --campaign`: `parameters.campaign_id`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exportctl.errors import UsageError, ValidationError
from exportctl.request.config_values import text
from exportctl.request.configfile import KeyLocator
from exportctl.request.option_keys import RequestFlags, applies, body_parameters, scope_options
from exportctl.schema import ExportObject


def scope_of(
    obj: ExportObject, flags: RequestFlags, config: Mapping[str, Any], at: KeyLocator
) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The scope option and value, and the second option of a two-option endpoint (`--campaign` with `--member`)."""
    scopes = scope_options()
    from_flags = [(name, getattr(flags, name)) for name in scopes if getattr(flags, name) is not None]
    from_file = [(name, text(config[name], at((name,)))) for name in scopes if config.get(name) is not None]
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
                hint=_same_flag_hint(obj, name),
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


def _same_flag_hint(obj: ExportObject, name: str) -> str | None:
    """For a scope this object lacks, the option of the same flag it has (voucher's --campaign), if any."""
    for option in body_parameters():
        if option.long == f"--{name}" and applies(option, obj):
            return (
                f"{obj.command} {option.long} is the API's {option.key}: give that key in a file, "
                f"or {option.name}= in Python."
            )
    return None


def body_parameters_of(
    obj: ExportObject, flags: RequestFlags, parameters: Mapping[str, Any], at: KeyLocator
) -> tuple[tuple[str, str], ...]:
    """The API parameters that the option table sends as given (`campaign_id`), from the flags or the file."""
    sent: list[tuple[str, str]] = []
    for option in body_parameters():
        name = str(option.key).split(".", 1)[1]
        flag = getattr(flags, option.name)
        where = option.long if flag is not None else at(("parameters", name))
        value = flag if flag is not None else parameters.get(name)
        if value is None:
            continue
        if option.objects and obj.command not in option.objects:
            raise ValidationError(
                f"{where}: {obj.command} exports take no {name}; only {', '.join(option.objects)} exports do.",
                valid=option.objects,
            )
        given = text(value, where)
        if not given.strip():
            raise UsageError(f"{where}: the {name} is empty.")
        if option.choices:
            from exportctl.request.into import check_choice

            check_choice(given, option.choices, f"a {name}", where)
        sent.append((name, given))
    return tuple(sent)
