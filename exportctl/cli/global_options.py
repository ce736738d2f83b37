"""The root's global options, accepted after the subcommand too and listed under every command's help.

`exportctl voucher --quiet` and `exportctl run nightly.yaml --profile prod` mean what
`exportctl --quiet voucher` means: each subcommand carries a hidden copy of every root option whose
callback writes the value given into the same `AppState` the root callback filled.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from exportctl.cli.typer_internals import TyperCommand, TyperGroup

GLOBAL_SECTION = "Global options"


def _given(ctx: Any, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _store(ctx: Any, param: Any, value: Any) -> Any:
    if param.name is not None and _given(ctx, param.name):
        from exportctl.cli.app_state import app_state  # loaded when an option is given, not for --help or TAB

        setattr(app_state(ctx), param.name, value)
    return value


class GlobalOptionsCommand(TyperCommand):
    """A subcommand that lists the root's options under "Global options" in its help.

    `own_globals` names the root options that are this command's own business (`login` saves --profile,
    --region, --app-id...): they are listed under its "Options", not among the global ones.
    """

    global_params: Sequence[Any] = ()
    own_globals: Sequence[str] = ()

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                (arguments if param.param_type_name == "argument" else options).append(record)
        own = [p for p in self.global_params if p.name in self.own_globals]
        options = [record for p in own if (record := p.get_help_record(ctx)) is not None] + options
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)
        others = [p for p in self.global_params if p.name not in self.own_globals]
        records = [record for param in others if (record := param.get_help_record(ctx)) is not None]
        if records:
            with formatter.section(GLOBAL_SECTION):
                formatter.write_dl(records)


class GlobalOptionsGroup(TyperGroup):
    """A group of subcommands (`auth`): it and each of its commands take the root's options too."""

    global_params: Sequence[Any] = ()

    def format_options(self, ctx: Any, formatter: Any) -> None:
        super().format_options(ctx, formatter)
        records = [record for param in self.global_params if (record := param.get_help_record(ctx)) is not None]
        if records:
            with formatter.section(GLOBAL_SECTION):
                formatter.write_dl(records)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            return None
        return add_global_options(command, ctx.find_root().command.params)


def add_global_options(command: Any, root_params: Sequence[Any]) -> Any:
    """Give `command` a hidden copy of each root option (once), parsed into the invocation's AppState."""
    if getattr(command, "global_params", ()):
        return command
    taken = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    chosen = [param for param in root_params if param.name != "help" and not taken & {*param.opts}]
    for param in chosen:
        hidden = copy.copy(param)
        hidden.hidden = True
        hidden.expose_value = False
        if param.name != "version":  # --version keeps its own eager callback
            hidden.callback = _store
        command.params.append(hidden)
    command.global_params = chosen
    return command
