"""One subcommand per exported object, generated from the schema tables.

Each command's parameters are made from the option table (`request.options.OPTIONS`), in its order, by
`cli.options.parameter`: the records the object takes (a scope only where its schema has one), with the help
and completion filled from its schema table. The command hands the values over to `run_export_command`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import typer

from exportctl.cli import options
from exportctl.request.filter_help import GRAMMAR_HELP
from exportctl.request.option_keys import applies, export_options, scope_options
from exportctl.request.option_record import Option
from exportctl.schema import ExportObject, Scope

# The API marks its `/v1/loyalties/*/export` endpoints `deprecated: true` ("Legacy loyalty API") since
# 2026-07-17; they still work, and these options still use them.
LEGACY_PREFIX = "/v1/loyalties/"
LEGACY_NOTE = "Legacy: the API marks this endpoint deprecated since 2026-07-17 (it still works)"


def is_legacy(scope: Scope) -> bool:
    """Whether a scope's endpoint is one of the API's deprecated `/v1/loyalties/*/export` endpoints."""
    return scope.path.startswith(LEGACY_PREFIX)


def _scope_help(option: Option, obj: ExportObject) -> str:
    """A scope option's help: the schema's words for this object, and the legacy note of its endpoints."""
    scopes = [scope for scope in obj.scopes if scope.option == option.name]
    help_text = scopes[0].help  # an option with two endpoints (--member, alone or with --campaign): its first
    legacy = [scope for scope in scopes if is_legacy(scope)]
    if legacy:
        endpoints = " or ".join(f"POST {scope.path}" for scope in legacy)
        help_text = f"{help_text} {LEGACY_NOTE}: {endpoints}."
    return help_text


def _parameters(obj: ExportObject) -> list[inspect.Parameter]:
    """The command's parameters: every record of the option table this object takes, in the table's order."""
    params = [inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)]
    scopes = scope_options()
    for option in export_options():
        if not applies(option, obj):
            continue
        help_text = _scope_help(option, obj) if option.name in scopes else None
        annotation = options.parameter(option, obj, help_text=help_text)
        params.append(
            inspect.Parameter(
                option.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=option.initial
            )
        )
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
