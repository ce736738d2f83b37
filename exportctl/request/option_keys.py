"""What the option table (`request.options.OPTIONS`) makes for files and code: the YAML keys, RequestFlags.

Each is computed from the table when asked for (a few dozen records: microseconds), so that a record a test
adds to the table is seen everywhere.

Standard library only: --help and completion import this module.
"""

from __future__ import annotations

from typing import Any

from exportctl.request import options as table
from exportctl.request.option_record import EXPORT, Option
from exportctl.schema import EXPORT_OBJECTS, ExportObject

API_KEYS = ("exported_object", "parameters")
SPLIT_KEYS = ("by", "since", "until")
INCREMENTAL_KEYS = ("state", "key", "cursor", "lookback")
_API_HELP = {
    "exported_object": "The API's exported_object; must match the subcommand (voucher_transactions for card kinds).",
    "parameters": "The API's parameters: {keys}.",
}
# The parameters that exportctl reads itself; any other `parameters.X` record is sent as it is given.
BUILT_PARAMETERS = ("fields", "order", "filters")


def export_options() -> tuple[Option, ...]:
    """The options of the export commands, in their order."""
    return tuple(option for option in table.OPTIONS if EXPORT in option.doors)


def flag_options() -> tuple[Option, ...]:
    """The options that a YAML file can also give: the fields of RequestFlags."""
    return tuple(option for option in export_options() if option.key is not None)


def keyword_options() -> tuple[Option, ...]:
    """The options that are keywords of `exportctl.plan`/`export`, in order."""
    return tuple(option for option in export_options() if option.valid is not None)


def scope_options() -> tuple[str, ...]:
    """The options that narrow an export to one resource, as the schema's scopes name them."""
    scoped = {scope.option for obj in EXPORT_OBJECTS for scope in obj.scopes}
    return tuple(option.name for option in export_options() if option.name in scoped)


def applies(option: Option, obj: ExportObject) -> bool:
    """Whether the command of `obj` takes `option` (a scope only where the schema has it)."""
    if option.objects:
        return obj.command in option.objects
    if option.name in scope_options():
        return any(scope.option == option.name for scope in obj.scopes)
    return True


def body_parameters() -> tuple[Option, ...]:
    """The `parameters.X` options sent to the API as given (`campaign_id`), not built by exportctl."""
    return tuple(
        option
        for option in flag_options()
        if option.key is not None
        and option.key.startswith("parameters.")
        and option.key.split(".", 1)[1] not in BUILT_PARAMETERS
    )


def config_keys() -> dict[str, str]:
    """A YAML file's top-level keys (a run entry's too) with their documentation, in the table's order."""
    parameters = ", ".join(parameter_keys())
    keys = {name: text.replace("{keys}", parameters) for name, text in _API_HELP.items()}
    for option in flag_options():
        top = str(option.key).split(".")[0]
        if top != "parameters" and top not in keys:
            keys[top] = option.yaml_help or option.help
    return keys


def parameter_keys() -> tuple[str, ...]:
    """The keys of a YAML file's `parameters`, from the table."""
    return tuple(
        option.key.split(".", 1)[1]
        for option in flag_options()
        if option.key is not None and option.key.startswith("parameters.")
    )


class RequestFlags:
    """The options as given (flags, or the library's keywords), by the table's names; None or (): not given.

    `RequestFlags(fields=["id"], voucher="V1")`; an option not in the table is a TypeError, as a
    NamedTuple's would be. Reading an option not given answers its "not given" value.
    """

    __slots__ = ("_given",)

    def __init__(self, **given: Any) -> None:
        names = {option.name for option in flag_options()}
        unknown = sorted(set(given) - names)
        if unknown:
            raise TypeError(f"RequestFlags has no option {', '.join(unknown)}")
        self._given = given

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        option = table.find(name)
        if option is None or option.key is None:
            raise AttributeError(f"RequestFlags has no option {name!r}")
        value = self._given.get(name)
        if value is None and option.kind in ("texts", "filters"):
            return ()
        return value

    def given(self) -> dict[str, Any]:
        """The options given (not None, not empty), by name."""
        return {name: value for name, value in self._given.items() if value is not None and value != ()}

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.given().items())
        return f"RequestFlags({shown})"
