"""One subcommand per exported object, generated from the schema tables.

Each command's options are those of the option table (`request.model.OPTIONS`), in its order; it only
parses them into `RequestFlags`, then hands over to `run_export_command`.
The options that differ per object (field and order choices, the scope options) are built from the
object's table; the rest are the shared aliases of `cli.options`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from exportctl.cli import options
from exportctl.cli.completion_sources import fields_completer, filters_completer, orders_completer
from exportctl.request.filter_help import GRAMMAR_HELP
from exportctl.request.model import OPTIONS, SCOPE_OPTIONS
from exportctl.schema import ExportObject, Scope


def _fields_option(obj: ExportObject) -> Any:
    defaults = ",".join(obj.default_fields)
    prefixes = ", ".join(f"{prefix}X" for prefix in obj.field_prefixes)
    extra = f" Also {prefixes}." if prefixes else ""
    return Annotated[
        list[str] | None,
        typer.Option(
            "--fields",
            "-f",
            help=f"Columns, comma-separated or repeated (see `exportctl schema {obj.command}`). "
            f"Default: {defaults}.{extra}",
            metavar="FIELD,...",
            autocompletion=fields_completer(obj),
            rich_help_panel=options.PARAMETERS,
            show_default=False,
        ),
    ]


def _order_option(obj: ExportObject) -> Any:
    return Annotated[
        str | None,
        typer.Option(
            "--order",
            help=f"Sort order; a leading - sorts descending. One of: {', '.join(obj.orders)}.",
            metavar="ORDER",
            autocompletion=orders_completer(obj),
            rich_help_panel=options.PARAMETERS,
        ),
    ]


def _filter_option(obj: ExportObject) -> Any:
    return Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-F",
            help="Filter expression, repeatable: status=PAID,FULFILLED  amount>=1000  created_at>2024-01-01  "
            "email~@example.com  field:$operator:v1,v2  (see README, 'Filters'). "
            f"Fields: {', '.join(obj.filter_names) or 'none'}.",
            metavar="EXPR",
            autocompletion=filters_completer(obj),
            rich_help_panel=options.PARAMETERS,
            show_default=False,
        ),
    ]


# The API marks its `/v1/loyalties/*/export` endpoints `deprecated: true` ("Legacy loyalty API") since
# 2026-07-17; they still work, and these options still use them.
LEGACY_PREFIX = "/v1/loyalties/"
LEGACY_NOTE = "Legacy: the API marks this endpoint deprecated since 2026-07-17 (it still works)"


def is_legacy(scope: Scope) -> bool:
    """Whether a scope's endpoint is one of the API's deprecated `/v1/loyalties/*/export` endpoints."""
    return scope.path.startswith(LEGACY_PREFIX)


def _scope_option(option: str, help_text: str, legacy: tuple[Scope, ...] = ()) -> Any:
    if legacy:
        endpoints = " or ".join(f"POST {scope.path}" for scope in legacy)
        help_text = f"{help_text} {LEGACY_NOTE}: {endpoints}."
    return Annotated[
        str | None,
        typer.Option(f"--{option}", help=help_text, rich_help_panel=options.PARAMETERS),
    ]


def _parameters(obj: ExportObject) -> list[inspect.Parameter]:
    def keyword(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)

    per_object = {"fields": _fields_option(obj), "order": _order_option(obj), "filters": _filter_option(obj)}
    for scope in obj.scopes:  # an option with two endpoints (--member, alone or with --campaign): its first help
        legacy = tuple(other for other in obj.scopes if other.option == scope.option and is_legacy(other))
        per_object.setdefault(scope.option, _scope_option(scope.option, scope.help, legacy))
    params = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)]
    for option in OPTIONS:
        if option.name in SCOPE_OPTIONS and option.name not in per_object:
            continue  # this object has no such scope
        params.append(keyword(option.name, per_object.get(option.name) or options.BY_OPTION[option.name]))
    params += [keyword("dry_run", options.DryRun, False), keyword("json_output", options.JsonOutput, False)]
    return params


def make_export_command(obj: ExportObject) -> Callable[..., None]:
    """The Typer command function of one exported object."""

    def command(ctx: typer.Context, **values: Any) -> None:
        from exportctl.cli.export_command import run_export_command

        run_export_command(ctx, obj, values)

    command.__signature__ = inspect.Signature(_parameters(obj))  # type: ignore[attr-defined]
    command.__annotations__ = {"ctx": typer.Context, "return": None}
    command.__name__ = obj.command.replace("-", "_")
    legacy = sorted({f"--{scope.option}" for scope in obj.scopes if is_legacy(scope)})
    uses = "use the API's legacy loyalty endpoints" if len(legacy) > 1 else "uses the API's legacy loyalty endpoint"
    note = (
        f"\n\n{' and '.join(legacy)} {uses} (POST /v1/loyalties/.../export), deprecated since 2026-07-17; "
        "still working."
        if legacy
        else ""
    )
    command.__doc__ = (
        f"{obj.summary}\n\nSubmits an export of `{obj.exported_object}`, waits for it and saves the CSV. "
        f"Example: exportctl {obj.command} --fields {','.join(obj.default_fields[:3])} -o -{note}"
    )
    return command


# "\b" is click's mark for a paragraph that must not be re-wrapped: it keeps the grammar table's columns.
FILTER_EPILOG = f"\b\n{GRAMMAR_HELP}"
