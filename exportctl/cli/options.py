"""Typer parameters made from the option table (`request.options`), and the few the table does not hold.

`parameter(option, obj)` is the `Annotated` type of one record's parameter: its Python type from the record's
kind, and a `typer.Option` with the record's flags, help, metavar, panel and completion. For an export command
the help is filled from the object's schema table (`{orders}`, `{default_fields}` ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from exportctl.cli.completion_sources import (
    choices_completer,
    complete_directory,
    fields_completer,
    filters_completer,
    orders_completer,
)
from exportctl.request.into import ENGINES
from exportctl.request.option_record import OUTPUT, PARAMETERS, RUN, Option
from exportctl.request.options import find
from exportctl.schema import ExportObject

__all__ = ["OUTPUT", "PARAMETERS", "RUN", "parameter"]

# The Python type Typer reads each kind of value as.
_TYPES: dict[str, Any] = {
    "text": str,
    "path": str,
    "duration": str,
    "instant": str,
    "texts": list[str],
    "filters": list[str],
    "switch": bool,
    "count": int,
}
# The completion sources that need the object: its fields, orders, filters.
_PER_OBJECT: dict[str, Callable[[ExportObject], Callable[[str], list[str]]]] = {
    "fields": fields_completer,
    "orders": orders_completer,
    "filters": filters_completer,
}
# The completion sources that close the set of values (no file names): for the bash script.
CLOSED_SOURCES = ("fields", "orders", "filters")


def fill_help(text: str, obj: ExportObject | None) -> str:
    """A record's help with the object's values in its placeholders (`{orders}` ...); other braces stay."""
    if obj is None:
        return text
    prefixes = ", ".join(f"{prefix}X" for prefix in obj.field_prefixes)
    values = {
        "{command}": obj.command,
        "{default_fields}": ",".join(obj.default_fields),
        "{prefixes}": f" Also {prefixes}." if prefixes else "",
        "{orders}": ", ".join(obj.orders),
        "{filter_names}": ", ".join(obj.filter_names) or "none",
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _completer(option: Option, obj: ExportObject | None) -> Callable[[str], list[str]] | None:
    if option.complete in _PER_OBJECT:
        return _PER_OBJECT[option.complete](obj) if obj is not None else None
    if option.complete == "directory":
        return complete_directory
    if option.complete == "into":
        return choices_completer(tuple(f"{engine}:" for engine in ENGINES))
    return choices_completer(option.choices) if option.choices else None


def parameter(option: Option, obj: ExportObject | None = None, *, help_text: str | None = None) -> Any:
    """`Annotated[type, typer.Option(...)]` of a record (for `obj`'s command: its completion and help)."""
    kind: Any = _TYPES[option.kind]
    annotation = kind if option.initial is not None else kind | None
    extra: dict[str, Any] = {}
    if option.bounds is not None:
        extra["min"], extra["max"] = option.bounds
    if option.initial is None:
        extra["show_default"] = False
    return Annotated[
        annotation,
        typer.Option(
            *option.flags,
            help=help_text if help_text is not None else fill_help(option.help, obj),
            metavar=option.metavar,
            autocompletion=_completer(option, obj),
            rich_help_panel=option.panel,
            **extra,
        ),
    ]


def _shared(name: str) -> Any:
    option = find(name)
    assert option is not None, name
    return parameter(option)


# The records that other commands share (wait, download): the same flags and help as on the export commands.
Output = _shared("output")
OutputDir = _shared("output_dir")
Force = _shared("force")
Timeout = _shared("timeout")
JsonOutput = _shared("json_output")
DryRun = _shared("dry_run")
ExportId = Annotated[str, typer.Argument(help="The export id (exp_...).", metavar="EXPORT_ID", show_default=False)]
